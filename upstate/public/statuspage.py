"""Statuspage-compatible JSON documents of a page (``api/v2/*.json``), built into the snapshot.

Field names, order, enums and nulls follow Atlassian Statuspage's public v2 API, so that
clients written for it (widgets, exporters, CLIs) work unchanged.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from upstate.incidents.models import Incident, IncidentUpdate
from upstate.lib.timefmt import iso_ms
from upstate.maintenance.models import Maintenance, MaintenanceStatus, MaintenanceUpdate
from upstate.pages.health import rollup
from upstate.pages.models import Component, ComponentGroup, ComponentStatus, StatusPage
from upstate.public import links
from upstate.public.links import maintenance_url
from upstate.public.state import RECENT_LIMIT, PageState, load

Obj = dict[str, Any]

UPCOMING = [MaintenanceStatus.SCHEDULED]
ACTIVE = [MaintenanceStatus.IN_PROGRESS, MaintenanceStatus.VERIFYING]


class _Writer:
    """Turns a loaded `PageState` into Statuspage objects, timestamps in the page's zone."""

    def __init__(self, state: PageState) -> None:
        self.state = state
        self.page = state.page
        self.by_id: dict[int, Obj] = {}  # component id -> its object, groups left out
        self.components = self._components()
        self.rank = {obj["id"]: n for n, obj in enumerate(self.components)}

    def time(self, value: datetime | None) -> str | None:
        return iso_ms(value, self.page.time_zone)

    def page_obj(self) -> Obj:
        return {
            "id": self.page.code,
            "name": self.page.name,
            "url": links.page_url(self.page),
            "time_zone": self.page.time_zone,
            "updated_at": self.time(self.state.updated_at()),
        }

    def status_obj(self) -> Obj:
        result = rollup(list(self.state.statuses.values()))
        return {"indicator": result.indicator, "description": result.description}

    # --- components ---------------------------------------------------------------------

    def _component(self, c: Component | ComponentGroup, position: int, group_id: str | None) -> Obj:
        is_group = isinstance(c, ComponentGroup)
        if is_group:
            status, updated_at = self.state.group_status(c), c.updated_at
        else:
            status, updated_at = self.state.status(c), self.state.component_updated_at(c)
        obj = {
            "id": c.code,
            "name": c.name,
            "status": ComponentStatus(status).value,
            "created_at": self.time(c.created_at),
            "updated_at": self.time(updated_at),
            "position": position,
            "description": c.description or None,
            "showcase": False if is_group else c.showcase,
            "start_date": None if is_group or not c.start_date else c.start_date.isoformat(),
            "group_id": group_id,
            "page_id": self.page.code,
            "group": is_group,
            "only_show_if_degraded": False if is_group else c.only_show_if_degraded,
        }
        if is_group:
            obj["components"] = [k.code for k in self.state.children.get(c.id, [])]
        else:
            self.by_id[c.id] = obj
        return obj

    def _components(self) -> list[Obj]:
        """All components and groups; positions restart at 1 within each parent, and the
        flat list is sorted by position (children interleave), as Statuspage lists them."""
        tree: list[Obj] = []
        for position, item in enumerate(self.state.top_level(), start=1):
            tree.append(self._component(item, position, None))
            if isinstance(item, ComponentGroup):
                children = self.state.children.get(item.id, [])
                for child_position, child in enumerate(children, start=1):
                    tree.append(self._component(child, child_position, item.code))
        return sorted(tree, key=lambda c: c["position"])

    def components_for(self, ids: set[int]) -> list[Obj]:
        """Full objects of the given components, in the order components.json lists them."""
        found = [self.by_id[i] for i in ids if i in self.by_id]
        return sorted(found, key=lambda obj: self.rank[obj["id"]])

    # --- incidents ----------------------------------------------------------------------

    def _update(self, update: IncidentUpdate, incident: Incident) -> Obj:
        changes = [
            {
                "code": change.component_code,
                "name": change.name,
                "old_status": change.old_status,
                "new_status": change.new_status,
            }
            for change in update.component_changes
        ]
        return {
            "id": update.code,
            "status": update.status,
            "body": update.message,
            "incident_id": incident.code,
            "created_at": self.time(update.created_at),
            "updated_at": self.time(update.updated_at),
            "display_at": self.time(update.created_at),
            "affected_components": changes or None,
            "deliver_notifications": update.notify,
            "custom_tweet": None,
            "tweet_id": None,
        }

    def incident(self, incident: Incident) -> Obj:
        return {
            "id": incident.code,
            "name": incident.title,
            "status": incident.status,
            # Statuspage dates a backfilled incident at its backfill date, not its entry.
            "created_at": self.time(
                incident.started_at if incident.backfilled else incident.created_at
            ),
            "updated_at": self.time(incident.updated_at),
            "monitoring_at": self.time(incident.monitoring_at),
            "resolved_at": self.time(incident.resolved_at),
            "impact": incident.impact,
            "shortlink": links.incident_url(incident),
            "started_at": self.time(incident.started_at),
            "page_id": self.page.code,
            "incident_updates": [self._update(u, incident) for u in incident.update_rows],
            "components": self.components_for({a.component_id for a in incident.affected_rows}),
        }

    # --- maintenance --------------------------------------------------------------------

    def _maintenance_update(
        self, update: MaintenanceUpdate, previous: MaintenanceUpdate | None, m: Maintenance
    ) -> Obj:
        """Maintenance updates record no component changes; the one a maintenance makes
        itself is known: its components are under maintenance while it holds them."""

        def held(u: MaintenanceUpdate | None, c: Component) -> str:
            if u is not None and MaintenanceStatus(u.status).holds_components:
                return ComponentStatus.UNDER_MAINTENANCE.value
            return c.baseline_status

        ids = {c.id for c in m.components.all()}
        components = [c for c in self.state.components if c.id in ids]
        changes = [
            {
                "code": c.code,
                "name": c.display_name,
                "old_status": held(previous, c),
                "new_status": held(update, c),
            }
            for c in components
        ]
        return {
            "id": update.code,
            "status": update.status,
            "body": update.message,
            "incident_id": m.code,
            "created_at": self.time(update.created_at),
            "updated_at": self.time(update.created_at),
            "display_at": self.time(update.created_at),
            "affected_components": changes or None,
            "deliver_notifications": True,
            "custom_tweet": None,
            "tweet_id": None,
        }

    def maintenance(self, m: Maintenance) -> Obj:
        updates = list(m.updates.all())  # newest first
        older = [*updates[1:], None]
        return {
            "id": m.code,
            "name": m.title,
            "status": m.status,
            "created_at": self.time(m.created_at),
            "updated_at": self.time(m.updated_at),
            "monitoring_at": None,
            "resolved_at": self.time(m.completed_at),
            "impact": "maintenance",
            "shortlink": maintenance_url(m),
            "started_at": self.time(m.created_at),
            "page_id": self.page.code,
            "incident_updates": [
                self._maintenance_update(u, prev, m) for u, prev in zip(updates, older, strict=True)
            ],
            "components": self.components_for({c.id for c in m.components.all()}),
            "scheduled_for": self.time(m.starts_at),
            "scheduled_until": self.time(m.ends_at),
        }

    def maintenances(self, statuses: list[MaintenanceStatus] | None = None) -> list[Obj]:
        """Unfinished ones soonest first; the full list (any status) newest first."""
        if statuses is None:
            newest = sorted(
                self.state.maintenances, key=lambda m: (m.starts_at, m.id), reverse=True
            )
            rows = newest[:RECENT_LIMIT]
        else:
            rows = [m for m in self.state.maintenances if m.status in statuses]
        return [self.maintenance(m) for m in rows]


def _dump(document: Obj) -> bytes:
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()


def documents(page: StatusPage, state: PageState | None = None) -> dict[str, bytes]:
    """Snapshot path (relative to the page root, e.g. ``api/v2/summary.json``) -> bytes."""
    state = state or load(page)
    w = _Writer(state)
    page_obj = w.page_obj()
    # Each incident once: the recent and the unresolved ones are mostly the same.
    shown = {i.id: w.incident(i) for i in state.incidents}
    recent = [shown[i.id] for i in state.incidents[:RECENT_LIMIT]]
    unresolved = [shown[i.id] for i in state.active_incidents]
    return {
        "api/v2/summary.json": _dump(
            {
                "page": page_obj,
                "components": w.components,
                "incidents": unresolved,
                "scheduled_maintenances": w.maintenances(UPCOMING + ACTIVE),
                "status": w.status_obj(),
            }
        ),
        "api/v2/status.json": _dump({"page": page_obj, "status": w.status_obj()}),
        "api/v2/components.json": _dump({"page": page_obj, "components": w.components}),
        "api/v2/incidents.json": _dump({"page": page_obj, "incidents": recent}),
        "api/v2/incidents/unresolved.json": _dump({"page": page_obj, "incidents": unresolved}),
        "api/v2/scheduled-maintenances.json": _dump(
            {"page": page_obj, "scheduled_maintenances": w.maintenances()}
        ),
        "api/v2/scheduled-maintenances/upcoming.json": _dump(
            {"page": page_obj, "scheduled_maintenances": w.maintenances(UPCOMING)}
        ),
        "api/v2/scheduled-maintenances/active.json": _dump(
            {"page": page_obj, "scheduled_maintenances": w.maintenances(ACTIVE)}
        ),
    }
