"""What an event says, rendered once per event for every channel: the common facts, the email
(subject, text and HTML templates per message kind, with the page's branding) and the
Statuspage-shaped webhook payload. Per-subscriber links are marks the transports replace."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone

from upstate.incidents.models import Impact, Incident, IncidentStatus
from upstate.lib import markdown
from upstate.lib.timefmt import iso_ms
from upstate.maintenance.models import Maintenance, MaintenanceStatus
from upstate.notifications.models import Event, EventKind
from upstate.notifications.transports import MANAGE_MARK, UNSUBSCRIBE_MARK
from upstate.pages.models import ComponentStatus, StatusPage
from upstate.public import links
from upstate.public.state import load, with_timelines
from upstate.public.statuspage import _Writer

DOCUMENTATION = "https://github.com/upstate/upstate#webhook-notifications"

HEADLINES = {
    EventKind.INCIDENT_CREATED: "New incident",
    EventKind.INCIDENT_UPDATED: "Incident update",
    EventKind.INCIDENT_RESOLVED: "Resolved",
    EventKind.MAINTENANCE_SCHEDULED: "Scheduled maintenance",
    EventKind.MAINTENANCE_STARTED: "Maintenance in progress",
    EventKind.MAINTENANCE_COMPLETED: "Maintenance completed",
}

IMPACT_COLORS = {
    Impact.NONE: "#6b7280",
    Impact.MINOR: "#d97706",
    Impact.MAJOR: "#ea580c",
    Impact.CRITICAL: "#dc2626",
}
RESOLVED_COLOR = "#16a34a"
MAINTENANCE_COLOR = "#2563eb"


def _component_list(objs: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [
        {
            "name": o["name"],
            "status": o["status"],
            "status_label": ComponentStatus(o["status"]).label,
        }
        for o in objs
    ]


def _page(page: StatusPage) -> dict[str, str]:
    return {
        "id": page.code,
        "name": page.name,
        "url": links.page_url(page),
        "accent": page.accent_color,
        "logo_url": page.logo_url,
    }


def _up_to(obj: dict[str, Any], update_code: str) -> dict[str, Any]:
    """Only the timeline up to this event's update (later ones have their own events)."""
    codes = [u["id"] for u in obj["incident_updates"]]
    if update_code in codes:
        obj["incident_updates"] = obj["incident_updates"][codes.index(update_code) :]
    return obj


def _incident_facts(event: Event, writer: _Writer) -> dict[str, Any] | None:
    incident = with_timelines(Incident.objects.filter(id=event.incident_id)).first()
    if incident is None or not incident.is_public:
        return None
    incident.page = event.page
    update = event.incident_update
    obj = _up_to(writer.incident(incident), update.code)
    status = IncidentStatus(update.status)
    resolved = not status.is_active
    return {
        "title": incident.title,
        "status": status.value,
        "status_label": status.label,
        "impact": incident.impact,
        "message": update.message,
        "at": update.created_at,
        "url": links.incident_url(incident),
        "color": RESOLVED_COLOR if resolved else IMPACT_COLORS[Impact(incident.impact)],
        "components": _component_list(obj["components"]),
        "postmortem_url": _promised_postmortem(incident, event),
        "object": obj,
    }


def _promised_postmortem(incident: Incident, event: Event) -> str:
    """Where the postmortem will be, when this is the resolution notice of a page that promises
    one; else "". The incident's public address, since the postmortem is linked from it (and
    publishing one notifies nobody: this notice is the only word subscribers get)."""
    if event.kind != EventKind.INCIDENT_RESOLVED or not event.page.promise_postmortem:
        return ""
    return links.incident_url(incident)


def _maintenance_facts(event: Event, writer: _Writer) -> dict[str, Any] | None:
    maintenance = Maintenance.objects.filter(id=event.maintenance_id).first()
    if maintenance is None:
        return None
    maintenance.page = event.page
    update = event.maintenance_update
    obj = _up_to(writer.maintenance(maintenance), update.code)
    status = MaintenanceStatus(update.status)
    return {
        "title": maintenance.title,
        "status": status.value,
        "status_label": status.label,
        "impact": "maintenance",
        "message": update.message or maintenance.message,
        "at": update.created_at,
        "url": links.maintenance_url(maintenance),
        "color": RESOLVED_COLOR if status == MaintenanceStatus.COMPLETED else MAINTENANCE_COLOR,
        "components": _component_list(obj["components"]),
        "window": (maintenance.starts_at, maintenance.ends_at),
        "object": obj,
    }


def sms_text(content: dict[str, Any]) -> str:
    """The SMS and WhatsApp text: short, since every 160 characters are a paid segment."""
    return (
        f"{content['page']['name']}: {content['headline']}: {content['title']} "
        f"({content['status_label']}). {content['url']}"
    )


def render_event(event: Event) -> dict[str, Any] | None:
    """Everything the transports send for `event`; None when there is nothing to tell (the
    incident was made internal or deleted before the worker got to it)."""
    page = event.page
    writer = _Writer(load(page, incidents=False))
    kind = EventKind(event.kind)
    facts = (_incident_facts if kind.is_incident else _maintenance_facts)(event, writer)
    if facts is None:
        return None
    obj = facts.pop("object")
    window = facts.pop("window", None)
    at: datetime = facts.pop("at")
    content: dict[str, Any] = {
        "kind": kind.value,
        "headline": HEADLINES[kind],
        "page": _page(page),
        **facts,
        "message_text": markdown.to_text(facts["message"]),
        "at": iso_ms(at),
    }
    content["sms"] = sms_text(content)
    status = writer.status_obj()
    content["webhook"] = {
        "meta": {
            "unsubscribe": UNSUBSCRIBE_MARK,
            "documentation": DOCUMENTATION,
            "generated_at": iso_ms(timezone.now()),
            "event": kind.value,
        },
        "page": {
            "id": page.code,
            "status_indicator": status["indicator"],
            "status_description": status["description"],
        },
        "incident": obj,
    }
    context = {
        **content,
        "kind": kind,
        "at": at,
        "time_zone": page.time_zone,
        "message_html": markdown.render(facts["message"]),
        "window": window,
        "unsubscribe_url": UNSUBSCRIBE_MARK,
        "manage_url": MANAGE_MARK,
    }
    family = "incident" if kind.is_incident else "maintenance"
    content["email"] = {
        "subject": " ".join(
            render_to_string(f"notifications/email/{family}_subject.txt", context).split()
        ),
        "text": render_to_string(f"notifications/email/{family}.txt", context),
        "html": render_to_string(f"notifications/email/{family}.html", context),
    }
    return content
