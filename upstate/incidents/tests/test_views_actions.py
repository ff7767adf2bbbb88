"""Acknowledge, take ownership, resolve and delete."""

from __future__ import annotations

import pytest

from upstate.dashboard.tests.helpers import declare, incident_url
from upstate.incidents.models import Incident, IncidentStatus
from upstate.pages.health import component_statuses
from upstate.pages.models import ComponentStatus


def test_acknowledging_records_the_time_and_the_owner(client, responder, page):
    incident = declare(page)
    client.force_login(responder.user)
    response = client.post(incident_url(incident, "acknowledge/"))
    assert response["Location"] == incident_url(incident)
    incident.refresh_from_db()
    assert incident.acknowledged_at is not None and incident.owner == responder.user


def test_taking_ownership_replaces_the_owner(client, responder, owner, page):
    incident = declare(page)
    client.force_login(responder.user)
    client.post(incident_url(incident, "acknowledge/"))
    client.force_login(owner.user)
    client.post(incident_url(incident, "take/"))
    incident.refresh_from_db()
    assert incident.owner == owner.user


def test_resolving_returns_the_components(client, owner, page, api_component):
    incident = declare(page, impact="critical", components={api_component: None})
    assert component_statuses(page)[api_component.id] == ComponentStatus.MAJOR_OUTAGE
    client.force_login(owner.user)
    response = client.post(incident_url(incident, "resolve/"), {"resolve-message": ""})
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.RESOLVED
    assert incident.updates.first().message == "This incident has been resolved."
    assert component_statuses(page)[api_component.id] == ComponentStatus.OPERATIONAL


def test_delete_asks_first_then_removes_everything(client, responder, page):
    incident = declare(page, "Going away")
    client.force_login(responder.user)
    confirm = client.get(incident_url(incident, "delete/"))
    assert "Delete this incident?" in confirm.content.decode()
    assert Incident.objects.count() == 1
    response = client.post(incident_url(incident, "delete/"))
    assert response["Location"] == "/dashboard/acme/incidents/"
    assert Incident.objects.count() == 0


@pytest.mark.parametrize("action", ["acknowledge/", "take/", "resolve/", "delete/"])
def test_viewers_get_403(client, viewer, page, action):
    incident = declare(page)
    client.force_login(viewer.user)
    assert client.post(incident_url(incident, action)).status_code == 403
    incident.refresh_from_db()
    assert incident.acknowledged_at is None and incident.is_active


@pytest.mark.parametrize("action", ["acknowledge/", "take/", "resolve/", "delete/"])
def test_outsiders_get_404(client, outsider, page, action):
    incident = declare(page)
    client.force_login(outsider.user)
    assert client.post(incident_url(incident, action)).status_code == 404
    assert Incident.objects.filter(id=incident.id, resolved_at=None).exists()


def test_actions_need_post(client, owner, page):
    incident = declare(page)
    client.force_login(owner.user)
    assert client.get(incident_url(incident, "acknowledge/")).status_code == 405
    assert client.get(incident_url(incident, "resolve/")).status_code == 405
