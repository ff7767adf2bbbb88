"""On-call rotations, their overrides and response targets: reading who is on call, and the
state changes the dashboard and the API make."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import transaction
from django.utils import timezone

from upstate.audit.services import record
from upstate.incidents.models import Severity
from upstate.lib import rotation as schedule
from upstate.lib.errors import InvalidInput
from upstate.oncall.models import Override, Period, ResponseTargets, Rotation, RotationMember
from upstate.orgs.models import Membership, Organization, Role
from upstate.paging.models import Team

MAX_TARGET_MINUTES = 7 * 24 * 60
MAX_ROTATION_MEMBERS = 100
# Incidents without a severity are escalated on the medium target.
UNRATED = Severity.MEDIUM


# --- Response targets --------------------------------------------------------------------------


def response_targets(org_id: int) -> dict[str, timedelta]:
    """The organization's target per severity value (its own, else the defaults); "" (no
    severity) takes the medium target."""
    row = ResponseTargets.objects.filter(org_id=org_id).first()
    minutes = {
        s.value: getattr(row, f"{s.value}_minutes") if row else s.default_response_minutes
        for s in Severity
    }
    targets = {key: timedelta(minutes=value) for key, value in minutes.items()}
    targets[""] = targets[UNRATED.value]
    return targets


def target_minutes(org: Organization) -> dict[str, int]:
    return {k: int(v.total_seconds() // 60) for k, v in response_targets(org.id).items() if k}


@transaction.atomic
def set_response_targets(*, org: Organization, **minutes: Any) -> dict[str, int]:
    """Change some of the targets: `critical=5, high=60, ...` in minutes (1 minute to 7 days)."""
    unknown = set(minutes) - set(Severity.values)
    if unknown:
        raise InvalidInput(f"{sorted(unknown)[0]}_minutes", "unknown severity")
    for severity, value in minutes.items():
        if not isinstance(value, int) or isinstance(value, bool):
            raise InvalidInput(f"{severity}_minutes", "must be a whole number of minutes")
        if not 1 <= value <= MAX_TARGET_MINUTES:
            raise InvalidInput(
                f"{severity}_minutes", f"must be between 1 and {MAX_TARGET_MINUTES} (7 days)"
            )
    row, _ = ResponseTargets.objects.get_or_create(
        org=org, defaults={f"{s.value}_minutes": s.default_response_minutes for s in Severity}
    )
    for severity, value in minutes.items():
        setattr(row, f"{severity}_minutes", value)
    row.save()
    record(org=org.id, action="response_targets.changed", details=dict(minutes))
    return target_minutes(org)


# --- Who is on call ----------------------------------------------------------------------------


@dataclass(frozen=True)
class OnCall:
    member: Membership | None
    since: datetime | None
    until: datetime | None
    override: bool


def _schedule(rotation: Rotation) -> schedule.Rotation:
    slots = list(rotation.slots.select_related("member__user"))
    overrides = list(rotation.overrides.select_related("member__user").order_by("created_at", "id"))
    return schedule.Rotation(
        members=[slot.member for slot in slots],
        starts_on=rotation.starts_on,
        handover=rotation.handover_time,
        zone=ZoneInfo(rotation.time_zone),
        period_days=Period(rotation.period).days,
        overrides=[schedule.Override(o.member, o.starts_at, o.ends_at) for o in overrides],
    )


def _shift(shift: schedule.Shift | None) -> OnCall | None:
    if shift is None:
        return None
    return OnCall(shift.member, shift.since, shift.until, shift.override)  # type: ignore[arg-type]


def now_and_next(rotation: Rotation, at: datetime | None = None) -> tuple[OnCall, OnCall | None]:
    """Who of the team is on call at `at` (default now), and who follows."""
    now, following = schedule.now_and_next(_schedule(rotation), at or timezone.now())
    return _shift(now), _shift(following)  # type: ignore[return-value]


def on_call_member(team: Team | None, at: datetime | None = None) -> Membership | None:
    """The team's on-call member now; None without a rotation or with nobody on call."""
    if team is None:
        return None
    rotation = Rotation.objects.filter(team=team).first()
    if rotation is None:
        return None
    return _schedule(rotation).on_call(at or timezone.now())  # type: ignore[return-value]


# --- Rotations ---------------------------------------------------------------------------------


def _zone(name: Any) -> str:
    if not isinstance(name, str) or not name:
        raise InvalidInput("time_zone", "must be an IANA time zone name, e.g. Europe/Berlin")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput("time_zone", f"unknown time zone {name!r}") from exc
    return name


def _responders(org: Organization, members: list[Membership], field: str) -> list[Membership]:
    for member in members:
        if member.org_id != org.id:
            raise InvalidInput(field, "must be members of this organization")
        if not Role(member.role).can_respond:
            raise InvalidInput(field, f"{member.user.email} is a viewer and cannot respond")
    return members


@transaction.atomic
def set_rotation(
    *,
    team: Team,
    members: list[Membership],
    handover_time: time,
    time_zone: str,
    period: str,
    starts_on: date,
) -> Rotation:
    """Create or replace the team's rotation; its overrides are kept."""
    if period not in Period.values:
        raise InvalidInput("period", f"must be one of {', '.join(Period.values)}")
    time_zone = _zone(time_zone)
    if not members:
        raise InvalidInput("members", "name at least one member")
    if len(members) > MAX_ROTATION_MEMBERS:
        raise InvalidInput("members", f"at most {MAX_ROTATION_MEMBERS} members")
    if len({m.id for m in members}) != len(members):
        raise InvalidInput("members", "each member may appear once")
    _responders(team.org, members, "members")
    rotation, created = Rotation.objects.update_or_create(
        team=team,
        defaults={
            "handover_time": handover_time.replace(second=0, microsecond=0, tzinfo=None),
            "time_zone": time_zone,
            "period": period,
            "starts_on": starts_on,
        },
    )
    rotation.slots.all().delete()
    RotationMember.objects.bulk_create(
        RotationMember(rotation=rotation, member=m, position=i) for i, m in enumerate(members)
    )
    details = {"team": team.name, "members": [m.user.email for m in members], "period": period}
    action = "rotation.created" if created else "rotation.changed"
    record(org=team.org_id, action=action, target=rotation, details=details)
    return rotation


@transaction.atomic
def delete_rotation(*, rotation: Rotation) -> None:
    record(
        org=rotation.team.org_id, action="rotation.deleted", details={"team": rotation.team.name}
    )
    rotation.delete()


def _override_fields(
    rotation: Rotation, member: Membership, starts_at: datetime, ends_at: datetime
) -> None:
    _responders(rotation.team.org, [member], "member")
    if timezone.is_naive(starts_at) or timezone.is_naive(ends_at):
        raise InvalidInput("starts_at", "must carry a time zone")
    if ends_at <= starts_at:
        raise InvalidInput("ends_at", "must be after starts_at")
    if ends_at - starts_at > timedelta(days=366):
        raise InvalidInput("ends_at", "an override lasts at most a year")


@transaction.atomic
def add_override(
    *, rotation: Rotation, member: Membership, starts_at: datetime, ends_at: datetime
) -> Override:
    _override_fields(rotation, member, starts_at, ends_at)
    override = Override.objects.create(
        rotation=rotation, member=member, starts_at=starts_at, ends_at=ends_at
    )
    details = {
        "member": member.user.email,
        "from": starts_at.isoformat(),
        "until": ends_at.isoformat(),
    }
    record(org=rotation.team.org_id, action="override.created", target=override, details=details)
    return override


@transaction.atomic
def change_override(
    *,
    override: Override,
    member: Membership | None = None,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
) -> Override:
    member = member or override.member
    starts_at = starts_at or override.starts_at
    ends_at = ends_at or override.ends_at
    _override_fields(override.rotation, member, starts_at, ends_at)
    override.member, override.starts_at, override.ends_at = member, starts_at, ends_at
    override.save()
    org_id = override.rotation.team.org_id
    record(org=org_id, action="override.changed", target=override)
    return override


@transaction.atomic
def delete_override(*, override: Override) -> None:
    record(org=override.rotation.team.org_id, action="override.deleted", target=override)
    override.delete()
