"""Embeddable views of a page, built into the snapshot:

- ``widget.json``: the little the script widget (``/widget.js``) and the badges need;
- ``embed`` (and ``embed?theme=light|dark``): a compact, script-free view for iframes;
- ``badge.svg`` and ``components/<code>/badge.svg``, each also as ``?style=<style>``.

A badge with another query (``?label=...``) is rendered per request by
``views.badge`` from ``widget.json``, without touching the database.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone

from upstate.incidents.models import Impact, IncidentStatus
from upstate.lib.badges import STYLES, render_badge
from upstate.maintenance.models import MaintenanceStatus
from upstate.pages.health import rollup
from upstate.pages.models import Component, ComponentGroup, ComponentStatus, StatusPage
from upstate.public.pages import _accent, _timezone
from upstate.public.state import PageState, load

WIDGET_DATA = "widget.json"
THEMES = ("light", "dark")

# A component status as a status indicator (the colour scale badges and the widget share).
STATUS_INDICATOR = {
    ComponentStatus.OPERATIONAL: "none",
    ComponentStatus.UNDER_MAINTENANCE: "maintenance",
    ComponentStatus.DEGRADED_PERFORMANCE: "minor",
    ComponentStatus.PARTIAL_OUTAGE: "major",
    ComponentStatus.MAJOR_OUTAGE: "critical",
}
IMPACT_INDICATOR = {"none": "neutral", "minor": "minor", "major": "major", "critical": "critical"}
_RANK = {"none": 0, "neutral": 1, "maintenance": 2, "minor": 3, "major": 4, "critical": 5}


@dataclass(frozen=True)
class Notice:
    """An active incident or underway maintenance, as the widget and the embed list it."""

    code: str
    name: str
    status: str  # its status's label: "Identified", "In progress"
    indicator: str  # colour: neutral, minor, major, critical, maintenance
    path: str  # relative to the page root
    components: list[str]  # codes of the affected components and of their groups

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.code,
            "name": self.name,
            "status": self.status,
            "indicator": self.indicator,
            "path": self.path,
            "components": self.components,
        }


def _codes(components: list[Component]) -> list[str]:
    codes: list[str] = []
    for component in components:
        codes.append(component.code)
        if component.group is not None and component.group.code not in codes:
            codes.append(component.group.code)
    return codes


def notices(state: PageState) -> list[Notice]:
    """Active public incidents, worst impact first (newest first on a tie), then underway
    maintenance."""
    by_id = {c.id: c for c in state.components}
    incidents = sorted(
        state.active_incidents,
        key=lambda i: (-_RANK[IMPACT_INDICATOR[i.impact]], -i.started_at.timestamp()),
    )
    found = [
        Notice(
            code=i.code,
            name=i.title,
            status=IncidentStatus(i.status).label,
            indicator=IMPACT_INDICATOR[Impact(i.impact)],
            path=f"incidents/{i.code}",
            components=_codes(
                [by_id[a.component_id] for a in i.affected_rows if a.component_id in by_id]
            ),
        )
        for i in incidents
    ]
    for m in state.maintenances:
        if MaintenanceStatus(m.status).holds_components:
            found.append(
                Notice(
                    code=m.code,
                    name=m.title,
                    status=MaintenanceStatus(m.status).label,
                    indicator="maintenance",
                    path=f"maintenances/{m.code}",
                    components=_codes([by_id[c.id] for c in m.components.all() if c.id in by_id]),
                )
            )
    return found


def _component_entries(state: PageState) -> dict[str, dict[str, Any]]:
    """Every component and group by code: name, status, its group's code."""
    entries: dict[str, dict[str, Any]] = {}
    for item in state.top_level():
        if isinstance(item, ComponentGroup):
            entries[item.code] = _entry(item.name, state.group_status(item), None)
            for child in state.children.get(item.id, []):
                entries[child.code] = _entry(child.name, state.status(child), item.code)
        else:
            entries[item.code] = _entry(item.name, state.status(item), None)
    return entries


def _entry(name: str, status: ComponentStatus, group: str | None) -> dict[str, Any]:
    status = ComponentStatus(status)
    return {
        "name": name,
        "status": status.value,
        "label": status.label,
        "indicator": STATUS_INDICATOR[status],
        "group": group,
    }


def widget_data(state: PageState) -> dict[str, Any]:
    page = state.page
    overall = rollup(list(state.statuses.values()))
    return {
        "page": {"id": page.code, "name": page.name, "accent": _accent(page)},
        "status": {"indicator": overall.indicator, "description": overall.description},
        "notices": [n.as_json() for n in notices(state)],
        "components": _component_entries(state),
    }


# --- Badges ----------------------------------------------------------------------------------


def badge_for(
    data: dict[str, Any], code: str | None, *, style: str, label: str | None = None
) -> bytes | None:
    """The badge of the page (``code`` None) or of one component or group, from
    ``widget_data``; None for an unknown code. ``label`` None means the default label."""
    page_name = data["page"]["name"]
    if code is None:
        status = data["status"]
        indicator = status["indicator"]
        message = "operational" if indicator == "none" else status["description"].lower()
        default_label, title = "status", f"{page_name}: {status['description']}"
    else:
        entry = data["components"].get(code)
        if entry is None:
            return None
        indicator, message = entry["indicator"], entry["label"].lower()
        default_label, title = entry["name"], f"{page_name}, {entry['name']}: {entry['label']}"
    return render_badge(
        label=default_label if label is None else label,
        message=message,
        indicator=indicator,
        title=title,
        style=style,
    )


def _badge_documents(data: dict[str, Any], prefix: str, code: str | None) -> dict[str, bytes]:
    path = f"{prefix}badge.svg"
    built = {path: badge_for(data, code, style=STYLES[0]) or b""}
    for style in STYLES:
        built[f"{path}?style={style}"] = badge_for(data, code, style=style) or b""
    return built


# --- The iframe view -------------------------------------------------------------------------


def _top_level(state: PageState) -> list[dict[str, str]]:
    rows = []
    for item in state.top_level():
        status = (
            state.group_status(item) if isinstance(item, ComponentGroup) else state.status(item)  # type: ignore[arg-type]
        )
        status = ComponentStatus(status)
        rows.append(
            {"name": item.name, "label": status.label, "indicator": STATUS_INDICATOR[status]}
        )
    return rows


def _embed(state: PageState, data: dict[str, Any], theme: str) -> bytes:
    tz = _timezone(state.page.time_zone)
    context = {
        "page": state.page,
        "data": data,
        "accent": data["page"]["accent"],
        "notices": data["notices"],
        "components": _top_level(state),
        "theme": theme,
        "updated_at": state.updated_at(),
    }
    with timezone.override(tz):
        return render_to_string("public/embed.html", context).encode()


def documents(page: StatusPage, state: PageState | None = None) -> dict[str, bytes]:
    """Snapshot path (e.g. ``badge.svg``) -> bytes."""
    state = state or load(page)
    data = widget_data(state)
    built = {WIDGET_DATA: json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()}
    built["embed"] = _embed(state, data, "auto")
    for theme in THEMES:
        built[f"embed?theme={theme}"] = _embed(state, data, theme)
    built.update(_badge_documents(data, "", None))
    for code in data["components"]:
        built.update(_badge_documents(data, f"components/{code}/", code))
    return built
