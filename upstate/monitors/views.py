"""Dashboard screens for monitors: list with status and uptime, a monitor's chart and recent
checks, create and edit (with "test now"), delete."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from upstate.dashboard.access import get_for_member, member_context
from upstate.dashboard.formerrors import apply_invalid
from upstate.lib.errors import InvalidInput
from upstate.monitors import services, stats
from upstate.monitors.charts import response_time_svg
from upstate.monitors.forms import MonitorForm, initial_of
from upstate.monitors.links import ping_url
from upstate.monitors.models import Monitor, MonitorKind

ALIASES = {"page_id": "page", "component_id": "component"}
RECENT = 20


def _monitor(request: HttpRequest, org_slug: str, code: str, require: str = "read"):
    queryset = Monitor.objects.select_related("page", "component", "incident")
    return get_for_member(
        request, queryset, org_slug=org_slug, require=require, write="manage", code=code
    )


def _uptime_row(figures: dict[str, float | None]) -> list[tuple[str, str]]:
    return [(label, stats.format_uptime(value)) for label, value in figures.items()]


@login_required
def monitor_list(request: HttpRequest, org_slug: str) -> HttpResponse:
    member = member_context(request, org_slug)
    monitors = list(Monitor.objects.filter(org=member.org).select_related("component__page"))
    figures = stats.uptimes([m.id for m in monitors])
    rows = [(m, _uptime_row(figures[m.id])) for m in monitors]
    context = {"rows": rows, "windows": list(stats.WINDOWS), "can_write": member.can_manage}
    return render(request, "monitors/list.html", context)


@login_required
def monitor_detail(request: HttpRequest, org_slug: str, code: str) -> HttpResponse:
    monitor, can_write = _monitor(request, org_slug, code)
    now = timezone.now()
    since = now - timedelta(hours=24)
    chart = response_time_svg(
        stats.response_times(monitor, now=now),
        since=since,
        until=now,
        title=f"Response time of {monitor.name} over the last 24 hours",
    )
    context = {
        "monitor": monitor,
        "can_write": can_write,
        "uptime": _uptime_row(stats.uptimes([monitor.id], now)[monitor.id]),
        "chart": mark_safe(chart),  # noqa: S308 - built from numbers and escaped text
        "results": monitor.results.all()[:RECENT],
        "ping_url": ping_url(monitor) if monitor.kind == MonitorKind.HEARTBEAT else "",
        "ping_kind": _ping_kind(monitor),
        "run_duration": _duration(monitor.last_run_ms),
        "body_capped": len(monitor.last_ping_body) >= services.MAX_PING_BODY,
    }
    return render(request, "monitors/detail.html", context)


def _ping_kind(monitor: Monitor) -> str:
    kind = monitor.last_ping_kind
    if kind == services.PingKind.EXIT:
        verdict = "success" if monitor.last_ping_exit_code == 0 else "failure"
        return f"exit code {monitor.last_ping_exit_code} ({verdict})"
    return {"start": "start", "success": "success", "fail": "failure"}.get(kind, kind)


def _duration(ms: int | None) -> str:
    if ms is None:
        return ""
    seconds = ms / 1000
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, seconds = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if hours else f"{minutes} min {seconds} s"


def _form_page(request: HttpRequest, form: MonitorForm, monitor: Monitor | None) -> HttpResponse:
    context = {"form": form, "monitor": monitor}
    return render(request, "monitors/form.html", context, status=400 if form.errors else 200)


@login_required
def monitor_create(request: HttpRequest, org_slug: str) -> HttpResponse:
    member = member_context(request, org_slug, require="manage")
    form = MonitorForm(request.POST or None, org=member.org)
    if request.method == "POST" and form.is_valid():
        try:
            monitor = services.create_monitor(org=member.org, **form.service_fields())
        except InvalidInput as exc:
            apply_invalid(form, exc, ALIASES)
        else:
            messages.success(request, f"Created “{monitor.name}”; its first check runs shortly.")
            return redirect("dashboard:monitor-detail", org_slug=org_slug, code=monitor.code)
    return _form_page(request, form, None)


@login_required
def monitor_edit(request: HttpRequest, org_slug: str, code: str) -> HttpResponse:
    monitor, _ = _monitor(request, org_slug, code, require="manage")
    form = MonitorForm(request.POST or None, org=monitor.org, initial=initial_of(monitor))
    if request.method == "POST" and form.is_valid():
        try:
            services.change_monitor(monitor=monitor, **form.service_fields())
        except InvalidInput as exc:
            apply_invalid(form, exc, ALIASES)
        else:
            messages.success(request, f"Saved “{monitor.name}”.")
            return redirect("dashboard:monitor-detail", org_slug=org_slug, code=monitor.code)
    return _form_page(request, form, monitor)


@login_required
def monitor_delete(request: HttpRequest, org_slug: str, code: str) -> HttpResponse:
    monitor, _ = _monitor(request, org_slug, code, require="manage")
    if request.method == "POST":
        services.delete_monitor(monitor=monitor)
        messages.success(request, f"Deleted “{monitor.name}”.")
        return redirect("dashboard:monitor-list", org_slug=org_slug)
    return render(request, "monitors/confirm_delete.html", {"monitor": monitor})


def _result(request: HttpRequest, monitor: Monitor) -> HttpResponse:
    outcome = services.run_once(monitor)
    return render(request, "monitors/_test_result.html", {"outcome": outcome, "monitor": monitor})


@login_required
@require_POST
def monitor_test(request: HttpRequest, org_slug: str, code: str) -> HttpResponse:
    """Run the saved monitor's check once (nothing is stored) and show the outcome."""
    monitor, _ = _monitor(request, org_slug, code, require="manage")
    return _result(request, monitor)


@login_required
@require_POST
def monitor_test_unsaved(request: HttpRequest, org_slug: str) -> HttpResponse:
    """Run the check the form describes, before it is saved."""
    member = member_context(request, org_slug, require="manage")
    form = MonitorForm(request.POST, org=member.org)
    problems: list[str] = []
    if form.is_valid():
        try:
            monitor = services.unsaved_monitor(org=member.org, **form.service_fields())
        except InvalidInput as exc:
            problems.append(f"{exc.field.replace('_', ' ')}: {exc.message}")
        else:
            return _result(request, monitor)
    for name, errors in form.errors.items():
        label = form.fields[name].label or name.replace("_", " ") if name in form.fields else ""
        problems.extend(f"{label}: {error}" if label else error for error in errors)
    context = {"problems": problems}
    return render(request, "monitors/_test_result.html", context, status=400)
