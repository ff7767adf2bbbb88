"""The public HTML of a page (status, history, incidents, postmortems), built into the snapshot.

Everything is loaded in a constant number of queries (see ``load``), then every document is
rendered from memory. Links between documents are relative to the document's own path
(``./history`` from the page root, ``../history`` from ``incidents/<code>``...), so the same
bytes work at ``/p/<slug>/`` and at the root of a custom domain.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from django.db.models import Model, Prefetch
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from upstate.incidents.models import (
    Impact,
    Incident,
    IncidentStatus,
    Postmortem,
    Severity,
    Visibility,
)
from upstate.lib.markdown import render
from upstate.maintenance.models import Maintenance, MaintenanceStatus, MaintenanceUpdate
from upstate.monitors.stats import component_checks
from upstate.pages.health import Rollup, component_statuses, rollup
from upstate.pages.models import Component, ComponentGroup, ComponentStatus, StatusPage
from upstate.public import links, uptime
from upstate.public.snapshot import Body, Keyed
from upstate.public.state import with_timelines
from upstate.public.templatetags.public_page import IMPACT_CSS, STATUS_CSS

HISTORY_PAGE_SIZE = 25
RECENT_DAYS = 7  # "Past incidents" on the status page, today included
DEFAULT_ACCENT = "#2563eb"
_HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


# --- What the templates show -------------------------------------------------------------


def _same_day(first: datetime, second: datetime | None) -> bool:
    """Whether both fall on one day of the zone being rendered (the page's)."""
    if second is None:
        return False
    tz = timezone.get_current_timezone()
    return first.astimezone(tz).date() == second.astimezone(tz).date()


@dataclass
class ChangeView:
    name: str
    old: ComponentStatus
    new: ComponentStatus


@dataclass
class UpdateView:
    status: str
    status_label: str
    html: SafeString
    at: datetime
    changes: list[ChangeView] = field(default_factory=list)


@dataclass
class IncidentView:
    incident: Incident
    components: list[Component]
    updates: list[UpdateView]  # newest first
    postmortem: Postmortem | None  # only when published
    show_severity: bool

    @property
    def code(self) -> str:
        return self.incident.code

    @property
    def title(self) -> str:
        return self.incident.title

    @property
    def status(self) -> str:
        return self.incident.status

    @property
    def status_label(self) -> str:
        return IncidentStatus(self.incident.status).label

    @property
    def impact(self) -> str:
        return self.incident.impact

    @property
    def impact_label(self) -> str:
        return Impact(self.incident.impact).label

    @property
    def severity(self) -> str:
        return self.incident.severity if self.show_severity else ""

    @property
    def severity_label(self) -> str:
        return Severity(self.incident.severity).label if self.severity else ""

    @property
    def is_active(self) -> bool:
        return self.incident.is_active

    @property
    def started_at(self) -> datetime:
        return self.incident.started_at

    @property
    def resolved_at(self) -> datetime | None:
        return self.incident.resolved_at

    @property
    def status_css(self) -> str:
        return IMPACT_CSS[self.incident.impact] if self.is_active else "ok"

    @property
    def impact_text(self) -> str:
        if self.incident.impact == Impact.NONE:
            return "No impact"
        return f"{Impact(self.incident.impact).label} impact"

    @property
    def resolved_same_day(self) -> bool:
        return _same_day(self.incident.started_at, self.incident.resolved_at)

    @property
    def latest(self) -> UpdateView | None:
        return self.updates[0] if self.updates else None

    @property
    def duration(self) -> str:
        if self.incident.resolved_at is None:
            return ""
        return format_duration(
            (self.incident.resolved_at - self.incident.started_at).total_seconds()
        )


@dataclass
class MaintenanceView:
    maintenance: Maintenance
    components: list[Component]
    updates: list[UpdateView]
    message_html: SafeString

    @property
    def code(self) -> str:
        return self.maintenance.code

    @property
    def title(self) -> str:
        return self.maintenance.title

    @property
    def status(self) -> str:
        return self.maintenance.status

    @property
    def status_label(self) -> str:
        return MaintenanceStatus(self.maintenance.status).label

    @property
    def is_scheduled(self) -> bool:
        return self.maintenance.status == MaintenanceStatus.SCHEDULED

    @property
    def is_underway(self) -> bool:
        return MaintenanceStatus(self.maintenance.status).holds_components

    @property
    def starts_at(self) -> datetime:
        return self.maintenance.starts_at

    @property
    def ends_at(self) -> datetime:
        return self.maintenance.ends_at

    @property
    def same_day(self) -> bool:
        return _same_day(self.starts_at, self.ends_at)


@dataclass
class BarView:
    css: str  # ok, maint, minor, major, critical, none
    text: str  # the day and what happened, for the tooltip and screen readers


@dataclass
class ComponentView:
    component: Component
    status: ComponentStatus
    bars: list[BarView]
    uptime: str  # "99.95 % uptime" or "No data yet"
    shown: bool

    is_group = False

    @property
    def name(self) -> str:
        return self.component.name

    @property
    def description(self) -> str:
        return self.component.description

    @property
    def code(self) -> str:
        return self.component.code


@dataclass
class GroupView:
    group: ComponentGroup
    status: ComponentStatus
    children: list[ComponentView]

    @property
    def name(self) -> str:
        return self.group.name

    is_group = True

    @property
    def code(self) -> str:
        return self.group.code


@dataclass
class DayView:
    day: date
    incidents: list[IncidentView]


# --- Formatting ------------------------------------------------------------------------------


def format_duration(seconds: float) -> str:
    """'2 d 3 h', '1 h 20 min', '5 min', 'under a minute'."""
    minutes = int(seconds // 60)
    if minutes < 1:
        return "under a minute"
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min"


def _day_label(day: date) -> str:
    return f"{day:%b} {day.day}, {day.year}"


def _bar(day: uptime.Day) -> BarView:
    label = _day_label(day.day)
    worst = day.worst
    if worst is None:
        return BarView("none", f"{label}: no data")
    parts = []
    for status in sorted(day.seconds_by_status, key=lambda s: -s.rank):
        if status != ComponentStatus.OPERATIONAL:
            parts.append(f"{status.label} for {format_duration(day.seconds_by_status[status])}")
    if not parts:
        return BarView("ok", f"{label}: no downtime")
    text = f"{label}: {', '.join(parts)}"
    if day.labels:
        text += f" ({'; '.join(day.labels[:3])}{'…' if len(day.labels) > 3 else ''})"
    return BarView(STATUS_CSS[worst], text)


# --- Loading ---------------------------------------------------------------------------------


@dataclass
class Site:
    """Everything the documents show, loaded once per build."""

    page: StatusPage
    tz: ZoneInfo
    now: datetime
    groups: list[ComponentGroup]
    components: dict[int, Component]  # display order
    statuses: dict[int, ComponentStatus]
    incidents: list[IncidentView]  # public, newest first
    maintenances: list[MaintenanceView]  # by start
    spans: dict[int, list[uptime.Span]]  # component id -> spans
    # component id -> (hour, checks, failures) of its monitors; such components' bars
    # follow their checks (see uptime.checks_history)
    checks: dict[int, list[tuple[datetime, int, int]]] = field(default_factory=dict)

    @property
    def overall(self) -> Rollup:
        # The same input as summary.json's status, so the two always agree.
        return rollup(list(self.statuses.values()))

    @property
    def active_incidents(self) -> list[IncidentView]:
        return [i for i in self.incidents if i.is_active]

    @property
    def resolved_incidents(self) -> list[IncidentView]:
        return [i for i in self.incidents if not i.is_active]


def _timezone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError):
        return ZoneInfo("Etc/UTC")


def _incident_rows(page: StatusPage) -> list[Incident]:
    public = Incident.objects.filter(page=page, visibility=Visibility.PUBLIC)
    return list(with_timelines(public).order_by("-started_at", "-id"))


def _maintenance_rows(page: StatusPage) -> list[Maintenance]:
    return list(
        Maintenance.objects.filter(page=page)
        .prefetch_related(
            Prefetch("updates", queryset=MaintenanceUpdate.objects.order_by("-created_at", "-id")),
            Prefetch("components", queryset=Component.objects.only("id")),
        )
        .order_by("starts_at", "id")
    )


def _published_postmortem(incident: Incident) -> Postmortem | None:
    try:
        postmortem = incident.postmortem
    except Postmortem.DoesNotExist:
        return None
    return postmortem if postmortem.is_published else None


def _in_order(ids: set[int], components: dict[int, Component]) -> list[Component]:
    return [c for cid, c in components.items() if cid in ids]


def _incident_view(
    incident: Incident, components: dict[int, Component], show_severity: bool
) -> IncidentView:
    updates = [
        UpdateView(
            status=u.status,
            status_label=IncidentStatus(u.status).label,
            html=mark_safe(render(u.message)),  # noqa: S308 - render() sanitises with nh3
            at=u.created_at,
            changes=[
                ChangeView(ch.name, ComponentStatus(ch.old_status), ComponentStatus(ch.new_status))
                for ch in u.component_changes
                if ch.old_status != ch.new_status
            ],
        )
        for u in incident.update_rows  # newest first (model ordering)
    ]
    affected = {row.component_id for row in incident.affected_rows}
    return IncidentView(
        incident=incident,
        components=_in_order(affected, components),
        updates=updates,
        postmortem=_published_postmortem(incident),
        show_severity=show_severity,
    )


def _maintenance_view(
    maintenance: Maintenance, components: dict[int, Component]
) -> MaintenanceView:
    updates = [
        UpdateView(
            status=u.status,
            status_label=MaintenanceStatus(u.status).label,
            html=mark_safe(render(u.message)),  # noqa: S308 - render() sanitises with nh3
            at=u.created_at,
        )
        for u in maintenance.updates.all()
    ]
    ids = {c.id for c in maintenance.components.all()}
    return MaintenanceView(
        maintenance=maintenance,
        components=_in_order(ids, components),
        updates=updates,
        message_html=mark_safe(render(maintenance.message)),  # noqa: S308
    )


def load(page: StatusPage, now: datetime | None = None) -> Site:
    """Everything public about ``page`` in a constant number of queries."""
    now = now or timezone.now()
    groups = list(ComponentGroup.objects.filter(page=page).order_by("position", "id"))
    components = {
        c.id: c
        for c in Component.objects.filter(page=page)
        .select_related("group")  # display_name
        .order_by("position", "id")
    }
    statuses = component_statuses(page)
    incident_rows = _incident_rows(page)
    maintenance_rows = _maintenance_rows(page)
    spans: dict[int, list[uptime.Span]] = {}
    horizon = now - timedelta(days=uptime.DAYS + 1)
    for incident in incident_rows:
        if incident.resolved_at is None or incident.resolved_at >= horizon:
            for cid, found in uptime.incident_spans(incident, now).items():
                spans.setdefault(cid, []).extend(found)
    for maintenance in maintenance_rows:
        for cid, found in uptime.maintenance_spans(maintenance, now).items():
            spans.setdefault(cid, []).extend(found)
    return Site(
        page=page,
        tz=_timezone(page.time_zone),
        now=now,
        groups=groups,
        components=components,
        statuses=statuses,
        incidents=[_incident_view(i, components, page.show_severity) for i in incident_rows],
        maintenances=[_maintenance_view(m, components) for m in maintenance_rows],
        spans=spans,
        checks=component_checks(page.id, horizon),
    )


# --- Documents -------------------------------------------------------------------------------


def _component_view(site: Site, component: Component) -> ComponentView:
    status = site.statuses.get(component.id, ComponentStatus(component.baseline_status))
    bars: list[BarView] = []
    percent = ""
    if component.showcase:
        since = component.created_at
        if component.start_date is not None:
            since = uptime.day_bounds(component.start_date, site.tz)[0]
        spans = site.spans.get(component.id, [])
        if component.id in site.checks:
            found = uptime.checks_history(
                site.checks[component.id], spans, now=site.now, tz=site.tz, since=since
            )
        else:
            found = uptime.history(spans, now=site.now, tz=site.tz, since=since)
        bars = [_bar(day) for day in found.days]
        percent = "No data yet"
        if found.uptime is not None:
            percent = f"{uptime.format_percent(found.uptime)} uptime"
    shown = not component.only_show_if_degraded or status != ComponentStatus.OPERATIONAL
    return ComponentView(component, status, bars, percent, shown)


def _component_tree(site: Site) -> list[GroupView | ComponentView]:
    """Groups (with their shown children) and ungrouped components, in display order."""
    views = {cid: _component_view(site, c) for cid, c in site.components.items()}
    items: list[tuple[tuple[int, int, int], GroupView | ComponentView]] = []
    for group in site.groups:
        children = [v for v in views.values() if v.component.group_id == group.id]
        shown = [v for v in children if v.shown]
        if shown:
            worst = ComponentStatus.worst([v.status for v in children])
            items.append(((group.position, 0, group.id), GroupView(group, worst, shown)))
    for view in views.values():
        if view.component.group_id is None and view.shown:
            items.append(((view.component.position, 1, view.component.id), view))
    return [item for _, item in sorted(items, key=lambda pair: pair[0])]


def _by_day(site: Site, incidents: list[IncidentView]) -> list[DayView]:
    days: list[DayView] = []
    for incident in incidents:
        day = incident.started_at.astimezone(site.tz).date()
        if not days or days[-1].day != day:
            days.append(DayView(day, []))
        days[-1].incidents.append(incident)
    return days


def _recent_days(site: Site) -> list[DayView]:
    """The last RECENT_DAYS days, newest first, each with the resolved incidents it started."""
    today = site.now.astimezone(site.tz).date()
    found = {d.day: d for d in _by_day(site, site.resolved_incidents)}
    return [
        found.get(day, DayView(day, []))
        for day in (today - timedelta(days=n) for n in range(RECENT_DAYS))
    ]


def _root(path: str) -> str:
    """The relative URL of the page root from the document at ``path``."""
    return "../" * path.count("/") or "./"


def _accent(page: StatusPage) -> str:
    return page.accent_color if _HEX_COLOUR.match(page.accent_color or "") else DEFAULT_ACCENT


def _render(site: Site, path: str, template: str, context: dict) -> bytes:
    base = {
        "page": site.page,
        "site": site,
        "path": path,
        "root": _root(path),
        "canonical": f"{links.page_url(site.page)}/{path}".rstrip("/") + ("/" if not path else ""),
        "accent": _accent(site.page),
        "time_zone": site.tz.key,
        "now": site.now,
    }
    with timezone.override(site.tz):
        return render_to_string(template, {**base, **context}).encode()


def _history_documents(site: Site, keys: dict[str, str]) -> dict[str, Body]:
    resolved = site.resolved_incidents
    pages = max(1, math.ceil(len(resolved) / HISTORY_PAGE_SIZE))
    documents: dict[str, Body] = {}
    for number in range(1, pages + 1):
        path = "history" if number == 1 else f"history/{number}"
        chunk = resolved[(number - 1) * HISTORY_PAGE_SIZE : number * HISTORY_PAGE_SIZE]
        newer = None if number == 1 else ("history" if number == 2 else f"history/{number - 1}")
        older = f"history/{number + 1}" if number < pages else None
        context = {
            "days": _by_day(site, chunk),
            "number": number,
            "pages": pages,
            "newer": newer,
            "older": older,
            "total": len(resolved),
        }
        key = _digest((keys[""], number, pages, len(resolved), [keys[i.code] for i in chunk]))
        documents[path] = Keyed(key, partial(_render, site, path, "public/history.html", context))
    return documents


def _postmortem_context(incident: IncidentView) -> dict:
    postmortem = incident.postmortem
    sections = [
        {
            **section,
            "html": mark_safe(render(getattr(postmortem, section["key"]))),  # noqa: S308 - nh3
        }
        for section in postmortem.section_list()
    ]
    # Action items show under corrective actions, or last when the template has none. Their
    # state and due date only: who is assigned is the organization's business.
    return {
        "incident": incident,
        "sections": sections,
        "has_actions_section": any(s["key"] == "corrective_actions" for s in sections),
        "action_items": incident.incident.task_rows,
    }


# --- Keys of documents that only their subject changes --------------------------------------


def _row(instance: Model) -> tuple:
    # Every stored value, not a chosen few: a field a template starts showing is covered too.
    return tuple(getattr(instance, f.attname) for f in instance._meta.concrete_fields)


def _frame_key(site: Site) -> str:
    """What an incident's documents show besides the incident: the page's own settings, the
    names of components and groups, and the address the page is served at. Component
    statuses are not stored on these rows, so an outage's updates leave this key alone."""
    return _digest(
        (
            _row(site.page),
            [_row(c) for c in site.components.values()],
            [_row(g) for g in site.groups],
            links.page_url(site.page),
        )
    )


def _digest(parts: object) -> str:
    return hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()


def _incident_key(frame: str, incident: IncidentView) -> str:
    row = incident.incident
    postmortem = incident.postmortem
    parts = (
        frame,
        _row(row),
        [(_row(u), [_row(c) for c in u.component_changes]) for u in row.update_rows],
        [_row(a) for a in row.affected_rows],
        postmortem and (_row(postmortem), [_row(t) for t in row.task_rows]),
    )
    return _digest(parts)


def documents(page: StatusPage, site: Site | None = None) -> dict[str, Body]:
    """Snapshot path (``""`` is the page itself, ``incidents/<code>``...) -> HTML bytes, or a
    key and a way to render them for the incidents' own documents and the history (they do
    not move with the clock; a maintenance's do)."""
    site = site or load(page)
    upcoming = [m for m in site.maintenances if m.status != MaintenanceStatus.COMPLETED]
    built: dict[str, Body] = {
        "": _render(
            site,
            "",
            "public/status.html",
            {
                "overall": site.overall,
                "active": site.active_incidents,
                "underway": [m for m in upcoming if m.is_underway],
                "scheduled": [m for m in upcoming if not m.is_underway],
                "tree": _component_tree(site),
                "recent_days": _recent_days(site),
                "refresh": True,
            },
        )
    }
    # "" is the frame's key: what every document shows around its subject.
    keys = {"": _frame_key(site)}
    keys.update((i.code, _incident_key(keys[""], i)) for i in site.incidents)
    built.update(_history_documents(site, keys))
    for incident in site.incidents:
        key = keys[incident.code]
        path = f"incidents/{incident.code}"
        built[path] = Keyed(key, partial(_render_incident, site, path, incident))
        if incident.postmortem is not None:
            path = f"incidents/{incident.code}/postmortem"
            built[path] = Keyed(key, partial(_render_postmortem, site, path, incident))
    for maintenance in site.maintenances:
        path = f"maintenances/{maintenance.code}"
        built[path] = _render(site, path, "public/maintenance.html", {"maintenance": maintenance})
    return built


def _render_incident(site: Site, path: str, incident: IncidentView) -> bytes:
    return _render(site, path, "public/incident.html", {"incident": incident})


def _render_postmortem(site: Site, path: str, incident: IncidentView) -> bytes:
    return _render(site, path, "public/postmortem.html", _postmortem_context(incident))
