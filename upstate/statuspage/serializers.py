"""Upstate's objects in Statuspage's management-API (v1) shapes: field names, enums (through
`enums`), `null` for everything unset, ISO 8601 UTC timestamps with milliseconds. The
`upstate import statuspage` command reads the same field names, so these are the one place
that knows them."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from upstate.incidents.models import (
    Incident,
    IncidentTemplate,
    IncidentUpdate,
    Postmortem,
)
from upstate.lib.timefmt import iso_ms
from upstate.maintenance.models import Maintenance, MaintenanceStatus, MaintenanceUpdate
from upstate.pages.health import component_statuses
from upstate.pages.models import Component, ComponentGroup, ComponentStatus, StatusPage
from upstate.public import links
from upstate.statuspage import enums
from upstate.subscribers.models import Channel, Subscriber

Obj = dict[str, Any]
POSTMORTEM_SECTIONS = (
    ("impact", "Impact"),
    ("root_cause", "Root cause"),
    ("resolution", "Resolution"),
    ("corrective_actions", "Corrective actions"),
    ("timeline", "Timeline"),
)


def _time(value: Any) -> str | None:
    return iso_ms(value)


class Statuses:
    """Component statuses of one page, computed once per response."""

    def __init__(self, page: StatusPage) -> None:
        self.page = page
        self._statuses: dict[int, ComponentStatus] | None = None

    def of(self, component: Component) -> str:
        if self._statuses is None:
            self._statuses = component_statuses(self.page)
        status = self._statuses.get(component.id, component.baseline_status)
        return enums.component_status(status)


def page(p: StatusPage) -> Obj:
    return {
        "id": p.code,
        "created_at": _time(p.created_at),
        "updated_at": _time(p.updated_at),
        "name": p.name,
        "page_description": p.description or None,
        "headline": None,
        "branding": "basic",
        "subdomain": p.slug,
        "domain": p.custom_domain or None,
        "url": links.page_url(p),
        "support_url": p.support_url or None,
        "hidden_from_search": p.private,
        "allow_page_subscribers": True,
        "allow_incident_subscribers": False,
        "allow_email_subscribers": True,
        "allow_sms_subscribers": True,
        "allow_rss_atom_feeds": True,
        "allow_webhook_subscribers": True,
        "notifications_from_email": settings.DEFAULT_FROM_EMAIL or None,
        "notifications_email_footer": None,
        "activity_score": 0,
        "twitter_username": None,
        "viewers_must_be_team_members": p.private,
        "ip_restrictions": None,
        "city": None,
        "state": None,
        "country": None,
        "time_zone": p.time_zone,
        "css_body_background_color": "#ffffff",
        "css_font_color": "#333333",
        "css_light_font_color": "#777777",
        "css_greens": "#2fcc66",
        "css_yellows": "#f1c40f",
        "css_oranges": "#e67e22",
        "css_blues": p.accent_color,
        "css_reds": "#e74c3c",
        "css_border_color": "#e0e0e0",
        "css_graph_color": p.accent_color,
        "css_link_color": p.accent_color,
        "css_no_data": "#b3bac5",
        "favicon_logo": None,
        "transactional_logo": None,
        "hero_cover": None,
        "email_logo": None,
        "twitter_logo": None,
    }


def component(c: Component, statuses: Statuses) -> Obj:
    return {
        "id": c.code,
        "page_id": statuses.page.code,
        "group_id": c.group.code if c.group_id else None,
        "created_at": _time(c.created_at),
        "updated_at": _time(c.updated_at),
        "group": False,
        "name": c.name,
        "description": c.description or None,
        "position": c.position,
        "status": statuses.of(c),
        "showcase": c.showcase,
        "only_show_if_degraded": c.only_show_if_degraded,
        "automation_email": None,
        "start_date": c.start_date.isoformat() if c.start_date else None,
    }


def group(g: ComponentGroup, page_code: str) -> Obj:
    return {
        "id": g.code,
        "page_id": page_code,
        "name": g.name,
        "description": g.description or None,
        "components": [c.code for c in g.components.all()],
        "position": g.position,
        "created_at": _time(g.created_at),
        "updated_at": _time(g.updated_at),
    }


def _update_fields(
    *, code: str, incident_code: str, status: str, body: str, at: Any, updated: Any
) -> Obj:
    return {
        "id": code,
        "incident_id": incident_code,
        "affected_components": None,
        "body": body,
        "created_at": _time(at),
        "custom_tweet": None,
        "deliver_notifications": True,
        "display_at": _time(at),
        "status": status,
        "tweet_id": None,
        "twitter_updated_at": None,
        "updated_at": _time(updated),
        "wants_twitter_update": False,
    }


def incident_update(u: IncidentUpdate, incident: Incident) -> Obj:
    obj = _update_fields(
        code=u.code,
        incident_code=incident.code,
        status=enums.incident_status(u.status),
        body=u.message,
        at=u.created_at,
        updated=u.updated_at,
    )
    changes = [
        {
            "code": ch.component_code,
            "name": ch.name,
            "old_status": enums.component_status(ch.old_status),
            "new_status": enums.component_status(ch.new_status),
        }
        for ch in u.component_changes
    ]
    obj["affected_components"] = changes or None
    obj["deliver_notifications"] = u.notify
    return obj


def maintenance_update(u: MaintenanceUpdate, m: Maintenance) -> Obj:
    return _update_fields(
        code=u.code,
        incident_code=m.code,
        status=enums.maintenance_status(u.status),
        body=u.message,
        at=u.created_at,
        updated=u.created_at,
    )


def postmortem_body(pm: Postmortem | None) -> str | None:
    """One Markdown text of the postmortem's sections, as Statuspage keeps a postmortem."""
    if pm is None:
        return None
    parts = [pm.summary.strip()] if pm.summary.strip() else []
    for field, heading in POSTMORTEM_SECTIONS:
        value = getattr(pm, field).strip()
        if value:
            parts.append(f"## {heading}\n\n{value}")
    return "\n\n".join(parts) or None


def _postmortem_of(i: Incident) -> Postmortem | None:
    try:
        return i.postmortem
    except Postmortem.DoesNotExist:
        return None


_SCHEDULE_NULLS: Obj = {
    "scheduled_for": None,
    "scheduled_until": None,
    "scheduled_remind_prior": False,
    "scheduled_reminded_at": None,
    "scheduled_auto_in_progress": False,
    "scheduled_auto_completed": False,
    "auto_transition_deliver_notifications_at_end": None,
    "auto_transition_deliver_notifications_at_start": None,
    "auto_transition_to_maintenance_state": None,
    "auto_transition_to_operational_state": None,
}


def incident(i: Incident, statuses: Statuses) -> Obj:
    pm = _postmortem_of(i)
    published = pm is not None and pm.is_published
    return {
        "id": i.code,
        "components": [component(a.component, statuses) for a in i.affected.all()],
        "created_at": _time(i.started_at if i.backfilled else i.created_at),
        "impact": enums.impact(i.impact),
        "impact_override": enums.impact(i.impact),
        "incident_updates": [incident_update(u, i) for u in i.updates.all()],
        "metadata": {},
        "monitoring_at": _time(i.monitoring_at),
        "name": i.title,
        "page_id": statuses.page.code,
        "postmortem_body": postmortem_body(pm) if published else None,
        "postmortem_body_last_updated_at": _time(pm.updated_at) if pm else None,
        "postmortem_ignored": False,
        "postmortem_notified_subscribers": False,
        "postmortem_notified_twitter": False,
        "postmortem_published_at": _time(pm.published_at) if published else None,
        "resolved_at": _time(i.resolved_at),
        **_SCHEDULE_NULLS,
        "shortlink": links.incident_url(i),
        "started_at": _time(i.started_at),
        "status": enums.incident_status(i.status),
        "updated_at": _time(i.updated_at),
        "reminder_intervals": None,
        "backfilled": i.backfilled,
    }


def maintenance(m: Maintenance, statuses: Statuses) -> Obj:
    completed = m.status == MaintenanceStatus.COMPLETED
    return {
        "id": m.code,
        "components": [component(c, statuses) for c in m.components.all()],
        "created_at": _time(m.created_at),
        "impact": enums.MAINTENANCE_IMPACT,
        "impact_override": enums.MAINTENANCE_IMPACT,
        "incident_updates": [maintenance_update(u, m) for u in m.updates.all()],
        "metadata": {},
        "monitoring_at": None,
        "name": m.title,
        "page_id": statuses.page.code,
        "postmortem_body": None,
        "postmortem_body_last_updated_at": None,
        "postmortem_ignored": False,
        "postmortem_notified_subscribers": False,
        "postmortem_notified_twitter": False,
        "postmortem_published_at": None,
        "resolved_at": _time(m.completed_at) if completed else None,
        **_SCHEDULE_NULLS,
        "scheduled_for": _time(m.starts_at),
        "scheduled_until": _time(m.ends_at),
        "scheduled_auto_in_progress": m.auto_start,
        "scheduled_auto_completed": m.auto_complete,
        # Upstate always holds a maintenance's components under maintenance while it is
        # underway and returns them afterwards, notifying at start and end.
        "auto_transition_to_maintenance_state": True,
        "auto_transition_to_operational_state": True,
        "auto_transition_deliver_notifications_at_start": True,
        "auto_transition_deliver_notifications_at_end": True,
        "shortlink": links.maintenance_url(m),
        "started_at": _time(m.started_at or m.created_at),
        "status": enums.maintenance_status(m.status),
        "updated_at": _time(m.updated_at),
        "reminder_intervals": None,
        "backfilled": False,
    }


def postmortem(pm: Postmortem | None, i: Incident) -> Obj:
    body = postmortem_body(pm)
    published = pm is not None and pm.is_published
    return {
        "preview_key": None,
        "body": body if published else None,
        "body_updated_at": _time(pm.updated_at) if published else None,
        "body_draft": body,
        "body_draft_updated_at": _time(pm.updated_at) if pm else None,
        "published_at": _time(pm.published_at) if published else None,
        "preview_url": None,
        "notify_subscribers": False,
        "notify_twitter": False,
        "custom_tweet": None,
        "incident_id": i.code,
        "page_id": i.page.code,
    }


def subscriber(s: Subscriber) -> Obj:
    channel = Channel(s.channel)
    return {
        "id": s.code,
        "skip_confirmation_notification": False,
        "mode": enums.subscriber_mode(s.channel),
        "email": s.address if channel == Channel.EMAIL else None,
        "endpoint": s.address if channel.is_url else None,
        "phone_number": s.address if channel.is_phone else None,
        "phone_country": None,
        "display_phone_number": s.address if channel.is_phone else None,
        "obfuscated_channel_name": None,
        "workspace_name": None,
        "quarantined_at": _time(s.disabled_at),
        "purge_at": None,
        "components": [c.code for c in s.components.all()],
        "page_access_user_id": None,
        "created_at": _time(s.created_at),
        "state": enums.subscriber_state(s.state),
    }


def template(t: IncidentTemplate, statuses: Statuses) -> Obj:
    affected = [a for a in t.affected.all() if a.component.page_id == statuses.page.id]
    return {
        "id": t.code,
        "components": [component(a.component, statuses) for a in affected],
        "name": t.name,
        "title": t.title,
        "body": t.message,
        "group_id": t.group or None,
        "update_status": enums.incident_status(t.status),
        "should_tweet": False,
        "should_send_notifications": t.notify,
    }
