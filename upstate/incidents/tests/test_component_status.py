from __future__ import annotations

from upstate.incidents.services import create_incident, post_update
from upstate.maintenance.services import post_maintenance_update, schedule_maintenance
from upstate.pages.health import component_statuses
from upstate.pages.models import ComponentStatus


def test_impact_sets_component_status(page, api_component):
    create_incident(page=page, title="Slow API", impact="minor", components={api_component: None})
    assert component_statuses(page)[api_component.id] == ComponentStatus.DEGRADED_PERFORMANCE


def test_override_beats_impact(page, api_component):
    create_incident(
        page=page,
        title="API down",
        impact="minor",
        components={api_component: ComponentStatus.MAJOR_OUTAGE},
    )
    assert component_statuses(page)[api_component.id] == ComponentStatus.MAJOR_OUTAGE


def test_it_reverts_components_when_resolved(page, api_component, web_component):
    first = create_incident(
        page=page, title="A", impact="critical", components={api_component: None}
    )
    create_incident(page=page, title="B", impact="minor", components={api_component: None})
    assert component_statuses(page)[api_component.id] == ComponentStatus.MAJOR_OUTAGE
    update = post_update(incident=first, status="resolved", message="Fixed")
    statuses = component_statuses(page)
    assert statuses[api_component.id] == ComponentStatus.DEGRADED_PERFORMANCE
    change = update.changes.get()
    assert (change.old_status, change.new_status) == ("major_outage", "degraded_performance")


def test_maintenance_holds_components_while_underway(page, api_component):
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    maintenance = schedule_maintenance(
        page=page,
        title="DB upgrade",
        starts_at=now,
        ends_at=now + timedelta(hours=1),
        components=[api_component],
    )
    assert component_statuses(page)[api_component.id] == ComponentStatus.OPERATIONAL
    post_maintenance_update(maintenance=maintenance, status="in_progress")
    assert component_statuses(page)[api_component.id] == ComponentStatus.UNDER_MAINTENANCE
    post_maintenance_update(maintenance=maintenance, status="completed")
    assert component_statuses(page)[api_component.id] == ComponentStatus.OPERATIONAL
