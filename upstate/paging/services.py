"""Paging responders: who is paged for an incident, on which channels, and again while a
critical incident stays unacknowledged. Pages go through the notification outbox
(upstate.notifications.services): an event recorded with the incident, one delivery per member
and channel made by the worker, each sent exactly once and kept in the delivery log."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from upstate.audit.services import record
from upstate.incidents.models import Category, Incident, Severity
from upstate.lib.errors import InvalidInput
from upstate.notifications.models import Event, EventKind
from upstate.orgs.models import Membership, Organization, Role
from upstate.paging.models import Profile, Route, Team
from upstate.subscribers.models import Channel
from upstate.subscribers.services import clean_address

if TYPE_CHECKING:
    from upstate.notifications.services import Target

# Severities that also page by phone (WhatsApp when the organization has it, else SMS).
PHONE_SEVERITIES = frozenset({Severity.CRITICAL.value, Severity.HIGH.value})
RESPONDER_ROLES = [r.value for r in Role if r.can_respond]


def response_target() -> timedelta:
    """How long a critical incident may stay unacknowledged before its responders are paged
    again (UPSTATE_PAGING_RESPONSE_MINUTES)."""
    return timedelta(minutes=max(1, settings.PAGING_RESPONSE_MINUTES))


# --- Recording ---------------------------------------------------------------------------------


def record_page(*, incident: Incident) -> Event | None:
    """Called in the transaction that declares the incident; backfills page nobody."""
    from upstate.notifications.services import record_paging_event

    if incident.backfilled or not incident.is_active:
        return None
    return record_paging_event(incident=incident, kind=EventKind.PAGING_NEW)


def record_escalation(*, incident: Incident, before: str) -> Event | None:
    """Called in the transaction that changes the incident's severity: raised from one that
    pages by email only into one that also pages by phone, the responders are paged again."""
    from upstate.notifications.services import record_paging_event

    raised = before not in PHONE_SEVERITIES and incident.severity in PHONE_SEVERITIES
    if not raised or incident.backfilled or not incident.is_active:
        return None
    return record_paging_event(incident=incident, kind=EventKind.PAGING_ESCALATED)


def repage_due(now: datetime | None = None) -> int:
    """Record a re-page for every critical incident still unacknowledged one response target
    after its last page; returns how many. Each round has its own event, and a unique
    constraint lets only one worker record it."""
    from upstate.notifications.services import record_paging_event

    now = now or timezone.now()
    target = response_target()
    firsts = Event.objects.filter(
        kind=EventKind.PAGING_NEW,
        created_at__lte=now - target,
        incident__severity=Severity.CRITICAL,
        incident__acknowledged_at__isnull=True,
        incident__resolved_at__isnull=True,
    ).select_related("incident")
    recorded = 0
    for first in firsts:
        round = int((now - first.created_at) / target)
        if Event.objects.filter(incident_id=first.incident_id, round=round).exists():
            continue
        try:
            with transaction.atomic():
                record_paging_event(
                    incident=first.incident, kind=EventKind.PAGING_REPEAT, round=round
                )
        except IntegrityError:  # another worker recorded this round first
            continue
        recorded += 1
    return recorded


# --- Fan-out (in the worker) -------------------------------------------------------------------


def responders(incident: Incident) -> list[Membership]:
    """The team routed for the incident's category, else every member who can respond."""
    route = (
        Route.objects.filter(org_id=incident.org_id, category=incident.category)
        .select_related("team")
        .first()
        if incident.category
        else None
    )
    if route is not None:
        members = route.team.members.all()
    else:
        members = Membership.objects.filter(org_id=incident.org_id, role__in=RESPONDER_ROLES)
    return list(members.select_related("user").order_by("id"))


def phone_channel(org_id: int) -> Channel:
    from upstate.notifications.providers import ready_channels

    return Channel.WHATSAPP if Channel.WHATSAPP in ready_channels(org_id) else Channel.SMS


def page_targets(event: Event) -> list[Target]:
    """An email to every responder, plus a phone message for critical and high severity (to
    the number in their profile; without one the delivery fails with that reason, visible in
    the delivery log)."""
    from upstate.notifications.services import Target

    incident = Incident.objects.get(id=event.incident_id)
    members = responders(incident)
    phones = dict(
        Profile.objects.filter(user_id__in=[m.user_id for m in members]).values_list(
            "user_id", "phone"
        )
    )
    channel = phone_channel(incident.org_id) if incident.severity in PHONE_SEVERITIES else None
    targets = []
    for member in members:
        targets.append(Target(Channel.EMAIL, member_id=member.id, address=member.user.email))
        if channel is not None:
            phone = phones.get(member.user_id, "")
            targets.append(Target(channel, member_id=member.id, address=phone))
    return targets


def render_page(event: Event) -> dict[str, Any] | None:
    """What a page says; None when there is nothing to page about any more (the incident was
    resolved or deleted, or, for a re-page, acknowledged)."""
    incident = Incident.objects.select_related("org", "page").filter(id=event.incident_id).first()
    if incident is None or not incident.is_active:
        return None
    repeat = event.kind == EventKind.PAGING_REPEAT
    if repeat and incident.acknowledged_at is not None:
        return None
    path = reverse(
        "dashboard:incident-detail", kwargs={"org_slug": incident.org.slug, "code": incident.code}
    )
    severity = Severity(incident.severity).label if incident.severity else "Unrated"
    category = Category(incident.category).label if incident.category else ""
    minutes = int(response_target().total_seconds() // 60) * event.round
    escalated = event.kind == EventKind.PAGING_ESCALATED
    context = {
        "incident": incident,
        "severity": severity,
        "category": category,
        "url": f"{settings.PUBLIC_URL}{path}",
        "repeat": repeat,
        "escalated": escalated,
        "minutes": minutes,
    }
    prefix = f"Unacknowledged for {minutes} min: " if repeat else ""
    if escalated:
        prefix = f"Severity raised to {severity}: "
    sms = f"[{severity}] {prefix}{incident.title} ({incident.page.name}). Acknowledge: "
    return {
        "page": {"name": incident.page.name},
        "sms": sms + context["url"],
        "email": {
            "subject": " ".join(render_to_string("paging/email/page_subject.txt", context).split()),
            "text": render_to_string("paging/email/page.txt", context),
            "html": render_to_string("paging/email/page.html", context),
        },
    }


# --- Settings (dashboard) ----------------------------------------------------------------------


def set_phone(*, user: Any, phone: str) -> Profile:
    """Store a responder's number in E.164 (empty removes it)."""
    cleaned = clean_address(Channel.SMS, phone) if phone.strip() else ""
    profile, _ = Profile.objects.update_or_create(user=user, defaults={"phone": cleaned})
    return profile


def _team_members(org: Organization, members: list[Membership]) -> list[Membership]:
    for member in members:
        if member.org_id != org.id:
            raise InvalidInput("members", "must be members of this organization")
    return members


@transaction.atomic
def create_team(*, org: Organization, name: str, members: list[Membership]) -> Team:
    name = name.strip()
    if not name:
        raise InvalidInput("name", "must not be empty")
    if Team.objects.filter(org=org, name__iexact=name).exists():
        raise InvalidInput("name", "another team has this name")
    team = Team.objects.create(org=org, name=name)
    team.members.set(_team_members(org, members))
    record(org=org.id, action="team.created", target=team, details={"name": name})
    return team


@transaction.atomic
def change_team(*, team: Team, members: list[Membership]) -> Team:
    team.members.set(_team_members(team.org, members))
    record(org=team.org_id, action="team.changed", target=team, details={"members": len(members)})
    return team


@transaction.atomic
def delete_team(*, team: Team) -> None:
    record(org=team.org_id, action="team.deleted", target=team, details={"name": team.name})
    team.delete()


@transaction.atomic
def route_category(*, org: Organization, category: str, team: Team | None) -> None:
    """Send incidents of `category` to `team`; None: to every responder again."""
    if category not in Category.values:
        raise InvalidInput("category", f"must be one of {', '.join(Category.values)}")
    if team is not None and team.org_id != org.id:
        raise InvalidInput("team", "must be a team of this organization")
    if team is None:
        Route.objects.filter(org=org, category=category).delete()
    else:
        Route.objects.update_or_create(org=org, category=category, defaults={"team": team})
    details = {"category": category, "team": team.name if team else ""}
    record(org=org.id, action="paging.routed", details=details)
