"""Dashboard screens for scheduled maintenance: list, schedule, edit, move along, delete."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from upstate.dashboard.access import Member, get_for_member, member_context
from upstate.dashboard.context import current_page
from upstate.dashboard.formerrors import apply_invalid
from upstate.lib.errors import InvalidInput
from upstate.maintenance.forms import MaintenanceForm, MaintenanceUpdateForm
from upstate.maintenance.models import UNDERWAY_STATUSES, Maintenance, MaintenanceStatus
from upstate.maintenance.services import (
    change_maintenance,
    delete_maintenance,
    post_maintenance_update,
    schedule_maintenance,
)
from upstate.pages.models import StatusPage

ALIASES = {"component_ids": "components"}
PAST_LIMIT = 50


def _maintenance(request: HttpRequest, org_slug: str, code: str, require: str = "read"):
    queryset = Maintenance.objects.select_related("page")
    return get_for_member(
        request, queryset, org_slug=org_slug, require=require, write="respond", code=code
    )


def _zone(page: StatusPage) -> ZoneInfo:
    return ZoneInfo(page.time_zone)


@login_required
def maintenance_list(request: HttpRequest, org_slug: str) -> HttpResponse:
    member = member_context(request, org_slug)
    rows = (
        Maintenance.objects.filter(org=member.org)
        .select_related("page")
        .prefetch_related("components")
    )
    underway = [m for m in rows if m.status in UNDERWAY_STATUSES]
    upcoming = [m for m in rows if m.status == MaintenanceStatus.SCHEDULED]
    past = rows.filter(status=MaintenanceStatus.COMPLETED).order_by("-ends_at")[:PAST_LIMIT]
    context = {"underway": underway, "upcoming": upcoming, "past": past}
    return render(request, "maintenance/list.html", context)


def _page_for_new(request: HttpRequest, member: Member) -> StatusPage:
    pages = list(StatusPage.objects.filter(org=member.org).order_by("name"))
    page = current_page(request, pages)
    if page is None:
        raise Http404("Create a status page first")
    return page


@login_required
def maintenance_create(request: HttpRequest, org_slug: str) -> HttpResponse:
    member = member_context(request, org_slug, require="respond")
    page = _page_for_new(request, member)
    with timezone.override(_zone(page)):
        form = MaintenanceForm(request.POST or None, page=page)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                maintenance = schedule_maintenance(
                    page=page,
                    author=request.user,
                    **{**data, "components": list(data["components"])},
                )
            except InvalidInput as exc:
                apply_invalid(form, exc, ALIASES)
            else:
                messages.success(request, f"Scheduled “{maintenance.title}”.")
                return redirect(
                    "dashboard:maintenance-detail", org_slug=org_slug, code=maintenance.code
                )
        context = {"form": form, "page": page, "maintenance": None}
        return render(request, "maintenance/form.html", context, status=400 if form.errors else 200)


@login_required
def maintenance_detail(request: HttpRequest, org_slug: str, code: str) -> HttpResponse:
    maintenance, can_write = _maintenance(request, org_slug, code)
    with timezone.override(_zone(maintenance.page)):
        context = {
            "maintenance": maintenance,
            "can_write": can_write,
            "updates": maintenance.updates.select_related("author"),
            "components": maintenance.components.all(),
            "update_form": MaintenanceUpdateForm(initial={"status": _next_status(maintenance)}),
        }
        return render(request, "maintenance/detail.html", context)


def _next_status(maintenance: Maintenance) -> str:
    return {
        MaintenanceStatus.SCHEDULED: MaintenanceStatus.IN_PROGRESS,
        MaintenanceStatus.IN_PROGRESS: MaintenanceStatus.COMPLETED,
        MaintenanceStatus.VERIFYING: MaintenanceStatus.COMPLETED,
    }.get(maintenance.status, MaintenanceStatus.COMPLETED)


@login_required
def maintenance_edit(request: HttpRequest, org_slug: str, code: str) -> HttpResponse:
    maintenance, _ = _maintenance(request, org_slug, code, require="respond")
    page = maintenance.page
    with timezone.override(_zone(page)):
        initial = {
            "title": maintenance.title,
            "message": maintenance.message,
            "starts_at": timezone.localtime(maintenance.starts_at),
            "ends_at": timezone.localtime(maintenance.ends_at),
            "components": list(maintenance.components.all()),
            "auto_start": maintenance.auto_start,
            "auto_complete": maintenance.auto_complete,
        }
        form = MaintenanceForm(request.POST or None, page=page, initial=initial)
        if request.method == "POST" and form.is_valid():
            data = dict(form.cleaned_data)
            components = list(data.pop("components"))
            try:
                change_maintenance(maintenance=maintenance, components=components, **data)
            except InvalidInput as exc:
                apply_invalid(form, exc, ALIASES)
            else:
                messages.success(request, "Maintenance saved.")
                return redirect("dashboard:maintenance-detail", org_slug=org_slug, code=code)
        context = {"form": form, "page": page, "maintenance": maintenance}
        return render(request, "maintenance/form.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def maintenance_update(request: HttpRequest, org_slug: str, code: str) -> HttpResponse:
    """Start, verify or complete by hand: a timeline entry with the new status."""
    maintenance, can_write = _maintenance(request, org_slug, code, require="respond")
    form = MaintenanceUpdateForm(request.POST)
    if form.is_valid():
        try:
            post_maintenance_update(
                maintenance=maintenance, author=request.user, **form.cleaned_data
            )
        except InvalidInput as exc:
            apply_invalid(form, exc)
        else:
            label = MaintenanceStatus(form.cleaned_data["status"]).label.lower()
            messages.success(request, f"Maintenance is now {label}.")
            return redirect("dashboard:maintenance-detail", org_slug=org_slug, code=code)
    with timezone.override(_zone(maintenance.page)):
        context = {
            "maintenance": maintenance,
            "can_write": can_write,
            "updates": maintenance.updates.select_related("author"),
            "components": maintenance.components.all(),
            "update_form": form,
        }
        return render(request, "maintenance/detail.html", context, status=400)


@login_required
def maintenance_delete(request: HttpRequest, org_slug: str, code: str) -> HttpResponse:
    maintenance, _ = _maintenance(request, org_slug, code, require="respond")
    if request.method == "POST":
        delete_maintenance(maintenance=maintenance)
        messages.success(request, f"Deleted “{maintenance.title}”.")
        return redirect("dashboard:maintenance-list", org_slug=org_slug)
    return render(request, "maintenance/confirm_delete.html", {"maintenance": maintenance})
