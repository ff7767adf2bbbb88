"""The dashboard's on-call and response-target screens: members read, admins change, other
organizations get 404."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from upstate.oncall.models import Override, ResponseTargets, Rotation
from upstate.oncall.services import set_rotation
from upstate.orgs.models import Membership
from upstate.paging.services import create_team


@pytest.fixture
def team(org, owner, responder):
    members = list(Membership.objects.filter(org=org, user__in=[owner.user, responder.user]))
    return create_team(org=org, name="Payments", members=members)


@pytest.fixture
def rotation(team, owner, responder):
    today = datetime.now(UTC).date()
    return set_rotation(
        team=team,
        members=[
            Membership.objects.get(user=responder.user),
            Membership.objects.get(user=owner.user),
        ],
        handover_time=time(0, 0),
        time_zone="UTC",
        period="daily",
        starts_on=today,
    )


def _url(team, suffix: str = "") -> str:
    return f"/dashboard/acme/oncall/teams/{team.code}/{suffix}"


def test_members_see_who_is_on_call_now_and_next(client, viewer, team, rotation):
    client.force_login(viewer.user)
    body = client.get("/dashboard/acme/oncall/").content.decode()
    assert "Payments" in body and "responder@acme.test" in body and "owner@acme.test" in body
    body = client.get(_url(team)).content.decode()
    now = body.split('id="oncall-now"')[1].split("</dd>")[0]
    following = body.split('id="oncall-next"')[1].split("</dd>")[0]
    assert "responder@acme.test" in now and "owner@acme.test" in following
    assert "Save rotation" not in body  # viewers read only


def test_an_admin_sets_the_rotation_in_order(client, owner, team):
    client.force_login(owner.user)
    form = {
        "members": "owner@acme.test\nresponder@acme.test\n",
        "period": "weekly",
        "handover_time": "09:30",
        "time_zone": "Europe/Berlin",
        "starts_on": "2026-01-05",
    }
    response = client.post(_url(team, "rotation/"), form)
    assert response.status_code == 302
    rotation = Rotation.objects.get(team=team)
    assert [s.member.user.email for s in rotation.slots.all()] == [
        "owner@acme.test",
        "responder@acme.test",
    ]
    assert (rotation.handover_time, rotation.time_zone) == (time(9, 30), "Europe/Berlin")


def test_a_bad_rotation_is_shown_with_its_errors(client, owner, team):
    client.force_login(owner.user)
    form = {
        "members": "nobody@acme.test",
        "period": "weekly",
        "handover_time": "09:00",
        "time_zone": "Nowhere/Land",
        "starts_on": "2026-01-05",
    }
    response = client.post(_url(team, "rotation/"), form)
    assert response.status_code == 400
    assert "Not members of this organization: nobody@acme.test" in response.content.decode()
    form["members"] = "owner@acme.test"
    response = client.post(_url(team, "rotation/"), form)
    assert response.status_code == 400
    assert "unknown time zone" in response.content.decode()
    assert not Rotation.objects.exists()


def test_an_admin_adds_and_removes_an_override_in_the_rotation_zone(client, owner, team, rotation):
    client.force_login(owner.user)
    member = Membership.objects.get(user=owner.user)
    form = {"member": member.id, "starts_at": "2030-07-01T09:00", "ends_at": "2030-07-02T09:00"}
    assert client.post(_url(team, "overrides/"), form).status_code == 302
    override = Override.objects.get()
    assert override.starts_at == datetime(2030, 7, 1, 9, 0, tzinfo=UTC)
    assert "Remove override of owner@acme.test" in client.get(_url(team)).content.decode()
    assert client.post(_url(team, f"overrides/{override.code}/delete/")).status_code == 302
    assert not Override.objects.exists()


def test_responders_and_viewers_cannot_change_rotations(client, responder, team, rotation):
    client.force_login(responder.user)
    form = {
        "members": "responder@acme.test",
        "period": "daily",
        "handover_time": "09:00",
        "time_zone": "UTC",
        "starts_on": "2026-01-05",
    }
    assert client.post(_url(team, "rotation/"), form).status_code == 403
    assert client.post(_url(team, "rotation/delete/")).status_code == 403
    assert client.post(_url(team, "overrides/"), {}).status_code == 403
    assert Rotation.objects.get().period == "daily"


def test_another_organization_gets_404_everywhere(client, outsider, team, rotation, owner):
    override = Override.objects.create(
        rotation=rotation,
        member=Membership.objects.get(user=owner.user),
        starts_at=datetime.now(UTC),
        ends_at=datetime.now(UTC) + timedelta(hours=1),
    )
    client.force_login(outsider.user)
    assert client.get("/dashboard/acme/oncall/").status_code == 404
    assert client.get(_url(team)).status_code == 404
    assert client.post(_url(team, "rotation/delete/")).status_code == 404
    assert client.post(_url(team, f"overrides/{override.code}/delete/")).status_code == 404
    assert client.get("/dashboard/acme/response-targets/").status_code == 404
    # Their own org's URL with our team's code: not found either.
    assert client.get(f"/dashboard/globex/oncall/teams/{team.code}/").status_code == 404
    assert Rotation.objects.exists() and Override.objects.exists()


def test_admins_set_response_targets_members_read_them(client, owner, viewer):
    client.force_login(viewer.user)
    body = client.get("/dashboard/acme/response-targets/").content.decode()
    assert 'value="5"' in body and "disabled" in body
    assert "may stay triggered before it is escalated" in body  # help text
    form = {"critical": 10, "high": 60, "medium": 240, "low": 1440}
    assert client.post("/dashboard/acme/response-targets/", form).status_code == 403

    client.force_login(owner.user)
    response = client.post("/dashboard/acme/response-targets/", form)
    assert response.status_code == 302
    assert ResponseTargets.objects.get().critical_minutes == 10
    response = client.post("/dashboard/acme/response-targets/", {**form, "low": 0})
    assert response.status_code == 400
    assert ResponseTargets.objects.get().low_minutes == 1440
