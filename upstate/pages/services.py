"""State changes of pages, component groups and components."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from typing import Any
from zoneinfo import available_timezones

from django.db import transaction
from django.utils import timezone

from upstate.audit.services import changed, record
from upstate.lib.errors import InvalidInput
from upstate.orgs.models import Organization
from upstate.pages import domains
from upstate.pages.models import (
    KEYWORDS_MAX,
    Component,
    ComponentGroup,
    ComponentStatus,
    StatusPage,
)
from upstate.public.publish import request_rebuild, request_removal

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,58}[a-z0-9])?$")
# /dashboard/<org>/pages/new/ is the new-page form; a page slugged "new" would be mistaken for it.
RESERVED_SLUGS = frozenset({"new"})
COLOR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")
DOMAIN_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
PAGE_FIELDS = {
    "name",
    "slug",
    "description",
    "custom_domain",
    "logo_url",
    "accent_color",
    "time_zone",
    "show_severity",
    "promise_postmortem",
    "private",
    "support_url",
}


def _clean_page_fields(page: StatusPage | None, fields: dict[str, Any]) -> dict[str, Any]:
    unknown = set(fields) - PAGE_FIELDS
    if unknown:
        raise InvalidInput(sorted(unknown)[0], "unknown field")
    cleaned = dict(fields)
    if "name" in cleaned:
        cleaned["name"] = _required_text("name", cleaned["name"], 120)
    if "slug" in cleaned:
        slug = (cleaned["slug"] or "").strip().lower()
        if not SLUG_RE.match(slug):
            raise InvalidInput("slug", "use 1-60 lowercase letters, digits and hyphens")
        if slug in RESERVED_SLUGS:
            raise InvalidInput("slug", f"“{slug}” is reserved; choose another")
        clash = StatusPage.objects.filter(slug=slug)
        if page is not None:
            clash = clash.exclude(id=page.id)
        if clash.exists():
            raise InvalidInput("slug", "is already taken")
        cleaned["slug"] = slug
    if "custom_domain" in cleaned:
        domain = (cleaned["custom_domain"] or "").strip().lower().rstrip(".") or None
        if domain is not None:
            reason = domains.refusal(domain)
            if reason:
                raise InvalidInput("custom_domain", reason)
            if not DOMAIN_RE.match(domain):
                raise InvalidInput("custom_domain", "is not a valid host name")
            # Claims are free until proven (first come is not first served): only a verified
            # domain is held.
            clash = StatusPage.objects.filter(
                custom_domain=domain, domain_verified_at__isnull=False
            )
            if page is not None:
                clash = clash.exclude(id=page.id)
            if clash.exists():
                raise InvalidInput("custom_domain", "is already verified by another page")
        cleaned["custom_domain"] = domain
    if "accent_color" in cleaned and not COLOR_RE.match(cleaned["accent_color"] or ""):
        raise InvalidInput("accent_color", "must be a colour like #2563eb")
    if "time_zone" in cleaned and cleaned["time_zone"] not in _time_zones():
        raise InvalidInput("time_zone", "is not a known IANA time zone")
    for key in ("description", "logo_url", "support_url"):
        if key in cleaned and cleaned[key] is None:
            cleaned[key] = ""
    return cleaned


def _time_zones() -> set[str]:
    return available_timezones() | {"Etc/UTC", "UTC"}


def _required_text(field: str, value: Any, max_length: int) -> str:
    text = (value or "").strip() if isinstance(value, str) or value is None else None
    if text is None:
        raise InvalidInput(field, "must be text")
    if not text:
        raise InvalidInput(field, "must not be empty")
    if len(text) > max_length:
        raise InvalidInput(field, f"must be at most {max_length} characters")
    return text


@transaction.atomic
def create_page(*, org: Organization, name: str, slug: str, **fields: Any) -> StatusPage:
    cleaned = _clean_page_fields(None, {"name": name, "slug": slug, **fields})
    claim = domains.claim_fields(cleaned.get("custom_domain"))
    page = StatusPage.objects.create(org=org, **cleaned, **claim)
    if page.custom_domain:
        domains.request_check(page=page)
    record(org=org, action="page.created", target=page, details={"slug": page.slug})
    request_rebuild(page.id)
    return page


@transaction.atomic
def update_page(*, page: StatusPage, **fields: Any) -> StatusPage:
    cleaned = _clean_page_fields(page, fields)
    before = {key: getattr(page, key) for key in cleaned}
    new_claim = cleaned.get("custom_domain", page.custom_domain) != page.custom_domain
    for key, value in cleaned.items():
        setattr(page, key, value)
    if new_claim:
        for key, value in domains.claim_fields(page.custom_domain).items():
            setattr(page, key, value)
    page.save()
    if new_claim and page.custom_domain:
        domains.request_check(page=page)
    record(org=page.org_id, action="page.updated", target=page, details=changed(before, cleaned))
    request_rebuild(page.id)
    return page


@transaction.atomic
def delete_page(*, page: StatusPage) -> None:
    code = page.code
    record(org=page.org_id, action="page.deleted", target=page, details={"slug": page.slug})
    page.delete()
    request_removal(code)


def _next_position(queryset: Any) -> int:
    last = queryset.order_by("-position").values_list("position", flat=True).first()
    return 0 if last is None else last + 1


@transaction.atomic
def create_group(
    *, page: StatusPage, name: str, description: str = "", position: int | None = None
) -> ComponentGroup:
    group = ComponentGroup.objects.create(
        page=page,
        name=_required_text("name", name, 120),
        description=description or "",
        position=_next_position(page.groups) if position is None else position,
    )
    record(org=page.org_id, action="group.created", target=group)
    request_rebuild(page.id)
    return group


@transaction.atomic
def update_group(*, group: ComponentGroup, **fields: Any) -> ComponentGroup:
    before = {"name": group.name, "description": group.description, "position": group.position}
    if "name" in fields:
        group.name = _required_text("name", fields["name"], 120)
    if "description" in fields:
        group.description = fields["description"] or ""
    if "position" in fields and fields["position"] is not None:
        group.position = fields["position"]
    group.save()
    after = {"name": group.name, "description": group.description, "position": group.position}
    record(
        org=group.page.org_id, action="group.updated", target=group, details=changed(before, after)
    )
    request_rebuild(group.page_id)
    return group


@transaction.atomic
def delete_group(*, group: ComponentGroup) -> None:
    """Deletes the group; its components stay, ungrouped."""
    page_id = group.page_id
    record(org=group.page.org_id, action="group.deleted", target=group)
    group.delete()
    request_rebuild(page_id)


def _clean_group(page: StatusPage, group: ComponentGroup | None) -> ComponentGroup | None:
    if group is not None and group.page_id != page.id:
        raise InvalidInput("group_id", "belongs to another page")
    return group


def _clean_status(field: str, value: Any) -> str:
    if value not in ComponentStatus.values:
        raise InvalidInput(field, f"must be one of {', '.join(ComponentStatus.values)}")
    return value


def on_page(page: StatusPage, components: Iterable[Component]) -> list[Component]:
    """The components, if all are the page's own: ids from a request may name anyone's."""
    components = list(components)
    for component in components:
        if component.page_id != page.id:
            raise InvalidInput("component_ids", f"{component.code} belongs to another page")
    return components


def create_component(
    *,
    page: StatusPage,
    name: str,
    description: str = "",
    group: ComponentGroup | None = None,
    position: int | None = None,
    baseline_status: str = ComponentStatus.OPERATIONAL,
    only_show_if_degraded: bool = False,
    start_date: date | None = None,
    keywords: str = "",
) -> Component:
    component = Component.objects.create(
        page=page,
        name=_required_text("name", name, 120),
        description=description or "",
        group=_clean_group(page, group),
        position=_next_position(page.components) if position is None else position,
        baseline_status=_clean_status("status", baseline_status),
        only_show_if_degraded=only_show_if_degraded,
        start_date=_clean_start_date(start_date),
        keywords=_clean_keywords(keywords),
    )
    record(org=page.org_id, action="component.created", target=component)
    request_rebuild(page.id)
    return component


def _clean_keywords(value: str | None) -> str:
    """Comma-separated words, each once, in the order given."""
    words = dict.fromkeys(" ".join(w.split()) for w in (value or "").split(","))
    cleaned = ", ".join(w for w in words if w)
    if len(cleaned) > KEYWORDS_MAX:
        raise InvalidInput("keywords", f"must be at most {KEYWORDS_MAX} characters")
    return cleaned


def _clean_start_date(value: date | None) -> date | None:
    # The uptime bars count from this day; a day to come would show "no data" until then.
    if value is not None and value > timezone.localdate():
        raise InvalidInput("start_date", "must not be in the future")
    return value


def _component_state(component: Component) -> dict[str, Any]:
    group = component.group.name if component.group_id else None
    names = (
        "name",
        "description",
        "keywords",
        "position",
        "baseline_status",
        "only_show_if_degraded",
    )
    start = component.start_date.isoformat() if component.start_date else None
    return {"group": group, "start_date": start, **{n: getattr(component, n) for n in names}}


@transaction.atomic
def update_component(*, component: Component, **fields: Any) -> Component:
    before = _component_state(component)
    if "name" in fields:
        component.name = _required_text("name", fields["name"], 120)
    if "description" in fields:
        component.description = fields["description"] or ""
    if "group" in fields:
        component.group = _clean_group(component.page, fields["group"])
    if "position" in fields and fields["position"] is not None:
        component.position = fields["position"]
    if "baseline_status" in fields:
        component.baseline_status = _clean_status("status", fields["baseline_status"])
    if "only_show_if_degraded" in fields:
        component.only_show_if_degraded = bool(fields["only_show_if_degraded"])
    if "start_date" in fields:
        component.start_date = _clean_start_date(fields["start_date"])
    if "keywords" in fields:
        component.keywords = _clean_keywords(fields["keywords"])
    component.save()
    details = changed(before, _component_state(component))
    record(org=component.page.org_id, action="component.updated", target=component, details=details)
    request_rebuild(component.page_id)
    return component


@transaction.atomic
def delete_component(*, component: Component) -> None:
    page_id = component.page_id
    record(org=component.page.org_id, action="component.deleted", target=component)
    component.delete()
    request_rebuild(page_id)


@transaction.atomic
def move_component(*, component: Component, direction: str) -> Component:
    """Swap the component with its previous ("up") or next ("down") sibling in its group;
    positions are renumbered first so equal positions never make a swap a no-op."""
    if direction not in ("up", "down"):
        raise InvalidInput("direction", "must be up or down")
    ordered = list(
        Component.objects.select_for_update()
        .filter(page_id=component.page_id)
        .order_by("position", "id")
    )
    for index, item in enumerate(ordered):
        item.position = index
    siblings = [c for c in ordered if c.group_id == component.group_id]
    at = next(i for i, c in enumerate(siblings) if c.id == component.id)
    other_at = at - 1 if direction == "up" else at + 1
    if not 0 <= other_at < len(siblings):
        return component  # already first or last: nothing moves, nothing is recorded
    mine, other = siblings[at], siblings[other_at]
    mine.position, other.position = other.position, mine.position
    Component.objects.bulk_update(ordered, ["position"])
    component.position = siblings[at].position
    details = {"direction": direction}
    record(org=component.page.org_id, action="component.moved", target=component, details=details)
    request_rebuild(component.page_id)
    return component
