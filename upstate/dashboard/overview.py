"""The overview screen: what is broken now across the member's pages, what nobody has
acknowledged yet, and how fast incidents are acknowledged and resolved (MTTA / MTTR)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from upstate.dashboard.access import member_context
from upstate.incidents import metrics
from upstate.incidents.models import ACTIVE_STATUSES, Incident
from upstate.pages.health import component_statuses
from upstate.pages.models import Component, ComponentStatus, StatusPage

PERIODS = (30, 90)
# Geometry of the server-rendered bar charts (SVG user units).
CHART_WIDTH, LABEL_WIDTH, BAR_MAX, ROW_HEIGHT = 340, 96, 170, 24


@login_required
def overview(request: HttpRequest, org_slug: str) -> HttpResponse:
    member = member_context(request, org_slug)
    pages = list(StatusPage.objects.filter(org=member.org).order_by("name"))
    active = list(
        Incident.objects.filter(org=member.org, status__in=ACTIVE_STATUSES)
        .select_related("page", "owner")
        .order_by("started_at")
    )
    now = timezone.now()
    context = {
        "active": active,
        "unacknowledged": [i for i in active if i.acknowledged_at is None],
        "now": now,
        "broken_components": _broken_components(pages),
        "periods": [_period(pages, days, now) for days in PERIODS],
    }
    return render(request, "dashboard/overview.html", context)


def _broken_components(pages: list[StatusPage]) -> list[dict[str, Any]]:
    """Every component, on every page, whose derived status is not operational."""
    broken = []
    for page in pages:
        statuses = component_statuses(page)
        bad = {cid: s for cid, s in statuses.items() if s != ComponentStatus.OPERATIONAL}
        if not bad:
            continue
        for component in Component.objects.filter(id__in=bad).select_related("group"):
            broken.append({"page": page, "component": component, "status": bad[component.id]})
    broken.sort(key=lambda row: (-row["status"].rank, row["page"].name, row["component"].name))
    return broken


def _period(pages: list[StatusPage], days: int, now: Any) -> dict[str, Any]:
    stats = metrics.for_pages([p.id for p in pages], days, now)
    rows = [
        {
            "label": s.label,
            "count": s.count,
            "mtta": metrics.humanize(s.mtta),
            "mttr": metrics.humanize(s.mttr),
        }
        for s in stats
    ]
    return {
        "days": days,
        "rows": rows,
        "total": sum(s.count for s in stats),
        "charts": [
            bar_chart(f"mtta-{days}", f"Mean time to acknowledge, last {days} days", stats, "mtta"),
            bar_chart(f"mttr-{days}", f"Mean time to resolve, last {days} days", stats, "mttr"),
        ],
    }


def bar_chart(
    chart_id: str, title: str, stats: list[metrics.SeverityStats], attribute: str
) -> dict[str, Any]:
    """Geometry for one horizontal bar chart (one bar per severity), drawn by the template
    as inline SVG; the value is written next to each bar."""
    values = [getattr(s, attribute) for s in stats]
    longest = max((v.total_seconds() for v in values if v is not None), default=0)
    bars = []
    for index, (stat, value) in enumerate(zip(stats, values, strict=True)):
        seconds = value.total_seconds() if value is not None else 0
        width = round(BAR_MAX * seconds / longest) if longest else 0
        y = index * ROW_HEIGHT
        bars.append(
            {
                "label": stat.label,
                "severity": stat.severity or "none",
                "y": y,
                "text_y": y + ROW_HEIGHT * 0.65,
                "width": max(width, 2) if value is not None else 0,
                "value_x": LABEL_WIDTH + max(width, 2) + 6,
                "text": metrics.humanize(value),
            }
        )
    return {
        "id": chart_id,
        "title": title,
        "bars": bars,
        "width": CHART_WIDTH,
        "height": ROW_HEIGHT * len(bars),
        "label_width": LABEL_WIDTH,
        "bar_height": ROW_HEIGHT - 8,
    }
