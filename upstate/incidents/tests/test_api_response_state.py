"""The response state through the REST API: triggered on creation, acknowledged by a
responder (or in the same call), resolved with the incident; filterable; and the field names
clients written for other products send (status_page_id, severity: major)."""

from __future__ import annotations

from django.core.management import call_command

from upstate.api.tests.helpers import Api, field_errors
from upstate.incidents.models import Incident, ResponseState
from upstate.incidents.services import acknowledge_incident, create_incident, post_update


def _declare(api: Api, page, **fields) -> dict:
    body = {"page_id": page.code, "title": "Errors", "impact": "major", **fields}
    response = api.post("/incidents", body)
    assert response.status_code == 201, response.content
    return response.json()


def test_an_incident_declared_through_the_api_is_triggered(client, responder, page):
    api = Api(client, responder)
    body = _declare(api, page)
    assert body["response_state"] == "triggered"
    assert body["acknowledged_at"] is None

    acked = api.post(f"/incidents/{body['id']}/acknowledge").json()
    assert acked["response_state"] == "acknowledged"
    assert acked["acknowledged_at"] is not None

    resolved = api.post(f"/incidents/{body['id']}/updates", {"status": "resolved"}).json()
    assert resolved["response_state"] == "resolved"


def test_the_acknowledge_flag_acknowledges_in_the_same_call(client, responder, page):
    body = _declare(Api(client, responder), page, acknowledge=True)
    assert body["response_state"] == "acknowledged"
    assert body["acknowledged_at"] is not None


def test_reopening_a_resolved_incident_returns_to_its_earlier_state(page):
    incident = create_incident(page=page, title="Down")
    post_update(incident=incident, status="resolved")
    post_update(incident=incident, status="investigating")
    incident.refresh_from_db()
    assert incident.response_state == ResponseState.TRIGGERED
    acknowledge_incident(incident=incident)
    assert Incident.objects.get(id=incident.id).response_state == ResponseState.ACKNOWLEDGED


def test_the_list_filters_by_response_state(client, viewer, outsider, page, other_page):
    waiting = create_incident(page=page, title="Nobody on it")
    taken = create_incident(page=page, title="Being handled", acknowledge=True)
    create_incident(page=other_page, title="Globex down")  # another tenant's triggered one
    api = Api(client, viewer)

    listed = api.get("/incidents?response_state=triggered").json()["items"]
    assert [i["id"] for i in listed] == [waiting.code]
    listed = api.get("/incidents?response_state=acknowledged").json()["items"]
    assert [i["id"] for i in listed] == [taken.code]

    response = api.get("/incidents?response_state=sleeping")
    assert response.status_code == 422
    assert "response_state" in field_errors(response)

    theirs = Api(client, outsider).get("/incidents?response_state=triggered").json()["items"]
    assert [i["title"] for i in theirs] == ["Globex down"]


def test_status_page_id_is_taken_for_page_id(client, responder, page):
    api = Api(client, responder)
    response = api.post("/incidents", {"status_page_id": page.code, "title": "Errors"})
    assert response.status_code == 201, response.content
    assert response.json()["page_id"] == page.code
    assert response.json()["status"] == "investigating"


def test_page_id_or_status_page_id_is_required_and_must_agree(client, responder, page, other_page):
    api = Api(client, responder)
    response = api.post("/incidents", {"title": "Errors"})
    assert response.status_code == 422
    assert "page_id" in field_errors(response)

    both = {"page_id": page.code, "status_page_id": "somethingelse", "title": "Errors"}
    response = api.post("/incidents", both)
    assert response.status_code == 422
    assert "status_page_id" in field_errors(response)

    # Another tenant's page is unknown, under either name.
    response = api.post("/incidents", {"status_page_id": other_page.code, "title": "Errors"})
    assert response.status_code == 422
    assert "page_id" in field_errors(response)
    assert not Incident.objects.exists()


def test_a_severity_that_is_an_impact_word_is_taken_as_the_impact(client, responder, page):
    api = Api(client, responder)
    major = _declare(api, page, impact=None, severity="major")
    assert (major["impact"], major["severity"]) == ("major", None)
    critical = _declare(api, page, impact=None, severity="critical")
    assert (critical["impact"], critical["severity"]) == ("critical", "critical")
    plain = api.post("/incidents", {"page_id": page.code, "title": "x"}).json()
    assert (plain["impact"], plain["severity"]) == ("minor", None)


def test_an_impact_word_as_severity_beside_an_impact_is_refused(client, responder, page):
    api = Api(client, responder)
    response = api.post(
        "/incidents",
        {"page_id": page.code, "title": "x", "impact": "minor", "severity": "major"},
    )
    assert response.status_code == 422
    assert "severity" in field_errors(response)


def test_the_migration_derives_the_state_of_existing_incidents(transactional_db, page):
    triggered = create_incident(page=page, title="a")
    acked = create_incident(page=page, title="b", acknowledge=True)
    resolved = create_incident(page=page, title="c", acknowledge=True, status="resolved")
    Incident.objects.update(response_state="triggered")  # as before the migration
    call_command("migrate", "incidents", "0001", verbosity=0)
    call_command("migrate", "incidents", verbosity=0)
    states = dict(Incident.objects.values_list("id", "response_state"))
    assert states == {triggered.id: "triggered", acked.id: "acknowledged", resolved.id: "resolved"}
