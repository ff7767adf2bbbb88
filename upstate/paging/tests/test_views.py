"""Dashboard: the responder's profile (own phone number) and the admins' paging settings
(teams and category routes), with tenant isolation."""

from __future__ import annotations

from upstate.orgs.models import Membership
from upstate.paging.models import Profile, Route, Team
from upstate.paging.services import create_team

SETTINGS = "/dashboard/acme/paging/"


def _as(client, persona):
    client.force_login(persona.user)
    return client


def _membership(persona) -> Membership:
    return Membership.objects.get(user=persona.user, org=persona.org)


def test_any_member_sets_their_own_number(client, viewer):
    response = _as(client, viewer).post("/dashboard/acme/profile/", {"phone": "+44 7700 900123"})
    assert response.status_code == 302
    assert Profile.objects.get(user=viewer.user).phone == "+447700900123"
    assert b"+447700900123" in client.get("/dashboard/acme/profile/").content


def test_a_number_not_in_e164_is_refused_by_name(client, responder):
    response = _as(client, responder).post("/dashboard/acme/profile/", {"phone": "0151 2345"})
    assert response.status_code == 400
    assert "E.164" in response.context["form"].errors["phone"][0]
    assert not Profile.objects.exists()


def test_the_profile_of_another_organization_is_not_found(client, responder):
    assert _as(client, responder).get("/dashboard/globex/profile/").status_code == 404


def test_an_admin_creates_a_team_and_routes_a_category(client, owner, responder):
    _as(client, owner)
    response = client.post(
        f"{SETTINGS}teams/new/", {"name": "Payments", "members": [_membership(responder).id]}
    )
    assert response.status_code == 302
    team = Team.objects.get()
    assert list(team.members.all()) == [_membership(responder)]

    assert (
        client.post(f"{SETTINGS}routes/", {"category": "security", "team": team.code}).status_code
        == 302
    )
    assert Route.objects.get().team == team
    page = client.get(SETTINGS)
    assert b"Payments" in page.content

    client.post(f"{SETTINGS}routes/", {"category": "security", "team": ""})
    assert not Route.objects.exists()


def test_team_members_can_be_changed_and_the_team_deleted(client, owner, responder):
    team = create_team(org=owner.org, name="Core", members=[])
    _as(client, owner).post(
        f"{SETTINGS}teams/{team.code}/members/", {"members": [_membership(owner).id]}
    )
    assert list(team.members.all()) == [_membership(owner)]
    client.post(f"{SETTINGS}teams/{team.code}/delete/")
    assert not Team.objects.exists()


def test_bad_input_is_named_and_writes_nothing(client, owner):
    _as(client, owner)
    response = client.post(f"{SETTINGS}teams/new/", {"name": ""})
    assert response.status_code == 400
    assert "name" in response.context["team_form"].errors
    response = client.post(f"{SETTINGS}routes/", {"category": "weather", "team": ""})
    assert response.status_code == 400
    assert "category" in response.context["route_form"].errors
    create_team(org=owner.org, name="Core", members=[])
    response = client.post(f"{SETTINGS}teams/new/", {"name": "core"})
    assert response.status_code == 400
    assert "another team" in response.context["team_form"].errors["name"][0]
    assert Team.objects.count() == 1


def test_members_of_another_organization_cannot_join_a_team(client, owner, outsider):
    response = _as(client, owner).post(
        f"{SETTINGS}teams/new/", {"name": "Mixed", "members": [_membership(outsider).id]}
    )
    assert response.status_code == 400
    assert "members" in response.context["team_form"].errors
    assert not Team.objects.exists()


def test_responders_may_not_change_paging(client, owner, responder):
    team = create_team(org=owner.org, name="Core", members=[])
    _as(client, responder)
    assert client.get(SETTINGS).status_code == 403
    assert client.post(f"{SETTINGS}teams/new/", {"name": "Mine"}).status_code == 403
    assert client.post(f"{SETTINGS}teams/{team.code}/delete/").status_code == 403
    assert client.post(f"{SETTINGS}routes/", {"category": "bug", "team": ""}).status_code == 403
    assert list(Team.objects.values_list("name", flat=True)) == ["Core"]


def test_outsiders_cannot_reach_another_organizations_teams(client, owner, outsider):
    team = create_team(org=owner.org, name="Core", members=[])
    _as(client, outsider)
    assert client.get(SETTINGS).status_code == 404
    assert client.post(f"{SETTINGS}teams/{team.code}/delete/").status_code == 404
    # Through their own organization's address, the team code does not exist either.
    own = "/dashboard/globex/paging/"
    assert client.post(f"{own}teams/{team.code}/delete/").status_code == 404
    assert client.post(f"{own}teams/{team.code}/members/", {"members": []}).status_code == 404
    assert client.post(f"{own}routes/", {"category": "bug", "team": team.code}).status_code == 400
    assert not Route.objects.exists()
    assert Team.objects.filter(code=team.code).exists()


def test_the_delivery_log_shows_each_page_and_why_one_failed(
    client, owner, responder, page, smtp_sink, django_capture_on_commit_callbacks
):
    from upstate.incidents.services import create_incident

    with django_capture_on_commit_callbacks(execute=True):
        incident = create_incident(page=page, title="Card payments failing", severity="high")
    response = _as(client, responder).get(f"/dashboard/acme/incidents/{incident.code}/deliveries/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "paging.new" in text
    assert "Email: owner@acme.test (paged)" in text
    assert "no SMS provider is configured for this organization" in text
