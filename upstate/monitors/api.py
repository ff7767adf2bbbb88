"""REST API v1: monitors and their results (admin keys change them), and the heartbeat
push URL (see `views.heartbeat`, which needs no key)."""

# No `from __future__ import annotations` here: ninja's @paginate wrapper resolves the view's
# annotations in its own module, where string annotations naming our types cannot resolve.

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router, Status
from ninja.pagination import paginate

from upstate.api.access import Need, get_for_key, page_from_input, require, scoped
from upstate.api.errors import ERROR_RESPONSES
from upstate.api.pagination import Pagination
from upstate.lib.codes import is_code
from upstate.lib.errors import InvalidInput
from upstate.monitors import services
from upstate.monitors.models import Monitor, MonitorKind, MonitorStatus
from upstate.monitors.schemas import CheckResultOut, MonitorIn, MonitorOut, MonitorPatch
from upstate.pages.models import Component, StatusPage

router = Router(tags=["monitors"])

# Alert policy fields as the API names them -> the service's names.
POLICY_FIELDS = {
    "create_status_page_incident": "create_incident",
    "page_id": "page",
    "component_id": "component",
}
SERVICE_TO_API = {
    "page_id": "alert_policy.page_id",
    "component_id": "alert_policy.component_id",
    "create_incident": "alert_policy.create_status_page_incident",
    **{
        name: f"alert_policy.{name}"
        for name in (
            "impact",
            "severity",
            "failures_before_open",
            "successes_before_resolve",
            "message_template",
        )
    },
}


def _monitors() -> QuerySet[Monitor]:
    return Monitor.objects.select_related("page", "component", "incident")


def _monitor(request: HttpRequest, monitor_id: str, need: Need = Need.READ) -> Monitor:
    return get_for_key(request, _monitors(), monitor_id, need=need)


def _component(request: HttpRequest, page: StatusPage | None, code: str) -> Component:
    components = scoped(Component.objects.select_related("page"), request)
    if page is not None:
        components = components.filter(page=page)
    found = components.filter(code=code).first() if is_code(code) else None
    if found is None:
        where = "on this page" if page is not None else "in this organization"
        raise InvalidInput("alert_policy.component_id", f"no component with id {code!r} {where}")
    return found


def _fields(request: HttpRequest, payload: dict[str, Any], monitor: Monitor | None) -> dict:
    """The request's fields in the service's terms, with pages and components looked up."""
    policy = payload.pop("alert_policy", None) or {}
    fields = dict(payload)
    for key, value in policy.items():
        fields[POLICY_FIELDS.get(key, key)] = value
    if "severity" in fields and fields["severity"] is None:
        fields["severity"] = ""
    page = monitor.page if monitor is not None else None
    if fields.get("page") is not None:
        page = page_from_input(request, fields["page"], field="alert_policy.page_id")
        fields["page"] = page
        if "component" not in fields and monitor is not None and monitor.component_id:
            if monitor.component.page_id != page.id:
                fields["component"] = None  # the old page's component cannot follow
    if fields.get("component") is not None:
        explicit_page = page if "page" in fields else None
        fields["component"] = _component(request, explicit_page, fields["component"])
    return fields


def _save(function: Any, **kwargs: Any) -> Monitor:
    try:
        return function(**kwargs)
    except InvalidInput as exc:
        raise InvalidInput(SERVICE_TO_API.get(exc.field, exc.field), exc.message) from exc


@router.get("/monitors", response={200: list[MonitorOut], **ERROR_RESPONSES})
@paginate(Pagination)
def list_monitors(
    request: HttpRequest, kind: MonitorKind | None = None, status: MonitorStatus | None = None
) -> Any:
    """By name."""
    monitors = scoped(_monitors(), request).order_by("name", "id")
    if kind is not None:
        monitors = monitors.filter(kind=kind)
    if status is not None:
        monitors = monitors.filter(status=status)
    return monitors


@router.post("/monitors", response={201: MonitorOut, **ERROR_RESPONSES})
def create_monitor(request: HttpRequest, payload: MonitorIn) -> Any:
    key = require(request, Need.MANAGE)
    fields = _fields(request, payload.model_dump(), None)
    monitor = _save(services.create_monitor, org=key.org, **fields)
    return Status(201, _monitor(request, monitor.code))


@router.get("/monitors/{monitor_id}", response={200: MonitorOut, **ERROR_RESPONSES})
def get_monitor(request: HttpRequest, monitor_id: str) -> Any:
    return _monitor(request, monitor_id)


@router.patch("/monitors/{monitor_id}", response={200: MonitorOut, **ERROR_RESPONSES})
def update_monitor(request: HttpRequest, monitor_id: str, payload: MonitorPatch) -> Any:
    """Only the fields sent change (also inside `alert_policy`)."""
    monitor = _monitor(request, monitor_id, Need.MANAGE)
    fields = _fields(request, payload.model_dump(exclude_unset=True), monitor)
    _save(services.change_monitor, monitor=monitor, **fields)
    return _monitor(request, monitor_id)


@router.delete("/monitors/{monitor_id}", response={204: None, **ERROR_RESPONSES})
def delete_monitor(request: HttpRequest, monitor_id: str) -> Any:
    services.delete_monitor(monitor=_monitor(request, monitor_id, Need.MANAGE))
    return Status(204, None)


@router.get(
    "/monitors/{monitor_id}/results", response={200: list[CheckResultOut], **ERROR_RESPONSES}
)
@paginate(Pagination)
def list_results(request: HttpRequest, monitor_id: str, ok: bool | None = None) -> Any:
    """The latest checks first (raw results are kept for two days; see the roll-ups in the
    dashboard for longer history)."""
    monitor = _monitor(request, monitor_id)
    results = monitor.results.order_by("-checked_at", "-id")
    if ok is not None:
        results = results.filter(ok=ok)
    return results
