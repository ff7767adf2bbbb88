"""Paging through the REST API: members, teams and category routes; admin keys change them,
other organizations see none of it."""

from __future__ import annotations

import pytest

from upstate.api.tests.helpers import Api, field_errors
from upstate.paging.models import Route, Team
from upstate.paging.services import create_team, set_phone


def test_it_lists_members_with_their_roles_and_numbers(client, owner, viewer, outsider):
    set_phone(user=viewer.user, phone="+447700900123")
    members = Api(client, viewer).get("/members").json()
    assert members == [
        {"email": "owner@acme.test", "role": "owner", "phone": ""},
        {"email": "viewer@acme.test", "role": "viewer", "phone": "+447700900123"},
    ]


def test_an_admin_creates_a_team_and_routes_a_category_to_it(client, owner, responder):
    api = Api(client, owner)
    response = api.post(
        "/teams", {"name": "Security on-call", "member_emails": ["Responder@acme.test"]}
    )
    assert response.status_code == 201, response.content
    team = response.json()
    assert team["member_emails"] == ["responder@acme.test"]
    assert not team["id"].isdigit()

    routed = api.put("/routes/security", {"team_id": team["id"]})
    assert routed.json() == {"category": "security", "team_id": team["id"]}
    assert Route.objects.get(category="security").team.code == team["id"]
    assert api.get(f"/teams/{team['id']}").json()["categories"] == ["security"]
    routes = {r["category"]: r["team_id"] for r in api.get("/routes").json()}
    assert routes["security"] == team["id"] and routes["outage"] is None

    assert api.put("/routes/security", {"team_id": None}).json()["team_id"] is None
    assert not Route.objects.exists()


def test_it_changes_a_teams_members_and_deletes_it(client, owner, responder, viewer):
    team = create_team(org=owner.org, name="Payments", members=[])
    api = Api(client, owner)
    body = {"member_emails": ["viewer@acme.test", "responder@acme.test"]}
    changed = api.patch(f"/teams/{team.code}", body)
    assert changed.json()["member_emails"] == ["responder@acme.test", "viewer@acme.test"]
    assert api.delete(f"/teams/{team.code}").status_code == 204
    assert not Team.objects.exists()


@pytest.mark.parametrize(
    "body, field",
    [
        ({"name": ""}, "name"),
        ({"name": "Ops", "member_emails": ["someone@elsewhere.test"]}, "member_emails"),
        ({"name": "Ops", "colour": "red"}, "colour"),
    ],
)
def test_bad_teams_are_refused_naming_the_field(client, owner, body, field):
    response = Api(client, owner).post("/teams", body)
    assert response.status_code == 422
    assert field in field_errors(response)
    assert not Team.objects.exists()


def test_a_team_name_is_taken_once(client, owner):
    create_team(org=owner.org, name="Ops", members=[])
    response = Api(client, owner).post("/teams", {"name": "ops"})
    assert response.status_code == 422
    assert "another team has this name" in field_errors(response)["name"]


def test_routes_refuse_unknown_categories_and_teams(client, owner, outsider):
    foreign = create_team(org=outsider.org, name="Theirs", members=[])
    api = Api(client, owner)
    assert api.put("/routes/weather", {"team_id": None}).status_code == 422
    response = api.put("/routes/outage", {"team_id": foreign.code})
    assert response.status_code == 422
    assert "team_id" in field_errors(response)
    assert not Route.objects.exists()


def test_a_responder_key_reads_but_cannot_change_paging(client, owner, responder):
    team = create_team(org=owner.org, name="Ops", members=[])
    api = Api(client, responder)
    assert api.get("/teams").status_code == 200
    assert api.post("/teams", {"name": "Mine"}).status_code == 403
    assert api.patch(f"/teams/{team.code}", {"member_emails": []}).status_code == 403
    assert api.delete(f"/teams/{team.code}").status_code == 403
    assert api.put("/routes/outage", {"team_id": team.code}).status_code == 403
    assert Team.objects.count() == 1 and not Route.objects.exists()


def test_another_organization_sees_nothing(client, owner, outsider):
    team = create_team(org=owner.org, name="Ops", members=[])
    Route.objects.create(org=owner.org, category="outage", team=team)
    api = Api(client, outsider)
    assert api.get("/teams").json() == []
    assert {r["team_id"] for r in api.get("/routes").json()} == {None}
    assert "owner@acme.test" not in api.get("/members").content.decode()
    for response in (
        api.get(f"/teams/{team.code}"),
        api.patch(f"/teams/{team.code}", {"member_emails": []}),
        api.delete(f"/teams/{team.code}"),
    ):
        assert response.status_code == 404
    assert Team.objects.get().members.count() == 0 and Route.objects.count() == 1
