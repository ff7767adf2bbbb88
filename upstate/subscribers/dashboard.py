"""Dashboard: a page's subscribers (search and filters, each one's delivery log, removal) and
CSV export and import. (The public subscription views are in views.py.) Every view is for
responders and above; importing subscribers as already confirmed is for admins."""

from __future__ import annotations

import csv
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from upstate.dashboard.access import get_for_member
from upstate.lib.errors import InvalidInput
from upstate.notifications.models import Delivery, DeliveryStatus
from upstate.pages.models import StatusPage
from upstate.subscribers import csvfile, services
from upstate.subscribers.forms import ImportCommitForm, ImportForm
from upstate.subscribers.models import Channel, Subscriber

PER_PAGE = 100
PREVIEW_ROWS = 100
BOUNCED = [DeliveryStatus.FAILED.value, DeliveryStatus.PERMANENT.value]
STATES = [
    ("", "Any state"),
    ("active", "Confirmed (and not bouncing)"),
    ("unconfirmed", "Unconfirmed"),
    ("disabled", "Disabled"),
    ("bouncing", "Bouncing (last delivery failed)"),
]


def _page(request: HttpRequest, org_slug: str, page_slug: str) -> StatusPage:
    page, _ = get_for_member(
        request, StatusPage, org_slug=org_slug, slug=page_slug, require="respond"
    )
    return page


def _subscriber(request: HttpRequest, org_slug: str, page_slug: str, code: str) -> Subscriber:
    page = _page(request, org_slug, page_slug)
    subscriber = Subscriber.objects.filter(page=page, code=code).select_related("page").first()
    if subscriber is None:
        raise Http404("No such subscriber")
    return subscriber


def _params(request: HttpRequest) -> dict[str, str]:
    params = {k: request.GET.get(k, "").strip()[:200] for k in ("q", "channel", "state")}
    if params["channel"] not in Channel.values:
        params["channel"] = ""
    if params["state"] not in dict(STATES):
        params["state"] = ""
    return params


def _filtered(page: StatusPage, params: dict[str, str]) -> QuerySet[Subscriber]:
    """The page's subscribers with their last delivery's outcome, filtered as asked."""
    last = Delivery.objects.filter(subscriber=OuterRef("pk")).order_by("-id")
    subscribers = Subscriber.objects.filter(page=page).annotate(
        last_status=Subquery(last.values("status")[:1]),
        last_error=Subquery(last.values("last_error")[:1]),
        last_at=Subquery(last.values("updated_at")[:1]),
    )
    if params["q"]:
        subscribers = subscribers.filter(address__icontains=params["q"])
    if params["channel"]:
        subscribers = subscribers.filter(channel=params["channel"])
    state = params["state"]
    enabled = Q(disabled_at__isnull=True)
    not_bouncing = Q(last_status__isnull=True) | ~Q(last_status__in=BOUNCED)
    if state == "active":
        subscribers = subscribers.filter(enabled, not_bouncing, confirmed_at__isnull=False)
    elif state == "unconfirmed":
        subscribers = subscribers.filter(enabled, confirmed_at__isnull=True)
    elif state == "disabled":
        subscribers = subscribers.filter(disabled_at__isnull=False)
    elif state == "bouncing":
        subscribers = subscribers.filter(enabled, last_status__in=BOUNCED)
    return subscribers.prefetch_related("components").order_by("-created_at", "-id")


@login_required
@require_GET
def subscriber_list(request: HttpRequest, org_slug: str, page_slug: str) -> HttpResponse:
    page = _page(request, org_slug, page_slug)
    params = _params(request)
    subscribers = Paginator(_filtered(page, params), PER_PAGE).get_page(request.GET.get("page"))
    for s in subscribers:
        s.bouncing = s.disabled_at is None and s.last_status in BOUNCED
    context = {
        "page": page,
        "subscribers": subscribers,
        "total": Subscriber.objects.filter(page=page).count(),
        "params": params,
        "query": urlencode({k: v for k, v in params.items() if v}),
        "channels": Channel.choices,
        "states": STATES,
    }
    return render(request, "subscribers/dashboard_list.html", context)


@login_required
@require_GET
def subscriber_detail(
    request: HttpRequest, org_slug: str, page_slug: str, code: str
) -> HttpResponse:
    """One subscriber's delivery log: every event it was sent, each failed attempt with the
    provider's answer, and the final outcome."""
    subscriber = _subscriber(request, org_slug, page_slug, code)
    deliveries = (
        Delivery.objects.filter(subscriber=subscriber)
        .select_related("event", "event__incident", "event__maintenance")
        .prefetch_related("failures")
        .order_by("-id")
    )
    context = {
        "page": subscriber.page,
        "subscriber": subscriber,
        "deliveries": Paginator(deliveries, PER_PAGE).get_page(request.GET.get("page")),
    }
    return render(request, "subscribers/dashboard_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def subscriber_delete(
    request: HttpRequest, org_slug: str, page_slug: str, code: str
) -> HttpResponse:
    subscriber = _subscriber(request, org_slug, page_slug, code)
    if request.method == "POST":
        services.unsubscribe(subscriber=subscriber)
        messages.success(request, f"Removed {subscriber.address}.")
        return redirect("dashboard:subscriber-list", org_slug=org_slug, page_slug=page_slug)
    context = {"page": subscriber.page, "subscriber": subscriber}
    return render(request, "subscribers/dashboard_delete.html", context)


class _Echo:
    def write(self, value: str) -> str:
        return value


@login_required
@require_GET
def subscriber_export(request: HttpRequest, org_slug: str, page_slug: str) -> HttpResponse:
    """The (filtered) subscribers as CSV, streamed; the columns import reads come first."""
    page = _page(request, org_slug, page_slug)
    writer = csv.writer(_Echo())
    rows = csvfile.export_rows(_filtered(page, _params(request)).iterator(chunk_size=1000))
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="subscribers-{page.slug}.csv"'
    return response


def _import_context(request: HttpRequest, page: StatusPage, **extra: Any) -> dict[str, Any]:
    return {"page": page, "columns": csvfile.COLUMNS, "separator": csvfile.SEPARATOR, **extra}


def _import_form(request: HttpRequest, *args: Any) -> ImportForm:
    return ImportForm(*args, allow_confirmed=request.member.can_manage)  # type: ignore[attr-defined]


@login_required
@require_GET
def subscriber_import(request: HttpRequest, org_slug: str, page_slug: str) -> HttpResponse:
    page = _page(request, org_slug, page_slug)
    context = _import_context(request, page, form=_import_form(request))
    return render(request, "subscribers/dashboard_import.html", context)


def _check_confirmed(request: HttpRequest, confirmed: bool) -> None:
    if confirmed and not request.member.can_manage:  # type: ignore[attr-defined]
        raise PermissionDenied("Only admins may import subscribers as confirmed")


def _preview(
    request: HttpRequest, page: StatusPage, text: str, confirmed: bool, status: int = 200
) -> HttpResponse:
    plan = csvfile.read(text, page)
    commit = ImportCommitForm(initial={"csv": text, "confirmed": confirmed})
    context = _import_context(
        request,
        page,
        plan=plan,
        shown=plan.rows[:PREVIEW_ROWS],
        confirmed=confirmed,
        commit=commit,
    )
    return render(request, "subscribers/dashboard_import_preview.html", context, status=status)


@login_required
@require_POST
def subscriber_import_preview(request: HttpRequest, org_slug: str, page_slug: str) -> HttpResponse:
    """Check an uploaded file and show what importing it would do; nothing is written."""
    page = _page(request, org_slug, page_slug)
    _check_confirmed(request, request.POST.get("confirmed") == "on")
    form = _import_form(request, request.POST, request.FILES)
    text = ""
    if form.is_valid():
        try:
            text = csvfile.decode(form.cleaned_data["file"].read())
        except InvalidInput as exc:
            form.add_error("file", exc.message)
    if form.errors:
        context = _import_context(request, page, form=form)
        return render(request, "subscribers/dashboard_import.html", context, status=400)
    return _preview(request, page, text, form.cleaned_data.get("confirmed", False))


@login_required
@require_POST
def subscriber_import_commit(request: HttpRequest, org_slug: str, page_slug: str) -> HttpResponse:
    """Import the previewed file, checked again: all rows or, on any error, none."""
    page = _page(request, org_slug, page_slug)
    form = ImportCommitForm(request.POST)
    if not form.is_valid():
        return redirect("dashboard:subscriber-import", org_slug=org_slug, page_slug=page_slug)
    confirmed = form.cleaned_data["confirmed"]
    _check_confirmed(request, confirmed)
    text = form.cleaned_data["csv"]
    plan = csvfile.read(text, page)
    if not plan.ok:
        return _preview(request, page, text, confirmed, status=400)
    created = services.import_subscribers(page=page, rows=plan.rows, confirmed=confirmed)
    skipped = (
        f"; {len(plan.existing)} already subscribed left as they were" if plan.existing else ""
    )
    messages.success(request, f"Imported {len(created)} subscribers{skipped}.")
    return redirect("dashboard:subscriber-list", org_slug=org_slug, page_slug=page_slug)
