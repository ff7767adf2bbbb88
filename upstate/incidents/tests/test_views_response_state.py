"""The response state on the dashboard's screens (Django's client; the browser test covers the
same screens clicking through)."""

from __future__ import annotations

import re

from upstate.dashboard.tests.helpers import declare, incident_url
from upstate.incidents.models import Incident, ResponseState

URL = "/dashboard/acme/incidents/new/"


def _form(**overrides):  # noqa: ANN003, ANN202
    return {
        "title": "Checkout fails",
        "page": "acme",
        "status": "investigating",
        "impact": "major",
        "visibility": "public",
        **overrides,
    }


def test_the_declare_form_offers_to_acknowledge_ticked(client, responder, page):
    client.force_login(responder.user)
    body = client.get(URL).content.decode()
    assert 'name="acknowledge"' in body
    assert re.search(r"<input[^>]*name=\"acknowledge\"[^>]*checked", body)


def test_declaring_with_the_box_acknowledges_and_owns(client, responder, page):
    client.force_login(responder.user)
    client.post(URL, _form(acknowledge="on"))
    incident = Incident.objects.get()
    assert incident.response_state == ResponseState.ACKNOWLEDGED
    assert incident.owner == responder.user


def test_declaring_without_the_box_leaves_it_triggered(client, responder, page):
    client.force_login(responder.user)
    client.post(URL, _form())
    incident = Incident.objects.get()
    assert incident.response_state == ResponseState.TRIGGERED
    assert incident.owner is None


def test_the_list_filters_on_the_response_state(client, viewer, page):
    declare(page, "Waiting for someone")
    declare(page, "Taken", acknowledge=True)
    client.force_login(viewer.user)
    body = client.get("/dashboard/acme/incidents/?response=triggered").content.decode()
    assert "Waiting for someone" in body and "Taken" not in body
    assert 'badge-response-triggered">Triggered<' in body


def test_the_incident_shows_its_response_state(client, viewer, page):
    incident = declare(page, "Waiting")
    client.force_login(viewer.user)
    body = client.get(incident_url(incident)).content.decode()
    assert 'id="incident-response" title="Response state">Triggered<' in body


def test_another_organizations_member_sees_none_of_it(client, outsider, page):
    incident = declare(page, "Acme only")
    client.force_login(outsider.user)
    assert client.get(incident_url(incident)).status_code == 404
    assert client.get("/dashboard/acme/incidents/?response=triggered").status_code == 404
