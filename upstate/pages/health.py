"""Derived status: what each component and the whole page report right now.

Nothing here is stored: statuses are derived from the components' baselines and the
active incidents and underway maintenance that touch them.
"""

from __future__ import annotations

from dataclasses import dataclass

from upstate.incidents.models import IncidentComponent, Visibility
from upstate.maintenance.models import UNDERWAY_STATUSES, Maintenance
from upstate.pages.models import Component, ComponentStatus, StatusPage


def component_statuses(page: StatusPage) -> dict[int, ComponentStatus]:
    """Each component's status by id: the worst of its baseline and of every status asserted
    by an active public incident or underway maintenance. Resolving an incident therefore
    returns its components to whatever the others still assert, else to the baseline."""
    asserted: dict[int, list[ComponentStatus]] = {}
    for component in Component.objects.filter(page=page).only("id", "baseline_status"):
        asserted[component.id] = [ComponentStatus(component.baseline_status)]
    rows = IncidentComponent.objects.filter(
        incident__page=page,
        incident__resolved_at__isnull=True,
        incident__visibility=Visibility.PUBLIC,
    ).values_list("component_id", "status_override", "incident__impact")
    for component_id, override, impact in rows:
        row = IncidentComponent(status_override=override)
        status = row.asserted_status(impact)
        if status is not None and component_id in asserted:
            asserted[component_id].append(status)
    underway = Maintenance.components.through.objects.filter(
        maintenance__page=page, maintenance__status__in=UNDERWAY_STATUSES
    ).values_list("component_id", flat=True)
    for component_id in underway:
        if component_id in asserted:
            asserted[component_id].append(ComponentStatus.UNDER_MAINTENANCE)
    return {cid: ComponentStatus.worst(statuses) for cid, statuses in asserted.items()}


@dataclass(frozen=True)
class Rollup:
    indicator: str  # none, minor, major, critical, maintenance
    description: str


def rollup(statuses: list[ComponentStatus]) -> Rollup:
    """The page's overall status, by Statuspage's top-level rules."""
    if not statuses or all(s == ComponentStatus.OPERATIONAL for s in statuses):
        return Rollup("none", "All Systems Operational")
    every = lambda status: all(s == status for s in statuses)  # noqa: E731
    some = lambda status: any(s == status for s in statuses)  # noqa: E731
    if every(ComponentStatus.MAJOR_OUTAGE) and len(statuses) > 1:
        return Rollup("critical", "Major System Outage")
    if some(ComponentStatus.MAJOR_OUTAGE) and len(statuses) == 1:
        return Rollup("critical", "Major System Outage")
    if some(ComponentStatus.MAJOR_OUTAGE) or every(ComponentStatus.PARTIAL_OUTAGE):
        return Rollup("major", "Partial System Outage")
    if some(ComponentStatus.PARTIAL_OUTAGE):
        return Rollup("minor", "Minor Service Outage")
    if every(ComponentStatus.DEGRADED_PERFORMANCE):
        return Rollup("minor", "Degraded System Service")
    if some(ComponentStatus.DEGRADED_PERFORMANCE):
        return Rollup("minor", "Partially Degraded Service")
    return Rollup("maintenance", "Service Under Maintenance")
