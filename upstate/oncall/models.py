"""Who answers and how fast: each team's on-call rotation and its overrides, and the
organization's response target per severity (how long an incident may stay triggered before
it is escalated, see upstate.paging.services.escalate_due)."""

from __future__ import annotations

from django.db import models

from upstate.lib.codes import new_code
from upstate.orgs.models import Membership, Organization
from upstate.paging.models import Team


class ResponseTargets(models.Model):
    """One row per organization that changed the defaults (Severity.default_response_minutes)."""

    org = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="response_targets"
    )
    critical_minutes = models.PositiveIntegerField(default=5)
    high_minutes = models.PositiveIntegerField(default=60)
    medium_minutes = models.PositiveIntegerField(default=240)
    low_minutes = models.PositiveIntegerField(default=1440)
    updated_at = models.DateTimeField(auto_now=True)


class Period(models.TextChoices):
    DAILY = "daily", "Daily"
    WEEKLY = "weekly", "Weekly"

    @property
    def days(self) -> int:
        return 1 if self == Period.DAILY else 7


class Rotation(models.Model):
    """A team's on-call schedule: its members in turn, handing over at `handover_time` in
    `time_zone` every day or week from `starts_on` (weekly: on that date's weekday)."""

    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="rotation")
    code = models.CharField(max_length=12, unique=True, default=new_code, editable=False)
    period = models.CharField(max_length=8, choices=Period.choices, default=Period.WEEKLY)
    handover_time = models.TimeField()
    time_zone = models.CharField(max_length=64, default="UTC")
    starts_on = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Rotation of {self.team.name}"


class RotationMember(models.Model):
    rotation = models.ForeignKey(Rotation, on_delete=models.CASCADE, related_name="slots")
    member = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveIntegerField()

    class Meta:
        ordering = ["position", "id"]


class Override(models.Model):
    """Someone else on call for a period (holidays, swaps); the newest wins where they overlap."""

    rotation = models.ForeignKey(Rotation, on_delete=models.CASCADE, related_name="overrides")
    code = models.CharField(max_length=12, unique=True, default=new_code, editable=False)
    member = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_at", "id"]

    def __str__(self) -> str:
        return f"{self.member.user.email} on call for {self.rotation.team.name}"
