"""REST API v1: who gets paged. Members (read only), teams of members, and the route from each
incident category to a team; admin keys change teams and routes."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpRequest
from ninja import Router, Status

from upstate.api.access import Need, caller, get_for_key, require, scoped
from upstate.api.errors import ERROR_RESPONSES
from upstate.incidents.models import Category
from upstate.lib.errors import InvalidInput
from upstate.orgs.models import Membership, Organization
from upstate.paging import services
from upstate.paging.models import Route, Team
from upstate.paging.schemas import MemberOut, RouteIn, RouteOut, TeamIn, TeamOut, TeamPatch

router = Router(tags=["paging"])

TEAMS = Team.objects.select_related("org", "escalation_contact__user").prefetch_related(
    "members__user", "routes"
)


def _members_by_email(org: Organization, emails: list[str]) -> list[Membership]:
    wanted = {e.strip().lower() for e in emails}
    members = Membership.objects.filter(org=org).select_related("user")
    found = [m for m in members if m.user.email.lower() in wanted]
    missing = wanted - {m.user.email.lower() for m in found}
    if missing:
        listed = ", ".join(sorted(missing))
        raise InvalidInput("member_emails", f"not members of this organization: {listed}")
    return found


def _contact(org: Organization, email: str | None) -> Membership | None:
    if email is None:
        return None
    member = (
        Membership.objects.filter(org=org, user__email__iexact=email.strip())
        .select_related("user")
        .first()
    )
    if member is None:
        raise InvalidInput("escalation_contact_email", "not a member of this organization")
    return member


@router.get("/members", response={200: list[MemberOut], **ERROR_RESPONSES})
def list_members(request: HttpRequest) -> Any:
    org_id = caller(request).org_id
    members = Membership.objects.filter(org_id=org_id).select_related("user__paging_profile")
    return members.order_by("user__email")


@router.get("/teams", response={200: list[TeamOut], **ERROR_RESPONSES})
def list_teams(request: HttpRequest) -> Any:
    return scoped(TEAMS, request)


@router.post("/teams", response={201: TeamOut, **ERROR_RESPONSES})
def create_team(request: HttpRequest, payload: TeamIn) -> Any:
    key = require(request, Need.MANAGE)
    members = _members_by_email(key.org, payload.member_emails)
    contact = _contact(key.org, payload.escalation_contact_email)
    with transaction.atomic():
        team = services.create_team(org=key.org, name=payload.name, members=members)
        if contact is not None:
            services.change_team(team=team, escalation_contact=contact)
    return Status(201, TEAMS.get(id=team.id))


@router.get("/teams/{team_id}", response={200: TeamOut, **ERROR_RESPONSES})
def get_team(request: HttpRequest, team_id: str) -> Any:
    return get_for_key(request, TEAMS, team_id)


@router.patch("/teams/{team_id}", response={200: TeamOut, **ERROR_RESPONSES})
def update_team(request: HttpRequest, team_id: str, payload: TeamPatch) -> Any:
    team = get_for_key(request, TEAMS, team_id, need=Need.MANAGE)
    changes: dict[str, Any] = {}
    if payload.member_emails is not None:
        changes["members"] = _members_by_email(team.org, payload.member_emails)
    if "escalation_contact_email" in payload.model_fields_set:
        changes["escalation_contact"] = _contact(team.org, payload.escalation_contact_email)
    if changes:
        services.change_team(team=team, **changes)
    return TEAMS.get(id=team.id)


@router.delete("/teams/{team_id}", response={204: None, **ERROR_RESPONSES})
def delete_team(request: HttpRequest, team_id: str) -> Any:
    services.delete_team(team=get_for_key(request, TEAMS, team_id, need=Need.MANAGE))
    return Status(204, None)


@router.get("/routes", response={200: list[RouteOut], **ERROR_RESPONSES})
def list_routes(request: HttpRequest) -> Any:
    """Every category, with the team it pages (null: every responder)."""
    org_id = caller(request).org_id
    teams = dict(Route.objects.filter(org_id=org_id).values_list("category", "team__code"))
    return [{"category": c, "team_id": teams.get(c)} for c in Category.values]


@router.put("/routes/{category}", response={200: RouteOut, **ERROR_RESPONSES})
def set_route(request: HttpRequest, category: Category, payload: RouteIn) -> Any:
    key = require(request, Need.MANAGE)
    team = None
    if payload.team_id is not None:
        team = scoped(Team.objects.all(), request).filter(code=payload.team_id).first()
        if team is None:
            raise InvalidInput("team_id", f"no team with id {payload.team_id!r}")
    services.route_category(org=key.org, category=category, team=team)
    return {"category": category, "team_id": team.code if team else None}
