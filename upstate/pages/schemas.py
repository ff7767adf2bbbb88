"""API shapes of pages, components and component groups."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest
from ninja import Schema

from upstate.api.fields import Code, InSchema, Line, PatchSchema, Position, Text, Timestamp, Url
from upstate.pages import domains
from upstate.pages.health import component_statuses
from upstate.pages.models import Component, ComponentGroup, ComponentStatus, StatusPage
from upstate.public.links import page_url


class PageIn(InSchema):
    name: Line
    slug: Line
    description: Text = ""
    custom_domain: Line | None = None
    logo_url: Url = ""
    accent_color: Line = "#2563eb"
    time_zone: Line = "Etc/UTC"
    show_severity: bool = True
    promise_postmortem: bool = False
    private: bool = False
    support_url: Url = ""


class PagePatch(PatchSchema):
    NULLABLE = frozenset({"description", "custom_domain", "logo_url", "support_url"})

    name: Line | None = None
    slug: Line | None = None
    description: Text | None = None
    custom_domain: Line | None = None
    logo_url: Url | None = None
    accent_color: Line | None = None
    time_zone: Line | None = None
    show_severity: bool | None = None
    promise_postmortem: bool | None = None
    private: bool | None = None
    support_url: Url | None = None


class DomainVerificationOut(Schema):
    """Whether the page's custom domain is proven, and the TXT record that proves it."""

    status: str  # none, pending, verified or failed
    record_name: str | None
    record_type: str = "TXT"
    record_value: str | None
    checked_at: Timestamp | None
    verified_at: Timestamp | None
    error: str

    @staticmethod
    def of(page: StatusPage) -> DomainVerificationOut:
        claimed = bool(page.custom_domain)
        return DomainVerificationOut(
            status=domains.status(page),
            record_name=domains.challenge_name(page.custom_domain) if claimed else None,
            record_value=domains.challenge_value(page.domain_token) if claimed else None,
            checked_at=page.domain_checked_at,
            verified_at=page.domain_verified_at,
            error=page.domain_check_error,
        )


class PageOut(Schema):
    id: str
    name: str
    slug: str
    description: str
    custom_domain: str | None
    # The domain is served and used in links only once verified.
    custom_domain_verification: DomainVerificationOut
    logo_url: str
    accent_color: str
    time_zone: str
    show_severity: bool
    promise_postmortem: bool
    private: bool
    support_url: str
    url: str
    created_at: Timestamp
    updated_at: Timestamp

    @staticmethod
    def resolve_id(page: StatusPage) -> str:
        return page.code

    @staticmethod
    def resolve_url(page: StatusPage) -> str:
        return page_url(page)

    @staticmethod
    def resolve_custom_domain_verification(page: StatusPage) -> DomainVerificationOut:
        return DomainVerificationOut.of(page)


class ComponentIn(InSchema):
    name: Line
    description: Text = ""
    group_id: Code | None = None
    position: Position | None = None
    baseline_status: ComponentStatus = ComponentStatus.OPERATIONAL
    only_show_if_degraded: bool = False
    # Other words customers use for it, comma-separated; read by incident matching only.
    keywords: Text = ""
    # The first day its uptime bars count (Statuspage's start_date); unset: its creation.
    start_date: date | None = None


class ComponentPatch(PatchSchema):
    NULLABLE = frozenset({"description", "keywords", "group_id", "position", "start_date"})

    name: Line | None = None
    description: Text | None = None
    group_id: Code | None = None
    position: Position | None = None
    baseline_status: ComponentStatus | None = None
    only_show_if_degraded: bool | None = None
    start_date: date | None = None
    keywords: Text | None = None


def _current_statuses(request: HttpRequest, page: StatusPage) -> dict[int, ComponentStatus]:
    """Derived statuses of the page's components, computed once per request and page."""
    cache: dict[int, dict[int, ComponentStatus]] = request.__dict__.setdefault(
        "_upstate_component_statuses", {}
    )
    if page.id not in cache:
        cache[page.id] = component_statuses(page)
    return cache[page.id]


class ComponentOut(Schema):
    id: str
    page_id: str
    group_id: str | None
    name: str
    description: str
    position: int
    status: ComponentStatus
    baseline_status: ComponentStatus
    only_show_if_degraded: bool
    start_date: date | None
    keywords: str
    created_at: Timestamp
    updated_at: Timestamp

    @staticmethod
    def resolve_id(component: Component) -> str:
        return component.code

    @staticmethod
    def resolve_page_id(component: Component) -> str:
        return component.page.code

    @staticmethod
    def resolve_group_id(component: Component) -> str | None:
        return component.group.code if component.group else None

    @staticmethod
    def resolve_status(component: Component, context: dict[str, Any]) -> str:
        """What the component reports now, incidents and maintenance included."""
        statuses = _current_statuses(context["request"], component.page)
        return statuses.get(component.id, component.baseline_status)


class ComponentGroupIn(InSchema):
    name: Line
    description: Text = ""
    position: Position | None = None


class ComponentGroupPatch(PatchSchema):
    NULLABLE = frozenset({"description", "position"})

    name: Line | None = None
    description: Text | None = None
    position: Position | None = None


class ComponentGroupOut(Schema):
    id: str
    page_id: str
    name: str
    description: str
    position: int
    component_ids: list[str]
    created_at: Timestamp
    updated_at: Timestamp

    @staticmethod
    def resolve_id(group: ComponentGroup) -> str:
        return group.code

    @staticmethod
    def resolve_page_id(group: ComponentGroup) -> str:
        return group.page.code

    @staticmethod
    def resolve_component_ids(group: ComponentGroup) -> list[str]:
        return [component.code for component in group.components.all()]
