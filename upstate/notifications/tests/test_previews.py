"""The dashboard's email previews: each kind rendered for a sample incident and maintenance of
the page, exactly as sent, leaving nothing behind."""

from __future__ import annotations

import html as htmllib

import pytest

from upstate.audit.models import AuditEntry
from upstate.incidents.models import Incident
from upstate.maintenance.models import Maintenance
from upstate.notifications.models import Event

PATH = "/dashboard/acme/pages/acme/notifications/preview/"


@pytest.mark.parametrize(
    ("kind", "subject", "lead"),
    [
        ("incident.created", "Investigating: Sample: elevated error rates", "A new incident"),
        ("incident.updated", "Identified: Sample: elevated error rates", "has a new update"),
        ("incident.resolved", "Resolved: Sample: elevated error rates", "is resolved"),
        ("maintenance.scheduled", "Scheduled maintenance: Sample: database upgrade", "scheduled"),
        ("maintenance.started", "Maintenance in progress: Sample: database upgrade", "begun"),
        ("maintenance.completed", "Maintenance completed: Sample: database upgrade", "complete"),
    ],
)
def test_each_kind_is_shown_as_sent(client, responder, page, api_component, kind, subject, lead):
    page.logo_url = "https://cdn.acme.test/logo.png"
    page.save()
    audit_before = AuditEntry.objects.count()
    client.force_login(responder.user)
    response = client.get(f"{PATH}?kind={kind}")
    assert response.status_code == 200
    body = response.content.decode()
    assert f"<code>[Acme Status] {subject}</code>" in body
    assert "List-Unsubscribe-Post" in body and "List-Unsubscribe=One-Click" in body
    srcdoc = htmllib.unescape(body.split('srcdoc="', 1)[1].split('"', 1)[0])
    text = body.split('data-part="text"', 1)[1]
    for part in (srcdoc, text):
        assert lead in part
        assert "/p/acme/subscription/preview" in part and "/p/acme/unsubscribe/preview" in part
    assert '<img src="https://cdn.acme.test/logo.png"' in srcdoc
    assert "API" in srcdoc
    # The samples were rolled back: no incident, maintenance, event or audit entry remains.
    assert not Incident.objects.exists() and not Maintenance.objects.exists()
    assert not Event.objects.exists()
    assert AuditEntry.objects.count() == audit_before


def test_the_confirmation_email_is_previewed(client, responder, page):
    client.force_login(responder.user)
    body = client.get(f"{PATH}?kind=confirmation").content.decode()
    assert "<code>Confirm your subscription to Acme Status</code>" in body
    assert "/p/acme/subscribe/confirm/" in body


def test_a_page_without_components_has_previews_too(client, responder, page):
    client.force_login(responder.user)
    assert client.get(PATH).status_code == 200
    assert client.get(f"{PATH}?kind=nonsense").status_code == 200


def test_outsiders_get_404_and_viewers_403(client, outsider, viewer, page):
    client.force_login(outsider.user)
    assert client.get(PATH).status_code == 404
    client.force_login(viewer.user)
    assert client.get(PATH).status_code == 403


def test_each_preview_shows_the_components_as_they_were_at_that_step(
    client, responder, page, api_component
):
    client.force_login(responder.user)
    created = client.get(f"{PATH}?kind=incident.created").content.decode()
    resolved = client.get(f"{PATH}?kind=incident.resolved").content.decode()
    assert "API: Partial outage" in created
    assert "API: Operational" in resolved and "Partial outage" not in resolved
