"""Response metrics: MTTA (acknowledged − triggered) and MTTR (resolved − triggered),
averaged per severity over a period. The arithmetic is pure; `for_pages` only fetches rows."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from upstate.incidents.models import Incident, Severity

NO_SEVERITY = ""


@dataclass(frozen=True)
class Times:
    """The timestamps of one incident the metrics need."""

    severity: str
    started_at: datetime
    acknowledged_at: datetime | None = None
    resolved_at: datetime | None = None


@dataclass(frozen=True)
class SeverityStats:
    severity: str  # a Severity value, or "" for incidents without one
    label: str
    count: int
    acknowledged: int
    resolved: int
    mtta: timedelta | None
    mttr: timedelta | None


def _mean(spans: list[timedelta]) -> timedelta | None:
    if not spans:
        return None
    return sum(spans, timedelta()) / len(spans)


def per_severity(rows: Iterable[Times]) -> list[SeverityStats]:
    """One entry per severity (worst first, then "no severity"), including empty ones.
    An acknowledgement or resolution stamped before the trigger (clock skew, backfill)
    counts as zero rather than negative."""
    buckets: dict[str, list[Times]] = {s.value: [] for s in Severity}
    buckets[NO_SEVERITY] = []
    for row in rows:
        buckets.setdefault(row.severity or NO_SEVERITY, []).append(row)
    stats = []
    for severity, items in buckets.items():
        acks = [
            max(r.acknowledged_at - r.started_at, timedelta()) for r in items if r.acknowledged_at
        ]
        fixes = [max(r.resolved_at - r.started_at, timedelta()) for r in items if r.resolved_at]
        label = Severity(severity).label if severity else "No severity"
        stats.append(
            SeverityStats(
                severity, label, len(items), len(acks), len(fixes), _mean(acks), _mean(fixes)
            )
        )
    return stats


def for_pages(
    page_ids: Iterable[int], days: int, now: datetime | None = None
) -> list[SeverityStats]:
    """Metrics of the incidents triggered on these pages in the last `days` days."""
    since = (now or timezone.now()) - timedelta(days=days)
    rows = Incident.objects.filter(page_id__in=list(page_ids), started_at__gte=since).values_list(
        "severity", "started_at", "acknowledged_at", "resolved_at"
    )
    return per_severity(Times(*row) for row in rows)


def humanize(span: timedelta | None) -> str:
    """'45 s', '12 min', '3 h 5 min', '2 d 4 h'; an em dash for no data."""
    if span is None:
        return "—"
    seconds = int(span.total_seconds())
    if seconds < 60:
        return f"{seconds} s"
    minutes, hours, days = seconds // 60, seconds // 3600, seconds // 86400
    if minutes < 60:
        return f"{minutes} min"
    if hours < 24:
        rest = minutes % 60
        return f"{hours} h {rest} min" if rest else f"{hours} h"
    rest = hours % 24
    return f"{days} d {rest} h" if rest else f"{days} d"
