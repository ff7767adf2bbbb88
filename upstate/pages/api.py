"""REST API v1: pages, components and component groups (admin keys change them)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from upstate.api.access import (
    Need,
    get_for_key,
    group_from_input,
    require,
    scoped,
)
from upstate.api.errors import ERROR_RESPONSES
from upstate.lib.errors import InvalidInput
from upstate.pages import domains, services
from upstate.pages.models import Component, ComponentGroup, StatusPage
from upstate.pages.schemas import (
    ComponentGroupIn,
    ComponentGroupOut,
    ComponentGroupPatch,
    ComponentIn,
    ComponentOut,
    ComponentPatch,
    PageIn,
    PageOut,
    PagePatch,
)

router = Router(tags=["pages"])

PAGES = StatusPage.objects.select_related("org")
COMPONENTS = Component.objects.select_related("page", "group")
GROUPS = ComponentGroup.objects.select_related("page").prefetch_related("components")


def _page(request: HttpRequest, page_id: str, need: Need = Need.READ) -> StatusPage:
    return get_for_key(request, PAGES, page_id, need=need)


@router.get("/pages", response={200: list[PageOut], **ERROR_RESPONSES})
def list_pages(request: HttpRequest) -> Any:
    return scoped(PAGES, request).order_by("name", "id")


@router.post("/pages", response={201: PageOut, **ERROR_RESPONSES})
def create_page(request: HttpRequest, payload: PageIn) -> Any:
    key = require(request, Need.MANAGE)
    return Status(201, services.create_page(org=key.org, **payload.model_dump()))


@router.get("/pages/{page_id}", response={200: PageOut, **ERROR_RESPONSES})
def get_page(request: HttpRequest, page_id: str) -> Any:
    return _page(request, page_id)


@router.patch("/pages/{page_id}", response={200: PageOut, **ERROR_RESPONSES})
def update_page(request: HttpRequest, page_id: str, payload: PagePatch) -> Any:
    page = _page(request, page_id, Need.MANAGE)
    return services.update_page(page=page, **payload.model_dump(exclude_unset=True))


@router.post("/pages/{page_id}/custom-domain/check", response={202: PageOut, **ERROR_RESPONSES})
def check_custom_domain(request: HttpRequest, page_id: str) -> Any:
    """Look the custom domain's TXT record up again now (the worker also does every few
    minutes); `custom_domain_verification` says what it found once the check ran."""
    page = _page(request, page_id, Need.MANAGE)
    if not page.custom_domain:
        raise InvalidInput("custom_domain", "the page has no custom domain to check")
    domains.request_check(page=page)
    return Status(202, page)


@router.delete("/pages/{page_id}", response={204: None, **ERROR_RESPONSES})
def delete_page(request: HttpRequest, page_id: str) -> Any:
    services.delete_page(page=_page(request, page_id, Need.MANAGE))
    return Status(204, None)


# --- Components -----------------------------------------------------------------------------


def _component_fields(page: StatusPage, fields: dict[str, Any]) -> dict[str, Any]:
    """Request fields as the service takes them: the group id becomes the group."""
    if "group_id" in fields:
        code = fields.pop("group_id")
        fields["group"] = group_from_input(page, code) if code is not None else None
    return fields


@router.get("/pages/{page_id}/components", response={200: list[ComponentOut], **ERROR_RESPONSES})
def list_components(request: HttpRequest, page_id: str) -> Any:
    page = _page(request, page_id)
    return COMPONENTS.filter(page=page)


@router.post("/pages/{page_id}/components", response={201: ComponentOut, **ERROR_RESPONSES})
def create_component(request: HttpRequest, page_id: str, payload: ComponentIn) -> Any:
    page = _page(request, page_id, Need.MANAGE)
    fields = _component_fields(page, payload.model_dump())
    return Status(201, services.create_component(page=page, **fields))


@router.get("/components/{component_id}", response={200: ComponentOut, **ERROR_RESPONSES})
def get_component(request: HttpRequest, component_id: str) -> Any:
    return get_for_key(request, COMPONENTS, component_id)


@router.patch("/components/{component_id}", response={200: ComponentOut, **ERROR_RESPONSES})
def update_component(request: HttpRequest, component_id: str, payload: ComponentPatch) -> Any:
    component = get_for_key(request, COMPONENTS, component_id, need=Need.MANAGE)
    fields = _component_fields(component.page, payload.model_dump(exclude_unset=True))
    return services.update_component(component=component, **fields)


@router.delete("/components/{component_id}", response={204: None, **ERROR_RESPONSES})
def delete_component(request: HttpRequest, component_id: str) -> Any:
    component = get_for_key(request, COMPONENTS, component_id, need=Need.MANAGE)
    services.delete_component(component=component)
    return Status(204, None)


# --- Component groups -----------------------------------------------------------------------


@router.get(
    "/pages/{page_id}/component-groups",
    response={200: list[ComponentGroupOut], **ERROR_RESPONSES},
)
def list_groups(request: HttpRequest, page_id: str) -> Any:
    page = _page(request, page_id)
    return GROUPS.filter(page=page)


@router.post(
    "/pages/{page_id}/component-groups", response={201: ComponentGroupOut, **ERROR_RESPONSES}
)
def create_group(request: HttpRequest, page_id: str, payload: ComponentGroupIn) -> Any:
    page = _page(request, page_id, Need.MANAGE)
    return Status(201, services.create_group(page=page, **payload.model_dump()))


@router.get("/component-groups/{group_id}", response={200: ComponentGroupOut, **ERROR_RESPONSES})
def get_group(request: HttpRequest, group_id: str) -> Any:
    return get_for_key(request, GROUPS, group_id)


@router.patch("/component-groups/{group_id}", response={200: ComponentGroupOut, **ERROR_RESPONSES})
def update_group(request: HttpRequest, group_id: str, payload: ComponentGroupPatch) -> Any:
    group = get_for_key(request, GROUPS, group_id, need=Need.MANAGE)
    return services.update_group(group=group, **payload.model_dump(exclude_unset=True))


@router.delete("/component-groups/{group_id}", response={204: None, **ERROR_RESPONSES})
def delete_group(request: HttpRequest, group_id: str) -> Any:
    group = get_for_key(request, GROUPS, group_id, need=Need.MANAGE)
    services.delete_group(group=group)
    return Status(204, None)
