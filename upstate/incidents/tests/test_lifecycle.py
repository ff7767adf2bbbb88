from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from upstate.incidents.models import Incident, IncidentStatus, IncidentUpdate
from upstate.incidents.services import (
    acknowledge_incident,
    change_incident,
    create_incident,
    delete_incident,
    post_update,
)
from upstate.lib.errors import InvalidInput
from upstate.pages.health import component_statuses
from upstate.pages.models import ComponentStatus


def test_the_incident_status_is_its_latest_updates(page, api_component):
    incident = create_incident(page=page, title="Errors", components={api_component: None})
    post_update(incident=incident, status="identified", message="Bad deploy")
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.IDENTIFIED
    assert incident.updates.first().status == IncidentStatus.IDENTIFIED


def test_it_may_jump_straight_to_resolved(page, api_component):
    incident = create_incident(page=page, title="Blip", components={api_component: None})
    post_update(incident=incident, status="resolved", message="Gone")
    incident.refresh_from_db()
    assert incident.resolved_at is not None
    assert component_statuses(page)[api_component.id] == ComponentStatus.OPERATIONAL


def test_monitoring_is_stamped_once(page):
    incident = create_incident(page=page, title="Slow")
    post_update(incident=incident, status="monitoring")
    first = Incident.objects.get(id=incident.id).monitoring_at
    post_update(incident=incident, status="monitoring")
    assert Incident.objects.get(id=incident.id).monitoring_at == first


def test_reopening_clears_resolved_at(page):
    incident = create_incident(page=page, title="Flaky")
    post_update(incident=incident, status="resolved")
    post_update(incident=incident, status="investigating", message="It is back")
    incident.refresh_from_db()
    assert incident.resolved_at is None
    assert incident.is_active


def test_an_update_can_recover_one_component(page, api_component, web_component):
    incident = create_incident(
        page=page,
        title="Outage",
        impact="major",
        components={api_component: None, web_component: None},
    )
    update = post_update(
        incident=incident,
        status="monitoring",
        components={web_component: ComponentStatus.OPERATIONAL},
    )
    statuses = component_statuses(page)
    assert statuses[api_component.id] == ComponentStatus.PARTIAL_OUTAGE
    assert statuses[web_component.id] == ComponentStatus.OPERATIONAL
    change = update.changes.get()
    assert change.component_code == web_component.code
    assert (change.old_status, change.new_status) == ("partial_outage", "operational")


def test_internal_incidents_leave_public_status_alone(page, api_component):
    create_incident(
        page=page,
        title="Quiet",
        impact="critical",
        visibility="internal",
        components={api_component: None},
    )
    assert component_statuses(page)[api_component.id] == ComponentStatus.OPERATIONAL


def test_impact_none_leaves_components_unchanged(page, api_component):
    create_incident(page=page, title="FYI", impact="none", components={api_component: None})
    assert component_statuses(page)[api_component.id] == ComponentStatus.OPERATIONAL


def test_baseline_is_kept_when_worse(page, api_component):
    api_component.baseline_status = ComponentStatus.PARTIAL_OUTAGE
    api_component.save()
    create_incident(page=page, title="Slow", impact="minor", components={api_component: None})
    assert component_statuses(page)[api_component.id] == ComponentStatus.PARTIAL_OUTAGE


def test_backfilled_incident_is_created_resolved(page, api_component):
    now = timezone.now()
    incident = create_incident(
        page=page,
        title="Last week",
        started_at=now - timedelta(days=7, hours=2),
        resolved_at=now - timedelta(days=7),
        components={api_component: None},
        message="Retroactive record",
    )
    assert incident.backfilled
    assert incident.status == IncidentStatus.RESOLVED
    assert incident.updates.get().notify is False
    assert component_statuses(page)[api_component.id] == ComponentStatus.OPERATIONAL


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "x" * 256}, "title"),
        ({"title": "ok", "status": "broken"}, "status"),
        ({"title": "ok", "status": "postmortem"}, "status"),
        ({"title": "ok", "impact": "huge"}, "impact"),
        ({"title": "ok", "severity": "urgent"}, "severity"),
        ({"title": "ok", "category": "weather"}, "category"),
        ({"title": "ok", "visibility": "secret"}, "visibility"),
        ({"title": "ok", "message": "x" * 25_001}, "message"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(page, kwargs, field):
    with pytest.raises(InvalidInput) as caught:
        create_incident(page=page, **kwargs)
    assert caught.value.field == field
    assert not Incident.objects.exists()


def test_backfill_times_are_checked(page):
    now = timezone.now()
    with pytest.raises(InvalidInput) as caught:
        create_incident(
            page=page,
            title="x",
            started_at=now - timedelta(hours=1),
            resolved_at=now - timedelta(hours=2),
        )
    assert caught.value.field == "resolved_at"
    with pytest.raises(InvalidInput) as caught:
        create_incident(page=page, title="x", started_at=now + timedelta(hours=1))
    assert caught.value.field == "started_at"


def test_components_must_belong_to_the_page(page, other_page):
    from upstate.pages.services import create_component

    foreign = create_component(page=other_page, name="Their API")
    with pytest.raises(InvalidInput) as caught:
        create_incident(page=page, title="x", components={foreign: None})
    assert caught.value.field == "component_ids"
    assert not Incident.objects.exists()


def test_a_failed_update_writes_nothing(page, api_component):
    incident = create_incident(page=page, title="x", components={api_component: None})
    with pytest.raises(InvalidInput):
        post_update(incident=incident, status="resolved", components={api_component: "exploded"})
    assert incident.updates.count() == 1
    assert Incident.objects.get(id=incident.id).status == IncidentStatus.INVESTIGATING


def test_acknowledge_records_tta_and_owner_once(page, owner, responder):
    incident = create_incident(page=page, title="x")
    acknowledge_incident(incident=incident, user=owner.user)
    first = Incident.objects.get(id=incident.id)
    acknowledge_incident(incident=incident, user=responder.user)
    again = Incident.objects.get(id=incident.id)
    assert first.acknowledged_at is not None
    assert again.acknowledged_at == first.acknowledged_at
    assert again.owner_id == owner.user.id


def test_change_incident_edits_details_without_a_timeline_entry(page):
    incident = create_incident(page=page, title="x", impact="minor")
    change_incident(incident=incident, title="Renamed", impact="critical", severity="high")
    incident.refresh_from_db()
    assert (incident.title, incident.impact, incident.severity) == ("Renamed", "critical", "high")
    assert incident.updates.count() == 1
    with pytest.raises(InvalidInput) as caught:
        change_incident(incident=incident, colour="red")
    assert caught.value.field == "colour"


def test_delete_removes_incident_and_updates(page, api_component):
    incident = create_incident(
        page=page, title="x", impact="critical", components={api_component: None}
    )
    post_update(incident=incident, status="identified")
    delete_incident(incident=incident)
    assert not Incident.objects.exists()
    assert not IncidentUpdate.objects.exists()
    assert component_statuses(page)[api_component.id] == ComponentStatus.OPERATIONAL


def test_suggested_next_status_follows_the_lifecycle():
    assert IncidentStatus.INVESTIGATING.suggested_next() == IncidentStatus.IDENTIFIED
    assert IncidentStatus.IDENTIFIED.suggested_next() == IncidentStatus.MONITORING
    assert IncidentStatus.MONITORING.suggested_next() == IncidentStatus.RESOLVED
    assert IncidentStatus.RESOLVED.suggested_next() == IncidentStatus.RESOLVED
