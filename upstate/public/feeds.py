"""RSS, Atom and iCalendar feeds of a page, built into the snapshot. Stored text passes
through ``xml_safe``: text saved before the accepted-text rule may hold control characters,
which the XML writer refuses (and a page whose feed cannot be built is never updated)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache
from html import escape
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from django.utils import timezone
from feedgen.feed import FeedGenerator
from icalendar import Calendar, Event

from upstate.incidents.models import Incident, IncidentStatus
from upstate.lib.markdown import render, to_text
from upstate.lib.text import xml_safe
from upstate.maintenance.models import Maintenance, MaintenanceStatus
from upstate.pages.models import StatusPage
from upstate.public import links
from upstate.public.links import maintenance_url
from upstate.public.state import PageState, load

# Completed maintenance stays in the calendar this long, so subscribers see it happened.
RECENTLY_COMPLETED = timedelta(days=30)


def _postmortem_published(incident: Incident) -> bool:
    postmortem = getattr(incident, "postmortem", None)
    return postmortem is not None and postmortem.is_published


def _content(incident: Incident, tz: str) -> str:
    """The incident's updates, newest first, as Statuspage's feeds show them."""
    zone = ZoneInfo(tz)
    parts = []
    if _postmortem_published(incident):
        url = escape(links.postmortem_url(incident))
        parts.append(f'<p><a href="{url}">Read the postmortem</a></p>')
    for update in incident.update_rows:
        parts.append(_update_content(update.created_at, update.status, update.message, zone))
    return "\n".join(parts)


# Each build writes every update of the feeds' incidents again; most are the same as in the
# build before (a storm of updates on a few incidents made this a tenth of a build).
@lru_cache(maxsize=4096)
def _update_content(created_at: datetime, status: str, message: str, zone: ZoneInfo) -> str:
    when = created_at.astimezone(zone).strftime("%b %d, %H:%M %Z")
    label = IncidentStatus(status).label
    return f"<p><small>{escape(when)}</small><br><strong>{label}</strong></p>\n" + render(message)


def _feed(state: PageState, self_path: str) -> FeedGenerator:
    page_url = links.page_url(state.page)
    feed = FeedGenerator()
    feed.id(page_url)
    feed.title(xml_safe(f"{state.page.name} - Incident history"))
    feed.description(xml_safe(f"Incident history of {state.page.name}"))
    feed.link(href=f"{page_url}/{self_path}", rel="self")
    feed.link(href=page_url, rel="alternate")  # last: RSS's <link> takes the last one
    feed.language("en")
    feed.updated(state.updated_at())
    for incident in state.incidents:  # newest first
        entry = feed.add_entry(order="append")
        url = links.incident_url(incident)
        entry.id(url)
        entry.guid(url, permalink=True)
        entry.title(xml_safe(incident.title))
        entry.link(href=url)
        entry.published(incident.started_at)
        entry.updated(incident.updated_at)
        entry.content(xml_safe(_content(incident, state.page.time_zone)), type="html")
    return feed


def _shown_in_calendar(maintenance: Maintenance, now: datetime) -> bool:
    if maintenance.status != MaintenanceStatus.COMPLETED:
        return True
    return (maintenance.completed_at or maintenance.ends_at) >= now - RECENTLY_COMPLETED


def _event(maintenance: Maintenance, host: str) -> Event:
    event = Event()
    event.add("uid", f"maintenance-{maintenance.code}@{host}")
    event.add("dtstamp", maintenance.updated_at.astimezone(UTC))
    event.add("last-modified", maintenance.updated_at.astimezone(UTC))
    event.add("dtstart", maintenance.starts_at.astimezone(UTC))
    event.add("dtend", maintenance.ends_at.astimezone(UTC))
    event.add("summary", xml_safe(maintenance.title))
    event.add("description", xml_safe(to_text(maintenance.message)))
    event.add("url", maintenance_url(maintenance))
    event.add("status", "CONFIRMED")
    return event


def _calendar(state: PageState) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", "-//Upstate//Scheduled maintenance//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", xml_safe(f"{state.page.name} - Scheduled maintenance"))
    host = urlsplit(links.page_url(state.page)).hostname or "upstate"
    now = timezone.now()
    for maintenance in state.maintenances:
        if _shown_in_calendar(maintenance, now):
            calendar.add_component(_event(maintenance, host))
    return calendar


def documents(page: StatusPage, state: PageState | None = None) -> dict[str, bytes]:
    """Snapshot path (e.g. ``history.rss``) -> bytes."""
    state = state or load(page)
    return {
        "history.rss": _feed(state, "history.rss").rss_str(pretty=True),
        "history.atom": _feed(state, "history.atom").atom_str(pretty=True),
        "maintenance.ics": _calendar(state).to_ical(),
    }
