"""Everything a page's public documents show, loaded in a constant number of queries.

The Statuspage JSON and the feeds read the same `PageState`; nothing here decides how a
document looks, only what is public and in which order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Max, Prefetch, Q, QuerySet

from upstate.incidents.models import (
    ACTIVE_STATUSES,
    Incident,
    IncidentComponent,
    IncidentUpdate,
    UpdateComponentChange,
    Visibility,
)
from upstate.maintenance.models import Maintenance, MaintenanceStatus
from upstate.pages.health import component_statuses
from upstate.pages.models import Component, ComponentGroup, ComponentStatus, StatusPage
from upstate.tasks.models import Task

# Statuspage's incidents.json and scheduled-maintenances.json return "the 50 most recent".
RECENT_LIMIT = 50


@dataclass
class PageState:
    page: StatusPage
    groups: list[ComponentGroup]
    components: list[Component]  # every component, groups' children included
    statuses: dict[int, ComponentStatus]  # component id -> derived status
    incidents: list[Incident]  # public; the recent ones plus every active one, newest first
    maintenances: list[Maintenance]  # the recent ones plus every unfinished one
    children: dict[int, list[Component]] = field(default_factory=dict)  # group id -> components
    changed_at: dict[int, list[datetime]] = field(default_factory=dict)  # component id -> times

    def __post_init__(self) -> None:
        for component in self.components:
            if component.group_id is not None:
                self.children.setdefault(component.group_id, []).append(component)
        for incident in self.incidents:
            for update in incident.update_rows:
                for change in update.component_changes:
                    self.changed_at.setdefault(change.component_id, []).append(update.created_at)
        for maintenance in self.maintenances:
            for component in maintenance.components.all():
                stamps = [maintenance.started_at, maintenance.completed_at]
                self.changed_at.setdefault(component.id, []).extend(s for s in stamps if s)

    def status(self, component: Component) -> ComponentStatus:
        # A component created while this state loaded is in one query and not the other.
        return self.statuses.get(component.id, ComponentStatus(component.baseline_status))

    def group_status(self, group: ComponentGroup) -> ComponentStatus:
        """A group reports the worst status of its components."""
        return ComponentStatus.worst([self.status(c) for c in self.children.get(group.id, [])])

    def top_level(self) -> list[ComponentGroup | Component]:
        """Groups and ungrouped components in display order (the older first on a tie)."""
        items: list[ComponentGroup | Component] = [*self.groups]
        items += [c for c in self.components if c.group_id is None]
        return sorted(
            items, key=lambda i: (i.position, i.created_at, isinstance(i, Component), i.id)
        )

    def component_updated_at(self, component: Component) -> datetime:
        """The component's last edit or status change (an update naming it, a maintenance
        starting or completing on it), as far as the loaded incidents and maintenance tell."""
        return max([component.updated_at, *self.changed_at.get(component.id, [])])

    def updated_at(self) -> datetime:
        """The last change of anything the page shows."""
        stamps = [self.page.updated_at]
        stamps += [g.updated_at for g in self.groups]
        stamps += [self.component_updated_at(c) for c in self.components]
        stamps += [i.updated_at for i in self.incidents]
        stamps += [m.updated_at for m in self.maintenances]
        return max(stamps)

    @property
    def active_incidents(self) -> list[Incident]:
        return [i for i in self.incidents if i.status in ACTIVE_STATUSES]


def with_timelines(incidents: QuerySet[Incident]) -> QuerySet[Incident]:
    """The incidents with what their public documents show, as plain lists: ``update_rows``
    (newest first, each with its ``component_changes``), ``affected_rows`` and ``task_rows``
    (the postmortem's action items). Lists, not the related managers' prefetch: a manager makes
    a queryset per row, which was a third of loading a page with a long history
    (bench/snapshot_build.py)."""
    return incidents.select_related("postmortem").prefetch_related(
        Prefetch("updates", queryset=IncidentUpdate.objects.with_changes(), to_attr="update_rows"),
        Prefetch(
            "affected", queryset=IncidentComponent.objects.order_by("id"), to_attr="affected_rows"
        ),
        Prefetch("tasks", queryset=Task.objects.order_by("position", "id"), to_attr="task_rows"),
    )


def _incidents(page: StatusPage, rows: list[Incident] | None) -> list[Incident]:
    """The recent public incidents and every active one, newest first: picked from ``rows``
    (every public incident of the page, newest first, `with_timelines`) when the caller has
    loaded them already."""
    if rows is None:
        public = Incident.objects.filter(page=page, visibility=Visibility.PUBLIC)
        recent = public.values("id")[:RECENT_LIMIT]
        chosen = public.filter(Q(id__in=recent) | Q(status__in=ACTIVE_STATUSES))
        rows = list(with_timelines(chosen).order_by("-started_at", "-id"))
    else:
        rows = rows[:RECENT_LIMIT] + [i for i in rows[RECENT_LIMIT:] if i.is_active]
    for incident in rows:
        incident.page = page
    return rows


def _maintenances(page: StatusPage) -> list[Maintenance]:
    own = Maintenance.objects.filter(page=page)
    recent = own.order_by("-starts_at", "-id").values("id")[:RECENT_LIMIT]
    rows = own.filter(Q(id__in=recent) | ~Q(status=MaintenanceStatus.COMPLETED)).prefetch_related(
        "updates", Prefetch("components", queryset=Component.objects.only("id"))
    )
    maintenances = list(rows)
    for maintenance in maintenances:
        maintenance.page = page
    return maintenances


def load(
    page: StatusPage,
    *,
    incidents: bool = True,
    incident_rows: list[Incident] | None = None,
    loaded: tuple[list[ComponentGroup], list[Component], dict[int, ComponentStatus]] | None = None,
) -> PageState:
    """The page's state. Without `incidents` it holds none, and each component's last change
    comes from one aggregate query instead: what a notice about one incident needs, at a cost
    that does not grow with every update of every live incident on the page. A build has
    loaded every public incident for the HTML already (`incident_rows`), and the groups, the
    components (with their groups, in their order) and their statuses (`loaded`): the state
    takes them instead of reading them again."""
    if loaded is None:
        loaded = (
            list(ComponentGroup.objects.filter(page=page)),
            list(Component.objects.filter(page=page).select_related("group")),
            component_statuses(page),
        )
    groups, components, statuses = loaded
    state = PageState(
        page=page,
        groups=groups,
        components=components,
        statuses=statuses,
        incidents=_incidents(page, incident_rows) if incidents else [],
        maintenances=_maintenances(page),
    )
    if not incidents:
        for component_id, at in _last_changes(page):
            state.changed_at.setdefault(component_id, []).append(at)
    return state


def _last_changes(page: StatusPage) -> list[tuple[int, datetime]]:
    rows = (
        UpdateComponentChange.objects.filter(
            update__incident__page=page,
            update__incident__visibility=Visibility.PUBLIC,
            component__isnull=False,
        )
        .values("component_id")
        .annotate(at=Max("update__created_at"))
    )
    return [(row["component_id"], row["at"]) for row in rows]
