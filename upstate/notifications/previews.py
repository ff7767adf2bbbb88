"""Dashboard: every email a subscriber of a page can receive, rendered for a sample incident
and a sample maintenance of that page. The samples go through the real services inside a
transaction that is then rolled back, so each preview is exactly what the worker would send,
and nothing of them remains (no event, no delivery, no snapshot rebuild, no audit entry)."""

from __future__ import annotations

import email
from collections.abc import Iterator
from datetime import timedelta
from email.message import Message
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from upstate.dashboard.access import get_for_member
from upstate.incidents.models import Impact, IncidentStatus
from upstate.incidents.services import create_incident, post_update
from upstate.maintenance.models import MaintenanceStatus
from upstate.maintenance.services import post_maintenance_update, schedule_maintenance
from upstate.notifications.content import render_event
from upstate.notifications.models import Event, EventKind
from upstate.notifications.transports import PreparedEmail, personal_links
from upstate.pages.models import Component, StatusPage
from upstate.subscribers.models import Channel, Subscriber

CONFIRMATION = "confirmation"
SAMPLE_ADDRESS = "subscriber@example.com"
KINDS = [(CONFIRMATION, "Confirmation (double opt-in)")] + [(k.value, k.label) for k in EventKind]


class _Rollback(Exception):
    pass


def _sample_steps(page: StatusPage) -> Iterator[dict[str, Any]]:
    """Post a sample incident and maintenance through the services (in the caller's
    transaction), pausing after each change so its event is rendered with the page as it was
    then (an incident's components are back to operational once it resolves)."""
    components = list(Component.objects.filter(page=page).order_by("position", "id")[:2])
    incident = create_incident(
        page=page,
        title="Sample: elevated error rates",
        impact=Impact.MAJOR,
        components=dict.fromkeys(components),
        message="We are **investigating** elevated error rates on some requests.",
    )
    yield {"incident": incident}
    post_update(
        incident=incident,
        status=IncidentStatus.IDENTIFIED,
        message="A faulty release is the cause; we are rolling it back.",
    )
    yield {"incident": incident}
    post_update(
        incident=incident,
        status=IncidentStatus.RESOLVED,
        message="The rollback is complete and error rates are back to normal.",
    )
    yield {"incident": incident}
    start = timezone.now() + timedelta(days=2)
    maintenance = schedule_maintenance(
        page=page,
        title="Sample: database upgrade",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        message="We are upgrading the primary database; expect **brief** read-only periods.",
        components=components,
    )
    yield {"maintenance": maintenance}
    for status in (MaintenanceStatus.IN_PROGRESS, MaintenanceStatus.COMPLETED):
        post_maintenance_update(maintenance=maintenance, status=status)
        yield {"maintenance": maintenance}


# Responders' pages are recorded with the same steps; they are not subscriber emails.
SUBSCRIBER_KINDS = [kind.value for kind in EventKind if not kind.is_paging]


def _sample_subscriber(page: StatusPage) -> Subscriber:
    return Subscriber(page=page, channel=Channel.EMAIL, address=SAMPLE_ADDRESS, token="preview")


def sample_messages(page: StatusPage) -> dict[str, Message]:
    """Each kind's email to a sample subscriber, parsed as a mail client would."""
    subscriber = _sample_subscriber(page)
    found: dict[str, Message] = {}
    try:
        with transaction.atomic():
            for sample in _sample_steps(page):
                event = (
                    Event.objects.filter(**sample, kind__in=SUBSCRIBER_KINDS)
                    .exclude(kind__in=found)
                    .first()
                )
                if event is None:
                    continue
                content = render_event(event)
                if content is None:
                    continue
                mail = content["email"]
                prepared = PreparedEmail(
                    subject=mail["subject"],
                    text=mail["text"],
                    html=mail["html"],
                    page_name=page.name,
                    event_code=event.code,
                )
                data = prepared.render(SAMPLE_ADDRESS, "preview", personal_links(subscriber))
                found[event.kind] = email.message_from_bytes(data)
            raise _Rollback
    except _Rollback:
        pass
    return found


def confirmation_message(page: StatusPage) -> Message:
    from upstate.subscribers.tasks import confirmation_email

    subscriber = _sample_subscriber(page)
    subscriber.code = "preview"
    return email.message_from_bytes(confirmation_email(subscriber).message().as_bytes())


def _parts(message: Message) -> dict[str, Any]:
    parts = {}
    for part in message.walk():
        if part.get_content_maintype() == "text":
            parts[part.get_content_subtype()] = part.get_payload(decode=True).decode()
    headers = ["From", "To", "Subject", "List-Unsubscribe", "List-Unsubscribe-Post"]
    return {
        "headers": [(h, message[h]) for h in headers if message[h]],
        "text": parts.get("plain", ""),
        "html": parts.get("html", ""),
    }


@login_required
def notification_preview(request: HttpRequest, org_slug: str, page_slug: str) -> HttpResponse:
    page, _ = get_for_member(
        request, StatusPage, org_slug=org_slug, slug=page_slug, require="respond"
    )
    kind = request.GET.get("kind", EventKind.INCIDENT_CREATED.value)
    if kind not in dict(KINDS):
        kind = EventKind.INCIDENT_CREATED.value
    if kind == CONFIRMATION:
        message = confirmation_message(page)
    else:
        message = sample_messages(page)[kind]
    context = {"page": page, "kinds": KINDS, "kind": kind, "mail": _parts(message)}
    return render(request, "notifications/preview.html", context)
