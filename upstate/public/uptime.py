"""90-day uptime of components, derived from incident (and maintenance) history.

Nothing is stored: the bars are computed when the page's snapshot is built.

How a component's history is reconstructed
-------------------------------------------
* Every **public** incident that affects the component asserts a status on it while the
  incident is active. The incident's timeline is cut at each update: a segment runs from one
  update to the next (the last one to the resolution, or to *now* while still active) and
  counts only while the update that opened it had an active status (investigating,
  identified, monitoring). A backfilled incident, whose only update is its resolution,
  counts from ``started_at`` to ``resolved_at``.
* The status asserted in a segment is the component's new status recorded by the latest
  update of *that incident* that changed it (``UpdateComponentChange`` with old != new:
  overrides posted mid-incident, e.g. partial -> major -> degraded, are thus followed);
  without such a record, the incident's current terms (``IncidentComponent`` override, else
  the status its impact implies: minor -> degraded, major -> partial, critical -> major).
  A recorded status is the component's derived status (the worst of every assertion), so
  when two incidents overlap one may be charged with the other's worse status; the bars
  take the worst per moment anyway, so only the attribution in a tooltip can be off.
* Maintenance that was underway (started, not yet completed) asserts ``under_maintenance``
  from ``started_at`` to ``completed_at``.
* When several spans overlap, the worst status wins at each moment (``ComponentStatus``
  order), so overlapping incidents never count twice.

Weighting (as Atlassian Statuspage does)
----------------------------------------
Downtime = seconds of ``major_outage`` x 1.0 + seconds of ``partial_outage`` x 0.3.
Degraded performance and maintenance are shown on the bars but are not downtime.
Uptime = 100 x (1 - downtime / observed seconds).

Observed time runs from the component's start (its ``start_date`` at midnight in the page's
time zone, else its creation, or its earliest recorded span if that is older, so backfilled
history counts) to now; days before it are "no data". Days are calendar days in the page's
time zone (23 or 25 hours across DST changes); today is counted up to now.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from upstate.incidents.models import Incident, IncidentStatus
from upstate.maintenance.models import Maintenance, MaintenanceStatus
from upstate.pages.models import ComponentStatus

DAYS = 90
WEIGHTS: dict[ComponentStatus, float] = {
    ComponentStatus.MAJOR_OUTAGE: 1.0,
    ComponentStatus.PARTIAL_OUTAGE: 0.3,
}


@dataclass(frozen=True)
class Span:
    """A status asserted on one component over [start, end); ``label`` names its cause."""

    start: datetime
    end: datetime
    status: ComponentStatus
    label: str = ""


@dataclass(frozen=True)
class Day:
    day: date
    observed: float  # seconds of the day the component existed (up to now for today)
    downtime: float  # weighted seconds
    seconds_by_status: dict[ComponentStatus, float] = field(default_factory=dict)
    labels: tuple[str, ...] = ()

    @property
    def has_data(self) -> bool:
        return self.observed > 0

    @property
    def worst(self) -> ComponentStatus | None:
        """The worst status asserted during the day; None when there is no data."""
        if not self.has_data:
            return None
        return ComponentStatus.worst(list(self.seconds_by_status))

    @property
    def uptime(self) -> float | None:
        return _percent(self.observed, self.downtime)


@dataclass(frozen=True)
class History:
    days: list[Day]  # oldest first, today last

    @property
    def observed(self) -> float:
        return sum(d.observed for d in self.days)

    @property
    def downtime(self) -> float:
        return sum(d.downtime for d in self.days)

    @property
    def uptime(self) -> float | None:
        """Percent over the observed part of the window; None if the component is too new."""
        return _percent(self.observed, self.downtime)


def _percent(observed: float, downtime: float) -> float | None:
    if observed <= 0:
        return None
    return max(0.0, 100.0 * (1.0 - downtime / observed))


def format_percent(value: float | None) -> str:
    """Two decimals, rounded down: any downtime at all never shows as 100.00 %."""
    if value is None:
        return "No data"
    return f"{math.floor(value * 100 + 1e-9) / 100:.2f} %"


def day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """Local midnight to the next, in UTC: Python subtracts datetimes sharing a zone as wall
    clock times, which would make every day 24 hours long."""
    start = datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
    return start, end


def _worst_at(spans: list[Span], moment: datetime) -> Span | None:
    covering = [s for s in spans if s.start <= moment < s.end]
    return max(covering, key=lambda s: s.status.rank, default=None)


def summarise_day(spans: list[Span], start: datetime, end: datetime) -> Day:
    """Seconds per worst status, weighted downtime and causes over [start, end)."""
    clipped = [
        Span(max(s.start, start), min(s.end, end), s.status, s.label)
        for s in spans
        if s.start < end and s.end > start
    ]
    cuts = sorted({start, end, *(s.start for s in clipped), *(s.end for s in clipped)})
    seconds: dict[ComponentStatus, float] = {}
    downtime = 0.0
    for left, right in zip(cuts, cuts[1:], strict=False):
        winner = _worst_at(clipped, left)
        status = winner.status if winner else ComponentStatus.OPERATIONAL
        length = (right - left).total_seconds()
        seconds[status] = seconds.get(status, 0.0) + length
        downtime += WEIGHTS.get(status, 0.0) * length
    labels = tuple(dict.fromkeys(s.label for s in clipped if s.label))
    observed = max(0.0, (end - start).total_seconds())
    seconds = {status: value for status, value in seconds.items() if value > 0}
    return Day(start.date(), observed, downtime, seconds, labels)


def history(
    spans: Iterable[Span],
    *,
    now: datetime,
    tz: ZoneInfo,
    since: datetime | None = None,
    days: int = DAYS,
) -> History:
    """The last ``days`` calendar days (today included) of one component.

    ``since`` is when the component started to exist (None: before the window); earlier
    spans move it back."""
    spans = [s for s in spans if s.end > s.start]
    if spans and since is not None:
        since = min(since, *(s.start for s in spans))
    today = now.astimezone(tz).date()
    result = []
    for offset in range(days - 1, -1, -1):
        day = today - timedelta(days=offset)
        start, end = day_bounds(day, tz)
        observed_start = start if since is None else max(start, since)
        observed_end = min(end, now)
        if observed_end <= observed_start:
            result.append(Day(day, 0.0, 0.0))
            continue
        summary = summarise_day(spans, observed_start, observed_end)
        result.append(
            Day(day, summary.observed, summary.downtime, summary.seconds_by_status, summary.labels)
        )
    return History(result)


def incident_spans(incident: Incident, now: datetime) -> dict[int, list[Span]]:
    """Component id -> the spans this incident asserted (see the module docstring).

    Reads the lists ``state.with_timelines`` loads (``update_rows`` with their
    ``component_changes``, ``affected_rows``): no query here."""
    terms = {
        row.component_id: row.asserted_status(incident.impact) for row in incident.affected_rows
    }
    updates = sorted(incident.update_rows, key=lambda u: (u.created_at, u.id))
    recorded: dict[int, ComponentStatus] = {}
    spans: dict[int, list[Span]] = {}

    def assert_segment(start: datetime, end: datetime) -> None:
        start = max(start, incident.started_at)
        if end <= start:
            return
        for component_id, fallback in terms.items():
            status = recorded.get(component_id, fallback)
            if status is None or status.rank <= ComponentStatus.OPERATIONAL.rank:
                continue
            own = spans.setdefault(component_id, [])
            # Updates that leave the status as it was continue the span: one span per
            # status rather than per update keeps a day's summary linear in a long
            # incident (a storm of updates made it quadratic, bench/write_storm.py).
            if own and own[-1].end == start and own[-1].status == status:
                own[-1] = replace(own[-1], end=end)
            else:
                own.append(Span(start, end, status, incident.title))

    if not updates or updates[0].created_at > incident.started_at:
        # Backfilled: created resolved, its only update is the resolution.
        first = updates[0].created_at if updates else (incident.resolved_at or now)
        assert_segment(incident.started_at, first)
    for index, update in enumerate(updates):
        for change in update.component_changes:
            if change.component_id is not None and change.old_status != change.new_status:
                recorded[change.component_id] = ComponentStatus(change.new_status)
        if not IncidentStatus(update.status).is_active:
            continue
        end = updates[index + 1].created_at if index + 1 < len(updates) else now
        assert_segment(update.created_at, end)
    return spans


def maintenance_spans(maintenance: Maintenance, now: datetime) -> dict[int, list[Span]]:
    """Component id -> the ``under_maintenance`` span of a maintenance that was underway.

    Reads ``maintenance.components``, which the caller prefetches."""
    if maintenance.started_at is None:
        return {}
    end = maintenance.completed_at
    if end is None:
        if not MaintenanceStatus(maintenance.status).holds_components:
            return {}
        end = now
    span = Span(maintenance.started_at, end, ComponentStatus.UNDER_MAINTENANCE, maintenance.title)
    return {component.id: [span] for component in maintenance.components.all()}


def checks_history(
    hours: Iterable[tuple[datetime, int, int]],
    spans: Iterable[Span],
    *,
    now: datetime,
    tz: ZoneInfo,
    since: datetime | None = None,
    days: int = DAYS,
) -> History:
    """The history of a component that has monitors: on days with checks, the share of failed
    checks is the share of the day counted as down (as a major outage); days without checks
    fall back to the incident history. ``hours`` are (hour start, checks, failures) from the
    monitors' hourly roll-ups; incident titles still label the days they touched."""
    base = history(spans, now=now, tz=tz, since=since, days=days)
    counts: dict[date, list[int]] = {}
    for start, checks, failures in hours:
        day = counts.setdefault(start.astimezone(tz).date(), [0, 0])
        day[0] += checks
        day[1] += failures
    result = []
    for day in base.days:
        checks, failures = counts.get(day.day, (0, 0))
        if not checks:
            result.append(day)
            continue
        observed = day.observed
        if observed <= 0:
            start, end = day_bounds(day.day, tz)
            observed = max(0.0, (min(end, now) - start).total_seconds())
        down = observed * failures / checks
        seconds = {ComponentStatus.OPERATIONAL: observed - down}
        if down:
            seconds[ComponentStatus.MAJOR_OUTAGE] = down
        seconds = {status: value for status, value in seconds.items() if value > 0}
        result.append(Day(day.day, observed, down, seconds, day.labels))
    return History(result)
