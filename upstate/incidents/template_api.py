"""REST API v1: incident templates (viewer keys read them, responder keys change them)."""

# No `from __future__ import annotations`: ninja's @paginate resolves annotations here.

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from ninja import Router, Status
from ninja.pagination import paginate

from upstate.api.access import Need, get_for_key, page_from_input, require, scoped
from upstate.api.errors import ERROR_RESPONSES
from upstate.api.pagination import Pagination
from upstate.incidents import template_services as services
from upstate.incidents.models import IncidentTemplate, TemplateComponent
from upstate.incidents.schemas import TemplateIn, TemplateOut, TemplatePatch
from upstate.incidents.services import ComponentChanges
from upstate.lib.codes import is_code
from upstate.lib.errors import InvalidInput
from upstate.pages.models import Component, StatusPage

router = Router(tags=["templates"])


def _templates() -> QuerySet[IncidentTemplate]:
    return IncidentTemplate.objects.select_related("page").prefetch_related(
        Prefetch("affected", TemplateComponent.objects.select_related("component__group"))
    )


def _components(
    request: HttpRequest, page: StatusPage | None, ids: list[str], statuses: dict[str, Any]
) -> ComponentChanges:
    """component_ids and components as the services take them; ids outside the page (or,
    for an organization-wide template, the organization) are bad input."""
    rows = scoped(Component.objects.select_related("page"), request)
    if page is not None:
        rows = rows.filter(page=page)
    changes: ComponentChanges = {}
    for field, codes in (("component_ids", ids), ("components", list(statuses))):
        found = {c.code: c for c in rows.filter(code__in=[c for c in codes if is_code(c)])}
        for code in codes:
            if code not in found:
                raise InvalidInput(field, f"no component with id {code!r} on this page")
            changes[found[code]] = statuses.get(code) if field == "components" else None
    return changes


@router.get("/templates", response={200: list[TemplateOut], **ERROR_RESPONSES})
@paginate(Pagination)
def list_templates(request: HttpRequest, page_id: str | None = None) -> Any:
    """By group and name. `page_id` lists the templates offered on that page (its own and
    the organization-wide ones)."""
    templates = scoped(_templates(), request)
    if page_id is not None:
        page = page_from_input(request, page_id)
        templates = templates & services.templates_for(page)
    return templates


@router.post("/templates", response={201: TemplateOut, **ERROR_RESPONSES})
def create_template(request: HttpRequest, payload: TemplateIn) -> Any:
    key = require(request, Need.RESPOND)
    fields = payload.model_dump()
    page_id = fields.pop("page_id")
    page = page_from_input(request, page_id) if page_id is not None else None
    components = _components(request, page, fields.pop("component_ids"), fields.pop("components"))
    template = services.create_template(org=key.org, page=page, components=components, **fields)
    return Status(201, get_for_key(request, _templates(), template.code))


@router.get("/templates/{template_id}", response={200: TemplateOut, **ERROR_RESPONSES})
def get_template(request: HttpRequest, template_id: str) -> Any:
    return get_for_key(request, _templates(), template_id)


@router.patch("/templates/{template_id}", response={200: TemplateOut, **ERROR_RESPONSES})
def update_template(request: HttpRequest, template_id: str, payload: TemplatePatch) -> Any:
    template = get_for_key(request, _templates(), template_id, need=Need.RESPOND)
    fields = payload.model_dump(exclude_unset=True)
    if "page_id" in fields:
        page_id = fields.pop("page_id")
        fields["page"] = page_from_input(request, page_id) if page_id is not None else None
    ids = fields.pop("component_ids", None)
    statuses = fields.pop("components", None)
    components = None
    if ids is not None or statuses is not None:
        page = fields["page"] if "page" in fields else template.page
        components = _components(request, page, ids or [], statuses or {})
    services.change_template(template=template, components=components, **fields)
    return get_for_key(request, _templates(), template.code)


@router.delete("/templates/{template_id}", response={204: None, **ERROR_RESPONSES})
def delete_template(request: HttpRequest, template_id: str) -> Any:
    services.delete_template(
        template=get_for_key(
            request, IncidentTemplate.objects.all(), template_id, need=Need.RESPOND
        )
    )
    return Status(204, None)
