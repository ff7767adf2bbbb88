"""What the overview reports of on-call and response targets: who is on call now in each team,
and the share of incidents acknowledged within their target, per severity."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from upstate.incidents.models import Incident, Severity
from upstate.oncall.models import Rotation
from upstate.oncall.services import now_and_next, response_targets


@dataclass(frozen=True)
class WithinTarget:
    severity: str  # a Severity value, or "" for incidents without one
    label: str
    target: timedelta
    decided: int  # incidents acknowledged, or past their target unacknowledged
    within: int

    @property
    def percent(self) -> int | None:
        return round(100 * self.within / self.decided) if self.decided else None


def within_target(
    org_id: int, page_ids: Iterable[int], days: int, now: datetime
) -> list[WithinTarget]:
    """Per severity (worst first, then none), of the incidents triggered in the last `days` days
    (backfills left out): how many were acknowledged within their target, out of those already
    decided (acknowledged, or unacknowledged past their target: still triggered within it does
    not count yet)."""
    targets = response_targets(org_id)
    rows = Incident.objects.filter(
        page_id__in=list(page_ids), started_at__gte=now - timedelta(days=days), backfilled=False
    ).values_list("severity", "started_at", "acknowledged_at")
    counts: dict[str, list[int]] = {s: [0, 0] for s in [*Severity.values, ""]}
    for severity, started, acknowledged in rows:
        target = targets[severity or ""]
        if acknowledged is None and now - started < target:
            continue
        counts.setdefault(severity or "", [0, 0])
        counts[severity or ""][0] += 1
        if acknowledged is not None and acknowledged - started <= target:
            counts[severity or ""][1] += 1
    return [
        WithinTarget(
            severity=key,
            label=Severity(key).label if key else "No severity",
            target=targets[key],
            decided=decided,
            within=within,
        )
        for key, (decided, within) in counts.items()
    ]


def on_call_now(org_id: int) -> list[dict[str, Any]]:
    """Every team of the organization with a rotation, and who of it is on call now."""
    rotations = (
        Rotation.objects.filter(team__org_id=org_id).select_related("team").order_by("team__name")
    )
    rows = []
    for rotation in rotations:
        now, following = now_and_next(rotation)
        rows.append({"team": rotation.team, "rotation": rotation, "now": now, "next": following})
    return rows


def overview_context(
    org_id: int, page_ids: list[int], periods: Iterable[int], now: datetime
) -> dict[str, Any]:
    """The overview's on-call card and its acknowledged-within-target figures."""
    return {
        "on_call": on_call_now(org_id),
        "within_target": [
            {"days": days, "rows": within_target(org_id, page_ids, days, now)} for days in periods
        ],
    }
