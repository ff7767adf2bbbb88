"""REST API v1: scheduled maintenance (responder keys change it)."""

# No `from __future__ import annotations` here: ninja's @paginate wrapper resolves the view's
# annotations in its own module, where string annotations naming our types cannot resolve.

from typing import Any

from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from ninja import Router, Status
from ninja.pagination import paginate

from upstate.api.access import (
    Need,
    components_from_input,
    get_for_key,
    page_from_input,
    require,
    scoped,
)
from upstate.api.errors import ERROR_RESPONSES
from upstate.api.pagination import Pagination
from upstate.lib.errors import InvalidInput
from upstate.maintenance import services
from upstate.maintenance.models import Maintenance, MaintenanceStatus
from upstate.maintenance.schemas import (
    MaintenanceIn,
    MaintenanceOut,
    MaintenancePatch,
    MaintenanceUpdateIn,
)
from upstate.pages.models import Component

router = Router(tags=["maintenance"])


def _maintenances() -> QuerySet[Maintenance]:
    """Maintenance with everything MaintenanceOut shows, in a constant number of queries."""
    return Maintenance.objects.select_related("page").prefetch_related(
        Prefetch("components", Component.objects.select_related("group")), "updates"
    )


def _maintenance(request: HttpRequest, maintenance_id: str, need: Need = Need.READ) -> Maintenance:
    return get_for_key(request, _maintenances(), maintenance_id, need=need)


@router.get("/maintenances", response={200: list[MaintenanceOut], **ERROR_RESPONSES})
@paginate(Pagination)
def list_maintenances(
    request: HttpRequest, page_id: str | None = None, status: MaintenanceStatus | None = None
) -> Any:
    """Latest window first."""
    maintenances = scoped(_maintenances(), request).order_by("-starts_at", "-id")
    if page_id is not None:
        maintenances = maintenances.filter(page=page_from_input(request, page_id))
    if status is not None:
        maintenances = maintenances.filter(status=status)
    return maintenances


@router.post("/maintenances", response={201: MaintenanceOut, **ERROR_RESPONSES})
def schedule_maintenance(request: HttpRequest, payload: MaintenanceIn) -> Any:
    require(request, Need.RESPOND)
    fields = payload.model_dump()
    page = page_from_input(request, fields.pop("page_id"))
    components = components_from_input(page, fields.pop("component_ids"), field="component_ids")
    maintenance = services.schedule_maintenance(page=page, components=components, **fields)
    return Status(201, _maintenance(request, maintenance.code))


@router.get("/maintenances/{maintenance_id}", response={200: MaintenanceOut, **ERROR_RESPONSES})
def get_maintenance(request: HttpRequest, maintenance_id: str) -> Any:
    return _maintenance(request, maintenance_id)


@router.patch("/maintenances/{maintenance_id}", response={200: MaintenanceOut, **ERROR_RESPONSES})
def update_maintenance(request: HttpRequest, maintenance_id: str, payload: MaintenancePatch) -> Any:
    """Change details in place; a `status` (with an optional `update_message`) posts an
    update."""
    maintenance = _maintenance(request, maintenance_id, Need.RESPOND)
    fields = payload.model_dump(exclude_unset=True)
    status = fields.pop("status", None)
    update_message = fields.pop("update_message", None)
    if status is None and update_message is not None:
        raise InvalidInput("update_message", "goes with a status; send one to post an update")
    components = None
    if "component_ids" in fields:
        codes = fields.pop("component_ids")
        components = components_from_input(maintenance.page, codes, field="component_ids")
    with transaction.atomic():
        if fields or components is not None:
            services.change_maintenance(maintenance=maintenance, components=components, **fields)
        if status is not None:
            services.post_maintenance_update(
                maintenance=maintenance, status=status, message=update_message or ""
            )
    return _maintenance(request, maintenance_id)


@router.delete("/maintenances/{maintenance_id}", response={204: None, **ERROR_RESPONSES})
def delete_maintenance(request: HttpRequest, maintenance_id: str) -> Any:
    services.delete_maintenance(maintenance=_maintenance(request, maintenance_id, Need.RESPOND))
    return Status(204, None)


@router.post(
    "/maintenances/{maintenance_id}/updates",
    response={201: MaintenanceOut, **ERROR_RESPONSES},
)
def post_maintenance_update(
    request: HttpRequest, maintenance_id: str, payload: MaintenanceUpdateIn
) -> Any:
    """Move the maintenance to `status` with a timeline entry; answers with the maintenance."""
    maintenance = _maintenance(request, maintenance_id, Need.RESPOND)
    services.post_maintenance_update(
        maintenance=maintenance, status=payload.status, message=payload.message
    )
    return Status(201, _maintenance(request, maintenance_id))
