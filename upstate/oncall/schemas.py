"""API shapes of response targets, on-call rotations, overrides and who is on call."""

from __future__ import annotations

from datetime import date, time
from typing import Annotated

from ninja import Schema
from pydantic import Field

from upstate.api.fields import InSchema, Line, Moment, PatchSchema, Timestamp
from upstate.oncall.models import Override, Period, Rotation
from upstate.oncall.services import MAX_ROTATION_MEMBERS, MAX_TARGET_MINUTES, OnCall

Minutes = Annotated[int, Field(ge=1, le=MAX_TARGET_MINUTES)]


class ResponseTargetsOut(Schema):
    """Minutes an incident of each severity may stay triggered before it is escalated;
    incidents without a severity use the medium target."""

    critical_minutes: int
    high_minutes: int
    medium_minutes: int
    low_minutes: int


class ResponseTargetsPatch(PatchSchema):
    critical_minutes: Minutes | None = None
    high_minutes: Minutes | None = None
    medium_minutes: Minutes | None = None
    low_minutes: Minutes | None = None


class RotationIn(InSchema):
    member_emails: list[Line] = Field(
        min_length=1, max_length=MAX_ROTATION_MEMBERS, description="Who is on call, in turn"
    )
    period: Period = Field(Period.WEEKLY, description="How often the next member takes over")
    handover_time: time = Field(description="Wall-clock time of each handover, e.g. 09:00")
    time_zone: Line = Field("UTC", description="IANA time zone of the handover, e.g. Europe/Paris")
    starts_on: date = Field(
        description="The first member's first shift begins this day (weekly: handovers fall "
        "on its weekday)"
    )


class RotationOut(Schema):
    id: str
    team_id: str
    member_emails: list[str]
    period: Period
    handover_time: str
    time_zone: str
    starts_on: date
    updated_at: Timestamp

    @staticmethod
    def resolve_id(rotation: Rotation) -> str:
        return rotation.code

    @staticmethod
    def resolve_team_id(rotation: Rotation) -> str:
        return rotation.team.code

    @staticmethod
    def resolve_member_emails(rotation: Rotation) -> list[str]:
        return [slot.member.user.email for slot in rotation.slots.all()]

    @staticmethod
    def resolve_handover_time(rotation: Rotation) -> str:
        return rotation.handover_time.strftime("%H:%M")


class OverrideIn(InSchema):
    member_email: Line = Field(description="Who is on call instead")
    starts_at: Moment
    ends_at: Moment


class OverridePatch(PatchSchema):
    member_email: Line | None = None
    starts_at: Moment | None = None
    ends_at: Moment | None = None


class OverrideOut(Schema):
    id: str
    member_email: str
    starts_at: Timestamp
    ends_at: Timestamp
    created_at: Timestamp

    @staticmethod
    def resolve_id(override: Override) -> str:
        return override.code

    @staticmethod
    def resolve_member_email(override: Override) -> str:
        return override.member.user.email


class ShiftOut(Schema):
    email: str | None = Field(description="Who is on call (null: nobody)")
    since: Timestamp | None
    until: Timestamp | None = Field(description="null: until the rotation changes")
    override: bool = Field(description="Whether an override puts them on call")

    @staticmethod
    def resolve_email(shift: OnCall) -> str | None:
        return shift.member.user.email if shift.member is not None else None


class OnCallOut(Schema):
    team_id: str
    now: ShiftOut
    next: ShiftOut | None
