"""MTTA and MTTR per severity, on explicit data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from upstate.incidents.metrics import Times, for_pages, humanize, per_severity
from upstate.incidents.services import acknowledge_incident, create_incident, post_update

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def _minutes(n: float) -> datetime:
    return T0 + timedelta(minutes=n)


def _by_severity(rows):
    return {s.severity: s for s in per_severity(rows)}


def test_it_averages_per_severity():
    stats = _by_severity(
        [
            Times("critical", T0, _minutes(4), _minutes(60)),
            Times("critical", T0, _minutes(6), _minutes(120)),
            Times("low", T0, _minutes(30), None),
        ]
    )

    assert stats["critical"].count == 2
    assert stats["critical"].mtta == timedelta(minutes=5)
    assert stats["critical"].mttr == timedelta(minutes=90)
    assert stats["low"].mtta == timedelta(minutes=30)
    assert stats["low"].mttr is None
    assert stats["low"].resolved == 0


def test_unacknowledged_incidents_count_but_do_not_skew_mtta():
    stats = _by_severity([Times("high", T0, None, _minutes(10)), Times("high", T0, _minutes(2))])

    assert stats["high"].count == 2
    assert stats["high"].acknowledged == 1
    assert stats["high"].mtta == timedelta(minutes=2)
    assert stats["high"].mttr == timedelta(minutes=10)


def test_it_lists_every_severity_worst_first_and_incidents_without_one_last():
    stats = per_severity([Times("", T0, _minutes(1), _minutes(2))])

    assert [s.severity for s in stats] == ["critical", "high", "medium", "low", ""]
    assert stats[-1].label == "No severity"
    assert stats[-1].mttr == timedelta(minutes=2)
    assert stats[0].count == 0 and stats[0].mtta is None


def test_stamps_before_the_trigger_count_as_zero():
    stats = _by_severity([Times("medium", T0, _minutes(-5), _minutes(-1))])

    assert stats["medium"].mtta == timedelta(0)
    assert stats["medium"].mttr == timedelta(0)


def test_humanize():
    assert humanize(None) == "—"
    assert humanize(timedelta(seconds=45)) == "45 s"
    assert humanize(timedelta(minutes=12, seconds=5)) == "12 min"
    assert humanize(timedelta(hours=3)) == "3 h"
    assert humanize(timedelta(hours=3, minutes=5)) == "3 h 5 min"
    assert humanize(timedelta(days=2, hours=4)) == "2 d 4 h"


def test_it_reads_only_the_period_and_the_given_pages(page, other_page):
    now = datetime.now(UTC)
    recent = create_incident(
        page=page, title="Recent", severity="critical", started_at=now - timedelta(days=2)
    )
    acknowledge_incident(incident=recent)
    post_update(incident=recent, status="resolved")
    create_incident(
        page=page, title="Old", severity="critical", started_at=now - timedelta(days=40)
    )
    create_incident(page=other_page, title="Elsewhere", severity="critical")

    last_30 = {s.severity: s for s in for_pages([page.id], 30)}
    last_90 = {s.severity: s for s in for_pages([page.id], 90)}

    assert last_30["critical"].count == 1
    assert last_30["critical"].mttr >= timedelta(days=2)
    assert last_90["critical"].count == 2
