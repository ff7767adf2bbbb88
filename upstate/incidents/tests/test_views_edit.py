"""Editing an incident's details after it was declared."""

from __future__ import annotations

import pytest

from upstate.audit.models import AuditEntry
from upstate.dashboard.tests.helpers import declare, incident_url
from upstate.incidents.models import Incident
from upstate.pages.health import component_statuses
from upstate.pages.models import ComponentStatus


def _form(**overrides):  # noqa: ANN003, ANN202
    data = {
        "title": "Checkout fails for card payments",
        "impact": "critical",
        "severity": "high",
        "category": "outage",
        "visibility": "public",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize("persona", ["owner", "responder"])
def test_it_saves_the_details_without_touching_the_timeline(
    client, request, persona, page, api_component
):
    incident = declare(page, "Checkout fails", impact="minor", components={api_component: None})
    client.force_login(request.getfixturevalue(persona).user)
    response = client.post(incident_url(incident, "edit/"), _form())
    assert response.status_code == 302
    assert response["Location"] == incident_url(incident)
    incident.refresh_from_db()
    assert incident.title == "Checkout fails for card payments"
    assert (incident.impact, incident.severity, incident.category) == ("critical", "high", "outage")
    assert incident.updates.count() == 1
    # The components follow the new impact.
    assert component_statuses(page)[api_component.id] == ComponentStatus.MAJOR_OUTAGE
    entry = AuditEntry.objects.get(action="incident.changed")
    assert "title" in entry.details and "impact" in entry.details


def test_the_form_is_filled_with_the_current_details(client, owner, page):
    incident = declare(page, "Slow search", severity="low", category="performance")
    client.force_login(owner.user)
    response = client.get(incident_url(incident, "edit/"))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'value="Slow search"' in body
    assert '<option value="low" selected>' in body
    assert '<option value="performance" selected>' in body
    assert "Edit details" in client.get(incident_url(incident)).content.decode()


def test_unchanged_details_write_nothing(client, owner, page):
    incident = declare(page, "Slow search", severity="low")
    client.force_login(owner.user)
    data = _form(title="Slow search", impact="minor", severity="low", category="")
    response = client.post(incident_url(incident, "edit/"), data, follow=True)
    assert "Nothing changed." in response.content.decode()
    assert not AuditEntry.objects.filter(action="incident.changed").exists()


def test_it_can_make_an_incident_internal(client, owner, page):
    incident = declare(page, "Database failover")
    client.force_login(owner.user)
    client.post(incident_url(incident, "edit/"), _form(title="x", visibility="internal"))
    incident.refresh_from_db()
    assert incident.visibility == "internal"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": "   "}, "title"),
        ({"title": "x" * 256}, "title"),
        ({"impact": "apocalyptic"}, "impact"),
        ({"severity": "urgent"}, "severity"),
        ({"category": "gossip"}, "category"),
        ({"visibility": "secret"}, "visibility"),
    ],
)
def test_bad_input_is_shown_inline_and_nothing_is_written(client, owner, page, overrides, field):
    incident = declare(page, "Slow search", severity="low")
    client.force_login(owner.user)
    response = client.post(incident_url(incident, "edit/"), _form(**overrides))
    assert response.status_code == 400
    body = response.content.decode()
    assert f'id="id_{field}_error"' in body
    if field != "title":
        assert 'value="Checkout fails for card payments"' in body  # what was typed stays
    stored = Incident.objects.get(id=incident.id)
    assert (stored.title, stored.impact, stored.severity) == ("Slow search", "minor", "low")
    assert not AuditEntry.objects.filter(action="incident.changed").exists()


def test_a_service_refusal_lands_on_its_field(client, owner, page, monkeypatch):
    from upstate.incidents import services
    from upstate.lib.errors import InvalidInput

    def refuse(**kwargs):  # noqa: ANN003, ANN202
        raise InvalidInput("title", "is not allowed")

    monkeypatch.setattr(services, "change_incident", refuse)
    incident = declare(page, "Slow search")
    client.force_login(owner.user)
    response = client.post(incident_url(incident, "edit/"), _form())
    assert response.status_code == 400
    assert "Is not allowed" in response.content.decode()


def test_a_viewer_gets_403(client, viewer, page):
    incident = declare(page, "Slow search")
    client.force_login(viewer.user)
    assert client.get(incident_url(incident, "edit/")).status_code == 403
    assert client.post(incident_url(incident, "edit/"), _form()).status_code == 403
    assert Incident.objects.get(id=incident.id).title == "Slow search"
    assert "Edit details" not in client.get(incident_url(incident)).content.decode()


def test_an_outsider_gets_404(client, outsider, page):
    incident = declare(page, "Slow search")
    client.force_login(outsider.user)
    assert client.get(incident_url(incident, "edit/")).status_code == 404
    assert client.post(incident_url(incident, "edit/"), _form()).status_code == 404
    assert Incident.objects.get(id=incident.id).title == "Slow search"
