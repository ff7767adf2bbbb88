from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from upstate.lib.errors import InvalidInput
from upstate.maintenance.models import Maintenance, MaintenanceStatus
from upstate.maintenance.services import (
    advance_due_maintenance,
    change_maintenance,
    schedule_maintenance,
)
from upstate.pages.health import component_statuses
from upstate.pages.models import ComponentStatus


@pytest.fixture
def window():
    now = timezone.now()
    return now + timedelta(hours=1), now + timedelta(hours=3)


def test_it_starts_and_completes_at_the_window_edges(page, api_component, window):
    starts_at, ends_at = window
    maintenance = schedule_maintenance(
        page=page,
        title="DB upgrade",
        starts_at=starts_at,
        ends_at=ends_at,
        components=[api_component],
    )
    assert advance_due_maintenance(now=starts_at - timedelta(minutes=1)) == 0
    assert advance_due_maintenance(now=starts_at + timedelta(seconds=1)) == 1
    maintenance.refresh_from_db()
    assert maintenance.status == MaintenanceStatus.IN_PROGRESS
    assert component_statuses(page)[api_component.id] == ComponentStatus.UNDER_MAINTENANCE
    assert advance_due_maintenance(now=starts_at + timedelta(minutes=5)) == 0
    assert advance_due_maintenance(now=ends_at) == 1
    maintenance.refresh_from_db()
    assert maintenance.status == MaintenanceStatus.COMPLETED
    statuses = [u.status for u in maintenance.updates.all()]
    assert statuses == ["completed", "in_progress", "scheduled"]
    assert component_statuses(page)[api_component.id] == ComponentStatus.OPERATIONAL


def test_manual_maintenance_waits_for_a_person(page, window):
    starts_at, ends_at = window
    maintenance = schedule_maintenance(
        page=page,
        title="Manual",
        starts_at=starts_at,
        ends_at=ends_at,
        auto_start=False,
        auto_complete=False,
    )
    assert advance_due_maintenance(now=ends_at + timedelta(hours=1)) == 0
    maintenance.refresh_from_db()
    assert maintenance.status == MaintenanceStatus.SCHEDULED


def test_the_window_must_end_after_it_starts(page, window):
    starts_at, _ = window
    with pytest.raises(InvalidInput) as caught:
        schedule_maintenance(page=page, title="x", starts_at=starts_at, ends_at=starts_at)
    assert caught.value.field == "ends_at"
    assert not Maintenance.objects.exists()


def test_change_keeps_the_window_valid(page, window):
    starts_at, ends_at = window
    maintenance = schedule_maintenance(page=page, title="x", starts_at=starts_at, ends_at=ends_at)
    with pytest.raises(InvalidInput):
        change_maintenance(maintenance=maintenance, ends_at=starts_at - timedelta(hours=1))
    maintenance.refresh_from_db()
    assert maintenance.ends_at == ends_at


def test_components_must_belong_to_the_page(page, other_page, window):
    from upstate.pages.services import create_component

    foreign = create_component(page=other_page, name="Theirs")
    with pytest.raises(InvalidInput) as caught:
        schedule_maintenance(
            page=page, title="x", starts_at=window[0], ends_at=window[1], components=[foreign]
        )
    assert caught.value.field == "component_ids"
