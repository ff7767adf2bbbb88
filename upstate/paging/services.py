"""Paging responders: who is paged for an incident, on which channels, and escalation while it
stays unacknowledged. Pages go through the notification outbox (upstate.notifications.services):
an event recorded with the incident, one delivery per member and channel made by the worker,
each sent exactly once and kept in the delivery log.

Who, round by round (a round is one response target of the incident's severity, counted from
the first page; see upstate.oncall for targets and rotations):

- round 0, when the incident is declared: the routed team's on-call member (who also becomes
  the owner when nobody has taken it), or, without a rotation, the whole team (every responder
  when the category is not routed);
- round 1, still triggered one target later: the whole team again, on-call member first;
- round 2 and every target after: the next level, the team's escalation contact or, without
  one, the organization's admins and owners, with the on-call member again."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from upstate.audit.services import record
from upstate.incidents.models import Category, Incident, ResponseState, Severity
from upstate.lib.errors import InvalidInput
from upstate.notifications.models import Event, EventKind
from upstate.oncall.services import on_call_member, response_targets
from upstate.orgs.models import Membership, Organization, Role
from upstate.paging.models import Profile, Route, Team
from upstate.subscribers.models import Channel
from upstate.subscribers.services import clean_address

if TYPE_CHECKING:
    from upstate.notifications.services import Target

# Severities that also page by phone (WhatsApp when the organization has it, else SMS).
PHONE_SEVERITIES = frozenset({Severity.CRITICAL.value, Severity.HIGH.value})
RESPONDER_ROLES = [r.value for r in Role if r.can_respond]


MANAGER_ROLES = [r.value for r in Role if r.can_manage]
# The round from which the next level is paged.
NEXT_LEVEL_ROUND = 2


# --- Recording ---------------------------------------------------------------------------------


def record_page(*, incident: Incident) -> Event | None:
    """Called in the transaction that declares the incident; backfills page nobody. The routed
    team's on-call member owns an incident nobody has taken yet."""
    from upstate.notifications.services import record_paging_event

    if incident.backfilled or not incident.is_active:
        return None
    if incident.owner_id is None and incident.acknowledged_at is None:
        member = on_call_member(routed_team(incident))
        if member is not None:
            incident.owner_id = member.user_id
            incident.save(update_fields=["owner", "updated_at"])
    return record_paging_event(incident=incident, kind=EventKind.PAGING_NEW)


def record_escalation(*, incident: Incident, before: str) -> Event | None:
    """Called in the transaction that changes the incident's severity: raised from one that
    pages by email only into one that also pages by phone, the responders are paged again."""
    from upstate.notifications.services import record_paging_event

    raised = before not in PHONE_SEVERITIES and incident.severity in PHONE_SEVERITIES
    if not raised or incident.backfilled or not incident.is_active:
        return None
    return record_paging_event(incident=incident, kind=EventKind.PAGING_ESCALATED)


def escalate_due(now: datetime | None = None) -> int:
    """Record the due round for every incident still triggered one or more response targets
    (of its organization and severity) after its first page; returns how many were recorded.
    Each round has its own event, and a unique constraint on (incident, round) lets exactly one
    of several workers record it: the database is the claim."""
    from upstate.notifications.services import record_paging_event

    now = now or timezone.now()
    # The shortest target any organization may set bounds what can be due (partial index
    # incident_triggered serves the join).
    firsts = Event.objects.filter(
        kind=EventKind.PAGING_NEW,
        created_at__lte=now - timedelta(minutes=1),
        incident__response_state=ResponseState.TRIGGERED,
    ).select_related("incident")
    targets: dict[int, dict[str, timedelta]] = {}
    recorded = 0
    for first in firsts:
        incident = first.incident
        if incident.org_id not in targets:
            targets[incident.org_id] = response_targets(incident.org_id)
        target = targets[incident.org_id][incident.severity or ""]
        round = int((now - first.created_at) / target)
        if round < 1:
            continue
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


def target_of(incident: Incident) -> timedelta:
    """The incident's response target: its organization's for its severity."""
    return response_targets(incident.org_id)[incident.severity or ""]


# --- Fan-out (in the worker) -------------------------------------------------------------------


def routed_team(incident: Incident) -> Team | None:
    """The team routed for the incident's category; None pages every responder."""
    if not incident.category:
        return None
    route = (
        Route.objects.filter(org_id=incident.org_id, category=incident.category)
        .select_related("team__org")
        .first()
    )
    return route.team if route is not None else None


def responders(incident: Incident, team: Team | None = None) -> list[Membership]:
    """The team routed for the incident's category, else every member who can respond."""
    team = team or routed_team(incident)
    if team is not None:
        members = team.members.all()
    else:
        members = Membership.objects.filter(org_id=incident.org_id, role__in=RESPONDER_ROLES)
    return list(members.select_related("user").order_by("id"))


def next_level(incident: Incident, team: Team | None) -> list[Membership]:
    """Whom an escalation reaches after the team: its escalation contact, else the admins."""
    if team is not None and team.escalation_contact_id is not None:
        contact = Membership.objects.filter(id=team.escalation_contact_id).select_related("user")
        return list(contact)
    admins = Membership.objects.filter(org_id=incident.org_id, role__in=MANAGER_ROLES)
    return list(admins.select_related("user").order_by("id"))


def paged_members(incident: Incident, event: Event) -> list[Membership]:
    """Who the event pages (see the module's docstring), on-call member first, each once."""
    team = routed_team(incident)
    on_call = on_call_member(team)
    first = [on_call] if on_call is not None else []
    if event.kind == EventKind.PAGING_NEW:
        chosen = first or responders(incident, team)
    elif event.kind == EventKind.PAGING_REPEAT and event.round >= NEXT_LEVEL_ROUND:
        chosen = first + next_level(incident, team)
    else:
        chosen = first + responders(incident, team)
    unique: dict[int, Membership] = {}
    for member in chosen:
        unique.setdefault(member.id, member)
    return list(unique.values())


def phone_channel(org_id: int) -> Channel:
    from upstate.notifications.providers import ready_channels

    return Channel.WHATSAPP if Channel.WHATSAPP in ready_channels(org_id) else Channel.SMS


def page_targets(event: Event) -> list[Target]:
    """An email to every responder, plus a phone message for critical and high severity (to
    the number in their profile; without one the delivery fails with that reason, visible in
    the delivery log)."""
    from upstate.notifications.services import Target

    incident = Incident.objects.get(id=event.incident_id)
    members = paged_members(incident, event)
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
    minutes = int(target_of(incident).total_seconds() // 60) * event.round
    escalated = event.kind == EventKind.PAGING_ESCALATED
    next_level = repeat and event.round >= NEXT_LEVEL_ROUND
    context = {
        "incident": incident,
        "severity": severity,
        "category": category,
        "url": f"{settings.PUBLIC_URL}{path}",
        "repeat": repeat,
        "escalated": escalated,
        "next_level": next_level,
        "minutes": minutes,
    }
    prefix = f"Unacknowledged for {minutes} min: " if repeat else ""
    if next_level:
        prefix = f"Escalated, unacknowledged for {minutes} min: "
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


UNCHANGED: Any = object()


@transaction.atomic
def change_team(
    *,
    team: Team,
    members: list[Membership] | None = None,
    escalation_contact: Membership | None = UNCHANGED,
) -> Team:
    """Change the team's members and/or its escalation contact (None: the admins)."""
    details: dict[str, Any] = {}
    if members is not None:
        team.members.set(_team_members(team.org, members))
        details["members"] = len(members)
    if escalation_contact is not UNCHANGED:
        if escalation_contact is not None:
            _team_members(team.org, [escalation_contact])
        team.escalation_contact = escalation_contact
        team.save(update_fields=["escalation_contact"])
        details["escalation_contact"] = escalation_contact.user.email if escalation_contact else ""
    record(org=team.org_id, action="team.changed", target=team, details=details)
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
