"""Versions of the screens that show incidents, for their polls (upstate/dashboard/live.py).

An incident's version is its `updated_at`: every change its room shows saves the incident
(an update, an acknowledgement, a new owner, an edit) or calls `services.touch_incident`
(a linked customer conversation, a task of its postmortem). The incident list takes the
newest `updated_at` and the count of the organization's incidents (a deletion lowers the
count), and the current minute, so that "5 minutes ago" moves on.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count, Max, OuterRef
from django.http import HttpRequest

from upstate.dashboard.live import (
    count,
    headers,
    minute,
    newest,
    session_is_valid,
    version_tag,
)
from upstate.incidents.models import Incident
from upstate.orgs.models import Membership, Role

# --- One incident's room ---------------------------------------------------------------------


def room_tag(updated_at: datetime, can_write: bool) -> str:
    # What a member sees also depends on whether they may act (the buttons and forms).
    return version_tag("room", updated_at, int(can_write))


def room_headers(incident: Incident, can_write: bool) -> str:
    """The room's poller headers, as rendered for this member."""
    return headers(room_tag(incident.updated_at, can_write))


def room_version(request: HttpRequest, user_id: int, *, org_slug: str, code: str) -> str | None:
    """The room's version for this member, in one query that also checks the membership."""
    row = (
        Incident.objects.filter(code=code, org__slug=org_slug, org__memberships__user_id=user_id)
        .values_list(
            "updated_at",
            "org__memberships__role",
            "org__memberships__user__password",
            "org__memberships__user__is_active",
        )
        .first()
    )
    if row is None:
        return None
    updated_at, role, password, is_active = row
    if not session_is_valid(request, password=password, is_active=is_active):
        return None
    return room_tag(updated_at, Role(role).can_respond)


# --- The organization's incidents (list and overview) --------------------------------------


def org_state(org_id: int) -> tuple[datetime | None, int]:
    """The newest change to, and the number of, the organization's incidents."""
    row = Incident.objects.filter(org_id=org_id).aggregate(
        newest=Max("updated_at"), count=Count("id")
    )
    return row["newest"], row["count"]


def list_tag(latest: datetime | None, number: int) -> str:
    return version_tag("list", latest or 0, number, minute())


def list_headers(org_id: int) -> str:
    """The incident list's poller headers, as rendered now."""
    return headers(list_tag(*org_state(org_id)))


def list_version(request: HttpRequest, user_id: int, *, org_slug: str) -> str | None:
    """The incident list's version for this member, in one query."""
    incidents = Incident.objects.filter(org_id=OuterRef("org_id"))
    row = (
        Membership.objects.filter(org__slug=org_slug, user_id=user_id)
        .annotate(latest=newest(incidents), number=count(incidents, "org_id"))
        .values_list("latest", "number", "user__password", "user__is_active")
        .first()
    )
    if row is None:
        return None
    latest, number, password, is_active = row
    if not session_is_valid(request, password=password, is_active=is_active):
        return None
    return list_tag(latest, number or 0)
