"""90-day uptime: the weighting, day boundaries in the page's zone, and the spans incidents
and maintenance assert, with explicit times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from upstate.incidents.models import Incident, IncidentUpdate
from upstate.incidents.services import create_incident, post_update
from upstate.maintenance.models import Maintenance
from upstate.maintenance.services import post_maintenance_update, schedule_maintenance
from upstate.pages.models import ComponentStatus
from upstate.public import state, uptime
from upstate.public.uptime import Span, format_percent, history, summarise_day

MAJOR = ComponentStatus.MAJOR_OUTAGE
PARTIAL = ComponentStatus.PARTIAL_OUTAGE
DEGRADED = ComponentStatus.DEGRADED_PERFORMANCE
MAINTENANCE = ComponentStatus.UNDER_MAINTENANCE
UTC_ZONE = ZoneInfo("Etc/UTC")
NOW = datetime(2024, 6, 15, 12, 0, tzinfo=UTC)


def at(day: int, hour: int, minute: int = 0, month: int = 6) -> datetime:
    return datetime(2024, month, day, hour, minute, tzinfo=UTC)


def test_it_covers_ninety_days_ending_today():
    found = history([], now=NOW, tz=UTC_ZONE)
    assert len(found.days) == 90
    assert found.days[-1].day.isoformat() == "2024-06-15"
    assert found.days[0].day.isoformat() == "2024-03-18"
    assert found.uptime == 100.0
    assert {d.worst for d in found.days} == {ComponentStatus.OPERATIONAL}


def test_it_counts_major_outage_fully():
    found = history([Span(at(14, 10), at(14, 11), MAJOR)], now=NOW, tz=UTC_ZONE)
    observed = 89 * 86400 + 12 * 3600  # today counts up to now
    assert found.observed == observed
    assert found.downtime == 3600
    assert found.uptime == pytest.approx(100 * (1 - 3600 / observed))
    assert found.days[-2].worst == MAJOR
    assert found.days[-2].uptime == pytest.approx(100 * (1 - 3600 / 86400))


def test_it_counts_partial_outage_at_thirty_percent():
    found = history([Span(at(14, 10), at(14, 11), PARTIAL)], now=NOW, tz=UTC_ZONE)
    assert found.downtime == pytest.approx(0.3 * 3600)


def test_degraded_performance_and_maintenance_are_not_downtime():
    spans = [Span(at(13, 0), at(13, 6), DEGRADED), Span(at(12, 0), at(12, 6), MAINTENANCE)]
    found = history(spans, now=NOW, tz=UTC_ZONE)
    assert found.downtime == 0
    assert found.uptime == 100.0
    assert found.days[-3].worst == DEGRADED
    assert found.days[-4].worst == MAINTENANCE


def test_overlapping_spans_count_the_worst_status_once():
    spans = [Span(at(14, 10), at(14, 11), MAJOR), Span(at(14, 10, 30), at(14, 12), PARTIAL)]
    day = summarise_day(spans, at(14, 0), at(15, 0))
    assert day.seconds_by_status[MAJOR] == 3600
    assert day.seconds_by_status[PARTIAL] == 3600  # 11:00-12:00 only
    assert day.seconds_by_status[ComponentStatus.OPERATIONAL] == 22 * 3600
    assert day.downtime == pytest.approx(3600 + 0.3 * 3600)


def test_days_are_calendar_days_of_the_page_zone():
    berlin = ZoneInfo("Europe/Berlin")
    # 21:30-22:30 UTC is 23:30-00:30 in Berlin (summer time): half on each local day.
    found = history([Span(at(13, 21, 30), at(13, 22, 30), MAJOR)], now=NOW, tz=berlin)
    by_day = {d.day.isoformat(): d for d in found.days}
    assert by_day["2024-06-13"].downtime == 1800
    assert by_day["2024-06-14"].downtime == 1800


def test_a_day_when_clocks_change_has_its_real_length():
    berlin = ZoneInfo("Europe/Berlin")
    found = history([], now=at(1, 12, month=4), tz=berlin)
    by_day = {d.day.isoformat(): d for d in found.days}
    assert by_day["2024-03-31"].observed == 23 * 3600
    assert by_day["2024-03-30"].observed == 24 * 3600


def test_days_before_the_component_existed_have_no_data():
    found = history([], now=NOW, tz=UTC_ZONE, since=at(14, 12))
    assert [d.has_data for d in found.days[-3:]] == [False, True, True]
    assert found.days[-3].worst is None
    assert found.observed == 24 * 3600


def test_older_spans_extend_the_observed_time_back():
    # A backfilled incident predating the component's creation still counts.
    spans = [Span(at(10, 0), at(10, 1), MAJOR)]
    found = history(spans, now=NOW, tz=UTC_ZONE, since=at(14, 12))
    assert found.days[-6].has_data
    assert found.downtime == 3600


def test_percentages_round_down():
    assert format_percent(100.0) == "100.00 %"
    assert format_percent(99.99999) == "99.99 %"
    assert format_percent(99.951) == "99.95 %"
    assert format_percent(None) == "No data"


# --- Spans from real incidents and maintenance ------------------------------------------


def _loaded(incident: Incident) -> Incident:
    return state.with_timelines(Incident.objects.filter(id=incident.id)).get()


def _backdate(incident: Incident, times: list[datetime]) -> None:
    updates = incident.updates.order_by("created_at", "id")
    for update, stamp in zip(updates, times, strict=True):
        IncidentUpdate.objects.filter(id=update.id).update(created_at=stamp)
    resolved = times[-1] if not incident.is_active else None
    Incident.objects.filter(id=incident.id).update(started_at=times[0], resolved_at=resolved)


def test_it_follows_overrides_posted_during_the_incident(page, api_component):
    incident = create_incident(
        page=page, title="API errors", impact="major", components={api_component: None}
    )
    post_update(incident=incident, status="identified", components={api_component: MAJOR})
    post_update(incident=incident, status="resolved")
    incident.refresh_from_db()
    _backdate(incident, [at(14, 10), at(14, 10, 30), at(14, 11)])

    spans = uptime.incident_spans(_loaded(incident), NOW)[api_component.id]
    assert [(s.start, s.end, s.status) for s in spans] == [
        (at(14, 10), at(14, 10, 30), PARTIAL),
        (at(14, 10, 30), at(14, 11), MAJOR),
    ]
    assert spans[0].label == "API errors"


def test_an_active_incident_asserts_until_now(page, api_component):
    incident = create_incident(
        page=page, title="Slow", impact="minor", components={api_component: None}
    )
    _backdate(incident, [at(15, 9)])
    spans = uptime.incident_spans(_loaded(incident), NOW)[api_component.id]
    assert [(s.start, s.end, s.status) for s in spans] == [(at(15, 9), NOW, DEGRADED)]


def test_a_backfilled_incident_asserts_its_impact_from_start_to_resolution(page, api_component):
    now = datetime.now(UTC)
    started, resolved = now - timedelta(days=3), now - timedelta(days=3) + timedelta(hours=2)
    incident = create_incident(
        page=page,
        title="Outage last week",
        impact="critical",
        components={api_component: None},
        started_at=started,
        resolved_at=resolved,
    )
    spans = uptime.incident_spans(_loaded(incident), now)[api_component.id]
    assert [(s.start, s.end, s.status) for s in spans] == [(started, resolved, MAJOR)]


def test_updates_that_keep_the_status_continue_one_span(page, api_component):
    incident = create_incident(
        page=page, title="Storm", impact="major", components={api_component: None}
    )
    for status in ("identified", "monitoring", "identified"):
        post_update(incident=incident, status=status)
    post_update(incident=incident, status="monitoring", components={api_component: MAJOR})
    post_update(incident=incident, status="resolved")
    incident.refresh_from_db()
    _backdate(incident, [at(14, 10), at(14, 11), at(14, 12), at(14, 13), at(14, 14), at(14, 15)])

    spans = uptime.incident_spans(_loaded(incident), NOW)[api_component.id]
    assert [(s.start, s.end, s.status) for s in spans] == [
        (at(14, 10), at(14, 14), PARTIAL),
        (at(14, 14), at(14, 15), MAJOR),
    ]
    day = summarise_day(spans, at(14, 0), at(15, 0))
    assert day.seconds_by_status == {
        ComponentStatus.OPERATIONAL: 19 * 3600.0,
        PARTIAL: 4 * 3600.0,
        MAJOR: 3600.0,
    }


def test_an_incident_without_impact_asserts_nothing(page, api_component):
    incident = create_incident(
        page=page, title="FYI", impact="none", components={api_component: None}
    )
    assert uptime.incident_spans(_loaded(incident), NOW) == {}


def test_a_reopened_incident_does_not_count_while_it_was_resolved(page, api_component):
    incident = create_incident(
        page=page, title="Flapping", impact="critical", components={api_component: None}
    )
    post_update(incident=incident, status="resolved")
    post_update(incident=incident, status="investigating")
    _backdate(incident, [at(14, 1), at(14, 2), at(14, 5)])
    spans = uptime.incident_spans(_loaded(incident), at(14, 6))[api_component.id]
    assert [(s.start, s.end) for s in spans] == [(at(14, 1), at(14, 2)), (at(14, 5), at(14, 6))]
    assert {s.status for s in spans} == {MAJOR}


def test_underway_maintenance_asserts_under_maintenance(page, api_component):
    now = datetime.now(UTC)
    maintenance = schedule_maintenance(
        page=page,
        title="DB upgrade",
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=1),
        components=[api_component],
    )
    loaded = Maintenance.objects.prefetch_related("components").get(id=maintenance.id)
    assert uptime.maintenance_spans(loaded, now) == {}  # never started
    post_maintenance_update(maintenance=maintenance, status="in_progress")
    loaded = Maintenance.objects.prefetch_related("components").get(id=maintenance.id)
    later = datetime.now(UTC) + timedelta(minutes=5)
    [span] = uptime.maintenance_spans(loaded, later)[api_component.id]
    assert (span.start, span.end, span.status) == (loaded.started_at, later, MAINTENANCE)
