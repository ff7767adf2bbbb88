"""Response targets, rotations, overrides and who is on call through the REST API: admins
change them, every key reads, other organizations see nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from upstate.api.tests.helpers import Api, field_errors
from upstate.oncall.models import Override, ResponseTargets, Rotation
from upstate.orgs.models import Membership
from upstate.paging.services import create_team


@pytest.fixture
def team(org, owner, responder):
    members = list(Membership.objects.filter(org=org, user__in=[owner.user, responder.user]))
    return create_team(org=org, name="Payments", members=members)


ROTATION = {
    "member_emails": ["responder@acme.test", "owner@acme.test"],
    "period": "weekly",
    "handover_time": "09:00",
    "time_zone": "Europe/Berlin",
    "starts_on": "2026-01-05",
}


def test_response_targets_default_to_the_product_documents(client, viewer):
    body = Api(client, viewer).get("/response-targets").json()
    assert body == {
        "critical_minutes": 5,
        "high_minutes": 60,
        "medium_minutes": 240,
        "low_minutes": 1440,
    }


def test_admins_change_response_targets_others_only_read(client, owner, responder, outsider):
    response = Api(client, responder).patch("/response-targets", {"critical_minutes": 10})
    assert response.status_code == 403
    response = Api(client, owner).patch("/response-targets", {"critical_minutes": 10})
    assert response.status_code == 200, response.content
    assert response.json()["critical_minutes"] == 10
    assert response.json()["high_minutes"] == 60
    assert Api(client, outsider).get("/response-targets").json()["critical_minutes"] == 5

    response = Api(client, owner).patch("/response-targets", {"low_minutes": 0})
    assert response.status_code == 422
    assert "low_minutes" in field_errors(response)
    response = Api(client, owner).patch("/response-targets", {"high_minutes": 99999})
    assert "high_minutes" in field_errors(response)
    assert ResponseTargets.objects.get().low_minutes == 1440


def test_an_admin_sets_a_rotation_and_everyone_reads_it(client, owner, viewer, team):
    response = Api(client, owner).put(f"/teams/{team.code}/rotation", ROTATION)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["member_emails"] == ["responder@acme.test", "owner@acme.test"]
    assert (body["period"], body["handover_time"], body["time_zone"]) == (
        "weekly",
        "09:00",
        "Europe/Berlin",
    )
    assert Api(client, viewer).get(f"/teams/{team.code}/rotation").json() == body

    changed = {**ROTATION, "member_emails": ["owner@acme.test"], "period": "daily"}
    body = Api(client, owner).put(f"/teams/{team.code}/rotation", changed).json()
    assert (body["member_emails"], body["period"]) == (["owner@acme.test"], "daily")
    assert Rotation.objects.count() == 1

    assert Api(client, viewer).delete(f"/teams/{team.code}/rotation").status_code == 403
    assert Api(client, owner).delete(f"/teams/{team.code}/rotation").status_code == 204
    assert Api(client, viewer).get(f"/teams/{team.code}/rotation").status_code == 404


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"member_emails": []}, "member_emails"),
        ({"member_emails": ["nobody@acme.test"]}, "member_emails"),
        ({"member_emails": ["viewer@acme.test"]}, "member_emails"),
        ({"period": "hourly"}, "period"),
        ({"handover_time": "25:00"}, "handover_time"),
    ],
)
def test_a_bad_rotation_is_refused_naming_the_field(client, owner, viewer, team, change, field):
    response = Api(client, owner).put(f"/teams/{team.code}/rotation", {**ROTATION, **change})
    assert response.status_code == 422, response.content
    assert field in field_errors(response)
    assert not Rotation.objects.exists()


def test_who_is_on_call_now_and_next(client, owner, viewer, team):
    today = datetime.now(UTC).date()
    rotation = {**ROTATION, "time_zone": "UTC", "period": "daily", "handover_time": "00:00"}
    rotation["starts_on"] = (today - timedelta(days=2)).isoformat()  # responder, owner, responder
    Api(client, owner).put(f"/teams/{team.code}/rotation", rotation)
    body = Api(client, viewer).get(f"/teams/{team.code}/oncall").json()
    assert body["team_id"] == team.code
    assert body["now"]["email"] == "responder@acme.test"
    assert body["now"]["override"] is False
    assert body["next"]["email"] == "owner@acme.test"
    tomorrow = datetime.combine(today + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    assert (
        body["now"]["until"]
        == body["next"]["since"]
        == tomorrow.isoformat().replace("+00:00", ".000Z")
    )


def test_overrides_are_created_read_changed_and_deleted(client, owner, viewer, team):
    Api(client, owner).put(f"/teams/{team.code}/rotation", {**ROTATION, "starts_on": "2020-01-06"})
    now = datetime.now(UTC)
    cover = {
        "member_email": "owner@acme.test",
        "starts_at": (now - timedelta(hours=1)).isoformat(),
        "ends_at": (now + timedelta(hours=5)).isoformat(),
    }
    assert Api(client, viewer).post(f"/teams/{team.code}/overrides", cover).status_code == 403
    response = Api(client, owner).post(f"/teams/{team.code}/overrides", cover)
    assert response.status_code == 201, response.content
    override_id = response.json()["id"]

    oncall = Api(client, viewer).get(f"/teams/{team.code}/oncall").json()
    assert (oncall["now"]["email"], oncall["now"]["override"]) == ("owner@acme.test", True)
    listed = Api(client, viewer).get(f"/teams/{team.code}/overrides").json()
    assert [o["id"] for o in listed] == [override_id]

    path = f"/teams/{team.code}/overrides/{override_id}"
    assert Api(client, viewer).patch(path, {"member_email": "x"}).status_code == 403
    body = Api(client, owner).patch(path, {"member_email": "responder@acme.test"}).json()
    assert body["member_email"] == "responder@acme.test"
    bad = Api(client, owner).patch(path, {"ends_at": (now - timedelta(hours=2)).isoformat()})
    assert bad.status_code == 422
    assert "ends_at" in field_errors(bad)

    assert Api(client, viewer).get(path).json()["member_email"] == "responder@acme.test"
    assert Api(client, owner).delete(path).status_code == 204
    assert not Override.objects.exists()


def test_an_override_before_its_start_is_refused(client, owner, team):
    Api(client, owner).put(f"/teams/{team.code}/rotation", ROTATION)
    cover = {
        "member_email": "owner@acme.test",
        "starts_at": "2026-02-02T10:00:00Z",
        "ends_at": "2026-02-02T09:00:00Z",
    }
    response = Api(client, owner).post(f"/teams/{team.code}/overrides", cover)
    assert response.status_code == 422
    assert "ends_at" in field_errors(response)


def test_another_organization_sees_and_changes_nothing(client, owner, outsider, team):
    Api(client, owner).put(f"/teams/{team.code}/rotation", ROTATION)
    cover = {
        "member_email": "owner@acme.test",
        "starts_at": "2026-02-02T09:00:00Z",
        "ends_at": "2026-02-03T09:00:00Z",
    }
    override_id = Api(client, owner).post(f"/teams/{team.code}/overrides", cover).json()["id"]
    them = Api(client, outsider)
    for path in (
        f"/teams/{team.code}/rotation",
        f"/teams/{team.code}/oncall",
        f"/teams/{team.code}/overrides",
        f"/teams/{team.code}/overrides/{override_id}",
    ):
        assert them.get(path).status_code == 404, path
    assert them.put(f"/teams/{team.code}/rotation", ROTATION).status_code == 404
    assert them.delete(f"/teams/{team.code}/rotation").status_code == 404
    assert them.post(f"/teams/{team.code}/overrides", cover).status_code == 404
    assert them.patch(f"/teams/{team.code}/overrides/{override_id}", {}).status_code == 404
    assert them.delete(f"/teams/{team.code}/overrides/{override_id}").status_code == 404
    assert Rotation.objects.count() == 1 and Override.objects.count() == 1


def test_a_team_shows_its_escalation_contact_and_who_is_on_call(client, owner, viewer, team):
    api = Api(client, owner)
    body = api.patch(f"/teams/{team.code}", {"escalation_contact_email": "owner@acme.test"})
    assert body.status_code == 200, body.content
    assert body.json()["escalation_contact_email"] == "owner@acme.test"
    assert body.json()["on_call_email"] is None
    api.put(f"/teams/{team.code}/rotation", {**ROTATION, "member_emails": ["owner@acme.test"]})
    assert Api(client, viewer).get(f"/teams/{team.code}").json()["on_call_email"] == (
        "owner@acme.test"
    )
    bad = api.patch(f"/teams/{team.code}", {"escalation_contact_email": "owner@globex.test"})
    assert bad.status_code == 422
    assert "escalation_contact_email" in field_errors(bad)
    cleared = api.patch(f"/teams/{team.code}", {"escalation_contact_email": None}).json()
    assert cleared["escalation_contact_email"] is None
