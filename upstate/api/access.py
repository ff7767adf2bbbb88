"""Tenant access: every object an API call names is looked up within the key's organization.

Objects of other organizations are reported exactly like missing ones (404), so a key never
learns what another tenant has. Within its organization, a key's role decides what it may
change (403 otherwise).
"""

from __future__ import annotations

from enum import Enum
from typing import TypeVar

from django.db.models import Model, QuerySet
from django.http import HttpRequest

from upstate.api.errors import Forbidden
from upstate.incidents.models import Incident, IncidentTemplate
from upstate.lib.codes import is_code
from upstate.lib.errors import InvalidInput, NotFound
from upstate.maintenance.models import Maintenance
from upstate.monitors.models import Monitor
from upstate.orgs.models import ApiKey, Role
from upstate.pages.models import Component, ComponentGroup, StatusPage
from upstate.paging.models import Team
from upstate.subscribers.models import Subscriber
from upstate.tasks.models import Task

M = TypeVar("M", bound=Model)

# The path from each model to its organization.
_ORG_PATHS: dict[type[Model], str] = {
    StatusPage: "org",
    Component: "page__org",
    ComponentGroup: "page__org",
    Incident: "org",
    IncidentTemplate: "org",
    Maintenance: "org",
    Monitor: "org",
    Subscriber: "page__org",
    Team: "org",
    Task: "org",
}


class Need(Enum):
    READ = "read"
    RESPOND = "respond"  # incidents, postmortems, maintenance
    MANAGE = "manage"  # pages, components, component groups, monitors


def caller(request: HttpRequest) -> ApiKey:
    return request.auth  # type: ignore[attr-defined, return-value]


def require(request: HttpRequest, need: Need) -> ApiKey:
    """The caller's key, when its role allows `need`; else 403."""
    key = caller(request)
    role = Role(key.role)
    if need is Need.RESPOND and not role.can_respond:
        raise Forbidden(f"A {role.value} API key cannot change incidents or maintenance")
    if need is Need.MANAGE and not role.can_manage:
        raise Forbidden(
            f"A {role.value} API key cannot change pages, components, monitors, paging or providers"
        )
    return key


def scoped(queryset: QuerySet[M], request: HttpRequest) -> QuerySet[M]:
    """The queryset narrowed to the caller's organization."""
    org_path = _ORG_PATHS[queryset.model]
    return queryset.filter(**{f"{org_path}_id": caller(request).org_id})


def get_for_key(
    request: HttpRequest, queryset: QuerySet[M], code: str, *, need: Need = Need.READ
) -> M:
    """The object with this code in the caller's organization (404 otherwise), when the
    caller's role allows `need` (403 otherwise)."""
    found = scoped(queryset, request).filter(code=code).first() if is_code(code) else None
    if found is None:
        raise NotFound(f"No {queryset.model._meta.verbose_name} with id {code!r}")
    require(request, need)
    return found


def page_from_input(request: HttpRequest, code: str, *, field: str = "page_id") -> StatusPage:
    """A page named in a request body or query: unknown ids are bad input (422), not 404."""
    pages = scoped(StatusPage.objects.select_related("org"), request)
    page = pages.filter(code=code).first() if is_code(code) else None
    if page is None:
        raise InvalidInput(field, f"no page with id {code!r}")
    return page


def components_from_input(page: StatusPage, codes: list[str], *, field: str) -> list[Component]:
    """The page's components with these codes, in order; any other id is bad input."""
    if not codes:  # most updates name none: no queryset to build
        return []
    valid = [code for code in codes if is_code(code)]
    found = {c.code: c for c in Component.objects.filter(page=page, code__in=valid)}
    for code in codes:
        if code not in found:
            raise InvalidInput(field, f"no component with id {code!r} on this page")
    return [found[code] for code in dict.fromkeys(codes)]


def group_from_input(page: StatusPage, code: str, *, field: str = "group_id") -> ComponentGroup:
    group = ComponentGroup.objects.filter(page=page, code=code).first() if is_code(code) else None
    if group is None:
        raise InvalidInput(field, f"no component group with id {code!r} on this page")
    return group
