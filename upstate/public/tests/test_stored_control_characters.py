"""Text stored before the accepted-text rule (control characters, written straight to the
database) never stops a page's documents from being built, nor any document from parsing."""

from __future__ import annotations

import pytest

from upstate.incidents.models import Incident, IncidentUpdate
from upstate.maintenance.models import Maintenance
from upstate.pages.models import Component, ComponentGroup, StatusPage
from upstate.public import store
from upstate.public.tests.documents import build_and_parse
from upstate.public.tests.scene import build_scene

# (NUL is left out: PostgreSQL never stored it.)
OLD = "a \x1b b \x0c c \x0b d \x7f e \x85 f \x01 g"


@pytest.mark.django_db
def test_it_builds_every_document_of_a_page_whose_stored_text_holds_control_characters(page):
    scene = build_scene(page)
    StatusPage.objects.filter(pk=page.pk).update(name=f"Acme {OLD}", description=OLD)
    Component.objects.filter(page=page).update(name=f"API {OLD}", description=OLD)
    ComponentGroup.objects.filter(page=page).update(name=f"Infra {OLD}")
    Incident.objects.filter(page=page).update(title=f"Down {OLD}")
    IncidentUpdate.objects.filter(incident__page=page).update(message=f"Looking {OLD}")
    Maintenance.objects.filter(page=page).update(title=f"Upgrade {OLD}", message=OLD)

    types = build_and_parse(page)

    assert {"history.rss", "history.atom", "maintenance.ics", "badge.svg", "widget.json"} <= set(
        types
    )
    assert "api/v2/summary.json" in types
    served = store.by_slug(page.slug)
    assert served is not None
    home = served.snapshot.documents[""].body.decode()
    assert "Acme a  b" in home  # the text, without its control characters
    assert f"incidents/{scene.active.code}" in types
