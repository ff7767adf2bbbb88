"""Pages, components and component groups in Statuspage's management API."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse

from upstate.lib.codes import is_code
from upstate.lib.errors import InvalidInput
from upstate.pages import services
from upstate.pages.models import Component, ComponentGroup, StatusPage
from upstate.statuspage import bodies, enums, serializers
from upstate.statuspage.bodies import present
from upstate.statuspage.errors import BadRequest, NotFound, Unprocessable
from upstate.statuspage.http import Call, empty, endpoint, json, paging
from upstate.statuspage.serializers import Statuses

# --- Pages -------------------------------------------------------------------------------


def list_pages(call: Call) -> HttpResponse:
    pages = StatusPage.objects.filter(org_id=call.key.org_id).order_by("created_at", "id")
    return json([serializers.page(p) for p in pages])


def get_page(call: Call) -> HttpResponse:
    return json(serializers.page(call.page))


PAGE_UNSUPPORTED = {"headline", "branding", "subdomain", "city", "state", "country"}


def update_page(call: Call) -> HttpResponse:
    call.need("manage")
    fields = bodies.wrapped(bodies.read_body(call.request), "page")
    changes: dict[str, Any] = {}
    if "name" in fields:
        changes["name"] = bodies.text("name", fields["name"], limit=120)
    if "time_zone" in fields:
        changes["time_zone"] = bodies.text("time_zone", fields["time_zone"], limit=64)
    if "page_description" in fields:
        changes["description"] = (
            bodies.text("page_description", fields["page_description"], limit=5000) or ""
        )
    if "support_url" in fields:
        changes["support_url"] = bodies.text("support_url", fields["support_url"], limit=200) or ""
    if "hidden_from_search" in fields:
        changes["private"] = bodies.boolean(
            "hidden_from_search", fields["hidden_from_search"], False
        )
    for name in ("url", "domain"):
        if name in fields:
            # A Statuspage page's address is its custom domain here: the host of `url`.
            value = bodies.text(name, fields[name], limit=300) or ""
            host = value.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
            changes["custom_domain"] = host or None
    given = sorted(set(fields) & PAGE_UNSUPPORTED)
    if given:
        raise BadRequest(f"{given[0]}: is not supported by Upstate")
    try:
        services.update_page(page=call.page, **changes)
    except InvalidInput as exc:
        field = {"custom_domain": "url", "description": "page_description"}.get(exc.field)
        if field is None:
            raise
        raise Unprocessable(f"{field}: {exc.message}") from exc
    call.page.refresh_from_db()
    return json(serializers.page(call.page))


pages_view = endpoint(page=False, GET=list_pages)
page_view = endpoint(GET=get_page, PATCH=update_page)


# --- Components --------------------------------------------------------------------------


def _component(call: Call, code: str) -> Component:
    found = (
        Component.objects.select_related("group", "page").filter(page=call.page, code=code).first()
        if is_code(code)
        else None
    )
    if found is None:
        raise NotFound()
    return found


def _group_of(call: Call, value: Any, field: str = "group_id") -> ComponentGroup | None:
    # "If group_id is "null" then the component will be removed from a group."
    if not present(value) or value == "null":
        return None
    group = (
        ComponentGroup.objects.filter(page=call.page, code=str(value)).first()
        if is_code(str(value))
        else None
    )
    if group is None:
        raise Unprocessable(f"{field}: no component group with id {value!r} on this page")
    return group


def _status(value: Any) -> str | None:
    if not present(value):
        return None
    if value not in enums.COMPONENT_STATUSES:
        raise Unprocessable(f"status: must be one of {', '.join(enums.COMPONENT_STATUSES)}")
    return str(value)


def _component_fields(call: Call, fields: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "name" in fields:
        out["name"] = bodies.text("name", fields["name"], limit=120)
    if "description" in fields:
        out["description"] = bodies.text("description", fields["description"], limit=5000) or ""
    if "group_id" in fields:
        out["group"] = _group_of(call, fields["group_id"])
    status = _status(fields.get("status"))
    if status is not None:
        out["baseline_status"] = status
    if present(fields.get("only_show_if_degraded")):
        out["only_show_if_degraded"] = bodies.boolean(
            "only_show_if_degraded", fields["only_show_if_degraded"]
        )
    if "start_date" in fields:
        out["start_date"] = bodies.day("start_date", fields["start_date"])
    return out


def list_components(call: Call) -> HttpResponse:
    offset, limit = paging(call.request)
    statuses = Statuses(call.page)
    rows = (
        Component.objects.filter(page=call.page).select_related("group").order_by("position", "id")
    )
    return json([serializers.component(c, statuses) for c in rows[offset : offset + limit]])


def create_component(call: Call) -> HttpResponse:
    call.need("manage")
    fields = bodies.wrapped(bodies.read_body(call.request), "component")
    if not present(fields.get("name")):
        raise Unprocessable("name: can't be blank")
    created = services.create_component(page=call.page, **_component_fields(call, fields))
    return json(serializers.component(_component(call, created.code), Statuses(call.page)), 201)


def get_component(call: Call, component_id: str) -> HttpResponse:
    return json(serializers.component(_component(call, component_id), Statuses(call.page)))


def update_component(call: Call, component_id: str) -> HttpResponse:
    component = _component(call, component_id)
    call.need("manage")
    fields = bodies.wrapped(bodies.read_body(call.request), "component")
    services.update_component(component=component, **_component_fields(call, fields))
    return json(serializers.component(_component(call, component_id), Statuses(call.page)))


def delete_component(call: Call, component_id: str) -> HttpResponse:
    component = _component(call, component_id)
    call.need("manage")
    services.delete_component(component=component)
    return empty(204)


components_view = endpoint(GET=list_components, POST=create_component)
component_view = endpoint(GET=get_component, PATCH=update_component, DELETE=delete_component)


# --- Component groups --------------------------------------------------------------------


def _group(call: Call, code: str) -> ComponentGroup:
    group = _group_of(call, code) if is_code(code) else None
    if group is None:
        raise NotFound()
    return group


def _group_json(call: Call, code: str) -> dict[str, Any]:
    group = ComponentGroup.objects.prefetch_related("components").get(page=call.page, code=code)
    return serializers.group(group, call.page.code)


def _group_body(call: Call) -> dict[str, Any]:
    """Wrapped as the spec says, or unwrapped as some clients send it; a `description`
    beside `component_group` (the spec's place for it) counts too."""
    data = bodies.read_body(call.request)
    fields = bodies.wrapped(data, "component_group", unwrapped_ok=True)
    if "description" in data and "description" not in fields:
        fields["description"] = data["description"]
    return fields


def _members(call: Call, ids: list[str]) -> list[Component]:
    found = {c.code: c for c in Component.objects.filter(page=call.page, code__in=ids)}
    for code in ids:
        if code not in found:
            raise Unprocessable(f"components: no component with id {code!r} on this page")
    return [found[code] for code in ids]


def _set_members(group: ComponentGroup, members: list[Component]) -> None:
    wanted = {c.id for c in members}
    for component in Component.objects.filter(group=group).exclude(id__in=wanted):
        services.update_component(component=component, group=None)
    for component in members:
        if component.group_id != group.id:
            services.update_component(component=component, group=group)


def list_groups(call: Call) -> HttpResponse:
    offset, limit = paging(call.request)
    rows = ComponentGroup.objects.filter(page=call.page).prefetch_related("components")
    return json([serializers.group(g, call.page.code) for g in rows[offset : offset + limit]])


def create_group(call: Call) -> HttpResponse:
    call.need("manage")
    fields = _group_body(call)
    if not present(fields.get("name")):
        raise Unprocessable("name: can't be blank")
    ids = bodies.id_list("components", fields.get("components"))
    if not ids:
        raise Unprocessable("components: must name at least one component (groups are not empty)")
    members = _members(call, ids)
    group = services.create_group(
        page=call.page,
        name=bodies.text("name", fields["name"], limit=120),
        description=bodies.text("description", fields.get("description"), limit=5000) or "",
    )
    _set_members(group, members)
    return json(_group_json(call, group.code), 201)


def get_group(call: Call, group_id: str) -> HttpResponse:
    return json(_group_json(call, _group(call, group_id).code))


def update_group(call: Call, group_id: str) -> HttpResponse:
    group = _group(call, group_id)
    call.need("manage")
    fields = _group_body(call)
    changes: dict[str, Any] = {}
    if present(fields.get("name")):
        changes["name"] = bodies.text("name", fields["name"], limit=120)
    if "description" in fields:
        changes["description"] = bodies.text("description", fields["description"], limit=5000) or ""
    if changes:
        services.update_group(group=group, **changes)
    if present(fields.get("components")):
        ids = bodies.id_list("components", fields["components"])
        if not ids:
            raise Unprocessable("components: must name at least one component")
        _set_members(group, _members(call, ids))
    return json(_group_json(call, group.code))


def delete_group(call: Call, group_id: str) -> HttpResponse:
    group = _group(call, group_id)
    call.need("manage")
    deleted = _group_json(call, group.code)
    services.delete_group(group=group)
    return json(deleted)


groups_view = endpoint(GET=list_groups, POST=create_group)
group_view = endpoint(GET=get_group, PATCH=update_group, DELETE=delete_group)
