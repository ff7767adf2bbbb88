"""The overview screen: what is broken now across the member's pages, what nobody has
acknowledged yet, and how fast incidents are acknowledged and resolved (MTTA / MTTR)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Max, OuterRef, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from upstate.dashboard import live
from upstate.dashboard.access import member_context
from upstate.incidents import metrics
from upstate.incidents.models import ACTIVE_STATUSES, Incident
from upstate.maintenance.models import Maintenance
from upstate.oncall import reports as oncall_reports
from upstate.orgs.models import Membership
from upstate.pages.health import component_statuses
from upstate.pages.models import Component, ComponentStatus, StatusPage

PERIODS = (30, 90)
# Geometry of the server-rendered bar charts (SVG user units).
CHART_WIDTH, LABEL_WIDTH, BAR_MAX, ROW_HEIGHT = 340, 96, 170, 24


def _sources(org: Any) -> dict[str, tuple[QuerySet, str]]:
    """What the overview shows, by the path from each row to its organization: incidents, and
    maintenance and components (a component's status derives from all three)."""
    return {
        "incidents": (Incident.objects.filter(org_id=org), "org_id"),
        "maintenance": (Maintenance.objects.filter(org_id=org), "org_id"),
        "components": (Component.objects.filter(page__org_id=org), "page__org_id"),
    }


def _tag(row: dict[str, Any]) -> str:
    parts = [row[f"{name}_{part}"] or 0 for name in _sources(0) for part in ("latest", "number")]
    return live.version_tag("overview", *parts, live.minute())


def overview_version(request: HttpRequest, user_id: int, *, org_slug: str) -> str | None:
    """The overview's version for this member, in one query that checks the membership."""
    annotations = {}
    for name, (queryset, by) in _sources(OuterRef("org_id")).items():
        annotations[f"{name}_latest"] = live.newest(queryset)
        annotations[f"{name}_number"] = live.count(queryset, by)
    row = (
        Membership.objects.filter(org__slug=org_slug, user_id=user_id)
        .annotate(**annotations)
        .values("user__password", "user__is_active", *annotations)
        .first()
    )
    if row is None:
        return None
    if not live.session_is_valid(
        request, password=row["user__password"], is_active=row["user__is_active"]
    ):
        return None
    return _tag(row)


def _current_tag(org_id: int) -> str:
    row = {}
    for name, (queryset, _) in _sources(org_id).items():
        found = queryset.aggregate(latest=Max("updated_at"), number=Count("id"))
        row[f"{name}_latest"], row[f"{name}_number"] = found["latest"], found["number"]
    return _tag(row)


@live.polled(overview_version)
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
        "live_headers": live.headers(_current_tag(member.org.id)),
        **oncall_reports.overview_context(member.org.id, [p.id for p in pages], PERIODS, now),
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
