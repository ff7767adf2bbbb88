"""REST API v1: response targets, each team's on-call rotation and overrides, and who is on
call. Every key reads; admin keys change them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from upstate.api.access import Need, caller, get_for_key, require
from upstate.api.errors import ERROR_RESPONSES
from upstate.lib.codes import is_code
from upstate.lib.errors import InvalidInput, NotFound
from upstate.oncall import services
from upstate.oncall.models import Override, Rotation
from upstate.oncall.schemas import (
    OnCallOut,
    OverrideIn,
    OverrideOut,
    OverridePatch,
    ResponseTargetsOut,
    ResponseTargetsPatch,
    RotationIn,
    RotationOut,
)
from upstate.orgs.models import Membership, Organization
from upstate.paging.models import Team

router = Router(tags=["on-call"])
# The services name members; the API names them by email.
API_FIELDS = {"members": "member_emails", "member": "member_email"}


@contextmanager
def _api_names() -> Iterator[None]:
    try:
        yield
    except InvalidInput as exc:
        raise InvalidInput(API_FIELDS.get(exc.field, exc.field), exc.message) from exc


def _targets_out(org_id: int) -> dict[str, int]:
    targets = services.response_targets(org_id)
    return {f"{k}_minutes": int(v.total_seconds() // 60) for k, v in targets.items() if k}


@router.get("/response-targets", response={200: ResponseTargetsOut, **ERROR_RESPONSES})
def get_response_targets(request: HttpRequest) -> Any:
    return _targets_out(caller(request).org_id)


@router.patch("/response-targets", response={200: ResponseTargetsOut, **ERROR_RESPONSES})
def change_response_targets(request: HttpRequest, payload: ResponseTargetsPatch) -> Any:
    key = require(request, Need.MANAGE)
    minutes = {
        k.removesuffix("_minutes"): v for k, v in payload.model_dump(exclude_unset=True).items()
    }
    services.set_response_targets(org=key.org, **minutes)
    return _targets_out(key.org_id)


# --- Rotations ---------------------------------------------------------------------------------


def _team(request: HttpRequest, team_id: str, need: Need = Need.READ) -> Team:
    return get_for_key(request, Team.objects.select_related("org"), team_id, need=need)


def _rotation(team: Team) -> Rotation:
    rotation = (
        Rotation.objects.select_related("team")
        .prefetch_related("slots__member__user")
        .filter(team=team)
        .first()
    )
    if rotation is None:
        raise NotFound(f"Team {team.code!r} has no on-call rotation")
    return rotation


def _member(org: Organization, email: str, field: str) -> Membership:
    member = (
        Membership.objects.filter(org=org, user__email__iexact=email.strip())
        .select_related("user")
        .first()
    )
    if member is None:
        raise InvalidInput(field, f"{email} is not a member of this organization")
    return member


@router.get("/teams/{team_id}/rotation", response={200: RotationOut, **ERROR_RESPONSES})
def get_rotation(request: HttpRequest, team_id: str) -> Any:
    return _rotation(_team(request, team_id))


@router.put("/teams/{team_id}/rotation", response={200: RotationOut, **ERROR_RESPONSES})
def set_rotation(request: HttpRequest, team_id: str, payload: RotationIn) -> Any:
    """Create or replace the team's rotation (its overrides are kept)."""
    team = _team(request, team_id, Need.MANAGE)
    members = [_member(team.org, e, "member_emails") for e in payload.member_emails]
    with _api_names():
        services.set_rotation(
            team=team,
            members=members,
            handover_time=payload.handover_time,
            time_zone=payload.time_zone,
            period=payload.period,
            starts_on=payload.starts_on,
        )
    return _rotation(team)


@router.delete("/teams/{team_id}/rotation", response={204: None, **ERROR_RESPONSES})
def delete_rotation(request: HttpRequest, team_id: str) -> Any:
    """Remove the rotation and its overrides: the whole team is paged again."""
    services.delete_rotation(rotation=_rotation(_team(request, team_id, Need.MANAGE)))
    return Status(204, None)


@router.get("/teams/{team_id}/oncall", response={200: OnCallOut, **ERROR_RESPONSES})
def get_on_call(request: HttpRequest, team_id: str) -> Any:
    """Who is on call now (since when, until when) and who follows."""
    team = _team(request, team_id)
    now, following = services.now_and_next(_rotation(team))
    return {"team_id": team.code, "now": now, "next": following}


# --- Overrides ---------------------------------------------------------------------------------

OVERRIDES = Override.objects.select_related("member__user", "rotation__team")


def _override(request: HttpRequest, team_id: str, override_id: str, need: Need) -> Override:
    team = _team(request, team_id)
    found = (
        OVERRIDES.filter(rotation__team=team, code=override_id).first()
        if is_code(override_id)
        else None
    )
    if found is None:
        raise NotFound(f"No override with id {override_id!r}")
    require(request, need)
    return found


@router.get("/teams/{team_id}/overrides", response={200: list[OverrideOut], **ERROR_RESPONSES})
def list_overrides(request: HttpRequest, team_id: str) -> Any:
    team = _team(request, team_id)
    return list(OVERRIDES.filter(rotation__team=team))


@router.post("/teams/{team_id}/overrides", response={201: OverrideOut, **ERROR_RESPONSES})
def create_override(request: HttpRequest, team_id: str, payload: OverrideIn) -> Any:
    team = _team(request, team_id, Need.MANAGE)
    with _api_names():
        override = services.add_override(
            rotation=_rotation(team),
            member=_member(team.org, payload.member_email, "member_email"),
            starts_at=payload.starts_at,
            ends_at=payload.ends_at,
        )
    return Status(201, OVERRIDES.get(id=override.id))


@router.get(
    "/teams/{team_id}/overrides/{override_id}", response={200: OverrideOut, **ERROR_RESPONSES}
)
def get_override(request: HttpRequest, team_id: str, override_id: str) -> Any:
    return _override(request, team_id, override_id, Need.READ)


@router.patch(
    "/teams/{team_id}/overrides/{override_id}", response={200: OverrideOut, **ERROR_RESPONSES}
)
def change_override(
    request: HttpRequest, team_id: str, override_id: str, payload: OverridePatch
) -> Any:
    override = _override(request, team_id, override_id, Need.MANAGE)
    fields = payload.model_dump(exclude_unset=True)
    email = fields.pop("member_email", None)
    if email is not None:
        fields["member"] = _member(override.rotation.team.org, email, "member_email")
    with _api_names():
        services.change_override(override=override, **fields)
    return OVERRIDES.get(id=override.id)


@router.delete("/teams/{team_id}/overrides/{override_id}", response={204: None, **ERROR_RESPONSES})
def delete_override(request: HttpRequest, team_id: str, override_id: str) -> Any:
    services.delete_override(override=_override(request, team_id, override_id, Need.MANAGE))
    return Status(204, None)
