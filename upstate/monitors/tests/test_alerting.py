"""The alert policy end to end: real checks of a real local HTTP server, results stored as the
scheduler stores them, incidents opened, updated and resolved through the incident services."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from upstate.incidents.models import Incident, IncidentStatus, ResponseState, Source
from upstate.incidents.services import post_update, take_ownership
from upstate.maintenance.services import post_maintenance_update, schedule_maintenance
from upstate.monitors.models import MonitorStatus
from upstate.monitors.services import change_monitor, check_and_record
from upstate.notifications.models import Event
from upstate.notifications.tests.helpers import subscribe
from upstate.pages.health import component_statuses
from upstate.pages.models import ComponentStatus


def checks(monitor, target, *modes: str) -> None:
    for mode in modes:
        target.mode = mode
        check_and_record(monitor)


def incidents(page):
    return list(Incident.objects.filter(page=page))


def test_it_opens_an_incident_after_three_failures_not_before(http_monitor, http_target, page):
    checks(http_monitor, http_target, "error", "error")
    assert incidents(page) == []
    assert http_monitor.status == MonitorStatus.PENDING
    assert http_monitor.failures == 2
    checks(http_monitor, http_target, "error")
    (incident,) = incidents(page)
    assert http_monitor.status == MonitorStatus.DOWN
    assert incident.source == Source.MONITOR
    assert incident.response_state == ResponseState.TRIGGERED  # nobody has taken it yet
    assert incident.title == "Public API is down"
    assert incident.status == IncidentStatus.INVESTIGATING
    update = incident.updates.get()
    assert update.message == "Public API is failing its checks: HTTP 500, expected 200-299"
    assert update.author is None
    api = http_monitor.component
    assert component_statuses(page)[api.id] == ComponentStatus.PARTIAL_OUTAGE


def test_it_opens_one_incident_per_outage(http_monitor, http_target, page):
    checks(http_monitor, http_target, *["error"] * 8)
    (incident,) = incidents(page)
    assert incident.updates.count() == 1
    assert http_monitor.failures == 8


def test_it_resolves_after_two_successes(http_monitor, http_target, page):
    checks(http_monitor, http_target, "error", "error", "error", "ok")
    (incident,) = incidents(page)
    assert incident.is_active
    assert http_monitor.status == MonitorStatus.DOWN
    checks(http_monitor, http_target, "ok")
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.RESOLVED
    assert incident.updates.first().message == "Public API is responding normally again."
    assert http_monitor.status == MonitorStatus.UP
    assert http_monitor.incident is None
    assert component_statuses(page)[http_monitor.component_id] == ComponentStatus.OPERATIONAL


def test_a_new_outage_opens_a_new_incident(http_monitor, http_target, page):
    checks(http_monitor, http_target, *["error"] * 3, "ok", "ok", *["error"] * 3)
    first, second = sorted(incidents(page), key=lambda i: i.id)
    assert not first.is_active
    assert second.is_active


def test_a_flapping_target_opens_nothing(http_monitor, http_target, page):
    checks(http_monitor, http_target, *["error", "error", "ok"] * 5)
    assert incidents(page) == []
    assert http_monitor.status == MonitorStatus.UP


def test_a_flapping_recovery_does_not_resolve(http_monitor, http_target, page):
    checks(http_monitor, http_target, *["error"] * 3, *["ok", "error"] * 4)
    (incident,) = incidents(page)
    assert incident.is_active
    assert incident.updates.count() == 1


def test_wrong_keyword_and_slow_answers_count_as_failures(http_monitor, http_target, page):
    change_monitor(monitor=http_monitor, timeout_seconds=1)
    http_target.delay = 2
    checks(http_monitor, http_target, "wrong_keyword", "slow", "wrong_keyword")
    (incident,) = incidents(page)
    assert "'all systems go' not found" in incident.updates.get().message


def test_maintenance_covering_the_component_suppresses_incidents(
    http_monitor, http_target, page, api_component
):
    now = timezone.now()
    maintenance = schedule_maintenance(
        page=page,
        title="Database upgrade",
        starts_at=now - timedelta(minutes=5),
        ends_at=now + timedelta(hours=1),
        components=[api_component],
    )
    checks(http_monitor, http_target, *["error"] * 5)
    assert incidents(page) == []
    assert http_monitor.status == MonitorStatus.DOWN
    post_maintenance_update(maintenance=maintenance, status="completed")
    checks(http_monitor, http_target, "error")
    assert len(incidents(page)) == 1


def test_maintenance_of_another_component_does_not(http_monitor, http_target, page, web_component):
    now = timezone.now()
    schedule_maintenance(
        page=page,
        title="Website move",
        starts_at=now - timedelta(minutes=5),
        ends_at=now + timedelta(hours=1),
        components=[web_component],
    )
    checks(http_monitor, http_target, *["error"] * 3)
    assert len(incidents(page)) == 1


def test_a_persons_resolution_is_respected(http_monitor, http_target, page, owner):
    checks(http_monitor, http_target, *["error"] * 3)
    (incident,) = incidents(page)
    post_update(incident=incident, status="resolved", message="Fixed by hand.", author=owner.user)
    checks(http_monitor, http_target, *["error"] * 4)
    assert incidents(page) == [incident]
    checks(http_monitor, http_target, "ok", "ok")
    assert incident.updates.count() == 2  # nothing posted on top of the person's resolution
    assert incident.updates.first().message == "Fixed by hand."


def test_a_person_who_took_over_is_not_overridden(http_monitor, http_target, page, owner):
    checks(http_monitor, http_target, *["error"] * 3)
    (incident,) = incidents(page)
    take_ownership(incident=incident, user=owner.user)
    checks(http_monitor, http_target, "ok", "ok")
    incident.refresh_from_db()
    assert incident.is_active
    assert incident.updates.count() == 1
    assert http_monitor.status == MonitorStatus.UP


def test_still_down_updates_are_posted_when_asked_and_spaced(http_monitor, http_target, page):
    change_monitor(monitor=http_monitor, post_updates_while_down=True)
    checks(http_monitor, http_target, *["error"] * 5)
    (incident,) = incidents(page)
    assert incident.updates.count() == 1  # the next one is due after STILL_DOWN_EVERY
    type(http_monitor).objects.filter(id=http_monitor.id).update(
        last_down_update_at=timezone.now() - timedelta(minutes=31)
    )
    http_monitor.refresh_from_db()
    checks(http_monitor, http_target, "error")
    assert incident.updates.count() == 2
    assert incident.updates.first().message.startswith("Public API is still failing its checks")


def test_without_create_incident_only_the_status_changes(http_monitor, http_target, page):
    change_monitor(monitor=http_monitor, create_incident=False)
    checks(http_monitor, http_target, *["error"] * 4)
    assert incidents(page) == []
    assert http_monitor.status == MonitorStatus.DOWN


def test_notifications_go_out_through_the_outbox(
    http_monitor,
    http_target,
    page,
    http_receiver,
    django_capture_on_commit_callbacks,
):
    subscribe(page, http_receiver.url("/hook"), channel="webhook")
    change_monitor(monitor=http_monitor, page_responders=True)
    with django_capture_on_commit_callbacks(execute=True):
        checks(http_monitor, http_target, *["error"] * 3)
    with django_capture_on_commit_callbacks(execute=True):
        checks(http_monitor, http_target, "ok", "ok")
    kinds = list(Event.objects.order_by("id").values_list("kind", flat=True))
    assert kinds == ["incident.created", "paging.new", "incident.resolved"]
    received = [r.headers["X-Upstate-Event"] for r in http_receiver.at("/hook")]
    assert received == ["incident.created", "incident.resolved"]
    assert http_receiver.at("/hook")[0].json()["incident"]["name"] == "Public API is down"


def test_a_policy_without_paging_pages_nobody(http_monitor, http_target, page):
    change_monitor(monitor=http_monitor, page_responders=False)
    checks(http_monitor, http_target, *["error"] * 3)
    (incident,) = incidents(page)
    assert not Event.objects.filter(incident=incident, kind__startswith="paging.").exists()
    assert Event.objects.filter(incident=incident, kind="incident.created").exists()
