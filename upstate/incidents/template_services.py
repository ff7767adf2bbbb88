"""Incident templates: prepared titles, messages, statuses, impacts and components that the
declare form, the update composer and both APIs offer."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet

from upstate.audit.services import changed, record
from upstate.incidents.models import (
    Impact,
    IncidentStatus,
    IncidentTemplate,
    TemplateComponent,
)
from upstate.incidents.services import MAX_MESSAGE, ComponentChanges
from upstate.lib import text
from upstate.lib.errors import InvalidInput
from upstate.orgs.models import Organization
from upstate.pages.models import ComponentStatus, StatusPage

TEMPLATE_FIELDS = ("name", "group", "title", "status", "message", "impact", "notify")


def _line(field: str, value: Any, limit: int, *, required: bool) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidInput(field, "must be text")
    value = value.strip()
    if required and not value:
        raise InvalidInput(field, "must not be empty")
    if len(value) > limit:
        raise InvalidInput(field, f"must be at most {limit} characters")
    reason = text.problem(value)
    if reason is not None:
        raise InvalidInput(field, reason)
    return value


def _clean(fields: dict[str, Any]) -> dict[str, Any]:
    """The given fields checked and normalised; unknown ones are refused."""
    unknown = set(fields) - set(TEMPLATE_FIELDS)
    if unknown:
        raise InvalidInput(sorted(unknown)[0], "unknown field")
    out: dict[str, Any] = {}
    if "name" in fields:
        out["name"] = _line("name", fields["name"], 120, required=True)
    if "group" in fields:
        out["group"] = _line("group", fields["group"], 120, required=False)
    if "title" in fields:
        out["title"] = _line("title", fields["title"], 255, required=True)
    if "message" in fields:
        out["message"] = _line("message", fields["message"], MAX_MESSAGE, required=False)
    if "status" in fields:
        allowed = [s.value for s in IncidentStatus if s != IncidentStatus.POSTMORTEM]
        if fields["status"] not in allowed:
            raise InvalidInput("status", f"must be one of {', '.join(allowed)}")
        out["status"] = fields["status"]
    if "impact" in fields:
        if fields["impact"] not in Impact.values:
            raise InvalidInput("impact", f"must be one of {', '.join(Impact.values)}")
        out["impact"] = fields["impact"]
    if "notify" in fields:
        if not isinstance(fields["notify"], bool):
            raise InvalidInput("notify", "must be true or false")
        out["notify"] = fields["notify"]
    return out


def _check_components(
    org: Organization, page: StatusPage | None, components: ComponentChanges
) -> None:
    for component, status in components.items():
        if component.page.org_id != org.id or (page is not None and component.page_id != page.id):
            raise InvalidInput("components", f"{component.code} belongs to another page")
        if status not in (None, "") and status not in ComponentStatus.values:
            raise InvalidInput(
                f"components.{component.code}",
                f"must be one of {', '.join(ComponentStatus.values)}",
            )


def _set_components(template: IncidentTemplate, components: ComponentChanges) -> None:
    template.affected.all().delete()
    TemplateComponent.objects.bulk_create(
        TemplateComponent(template=template, component=c, status=s or "")
        for c, s in components.items()
    )


def _save(template: IncidentTemplate) -> None:
    try:
        with transaction.atomic():
            template.save()
    except IntegrityError as exc:
        if "statuspage" in str(exc):
            raise InvalidInput("statuspage_id", "another template has this id") from exc
        raise InvalidInput("name", "another template of this organization has this name") from exc


@transaction.atomic
def create_template(
    *,
    org: Organization,
    page: StatusPage | None = None,
    name: str,
    title: str,
    status: str = IncidentStatus.INVESTIGATING,
    message: str = "",
    impact: str = Impact.MINOR,
    notify: bool = True,
    group: str = "",
    components: ComponentChanges | None = None,
    statuspage_id: str | None = None,
) -> IncidentTemplate:
    """Save a new template; `page` None offers it on every page of the organization."""
    if page is not None and page.org_id != org.id:
        raise InvalidInput("page_id", "no such page in this organization")
    fields = _clean(
        {
            "name": name,
            "title": title,
            "status": status,
            "message": message,
            "impact": impact,
            "notify": notify,
            "group": group,
        }
    )
    components = components or {}
    _check_components(org, page, components)
    template = IncidentTemplate(org=org, page=page, statuspage_id=statuspage_id or None, **fields)
    _save(template)
    _set_components(template, components)
    record(org=org.id, action="template.created", target=template)
    return template


@transaction.atomic
def change_template(
    *,
    template: IncidentTemplate,
    components: ComponentChanges | None = None,
    **fields: Any,
) -> IncidentTemplate:
    """Edit the given fields; `components` given replaces the template's components."""
    page_given = "page" in fields
    page = fields.pop("page", None)
    if page_given:
        if page is not None and page.org_id != template.org_id:
            raise InvalidInput("page_id", "no such page in this organization")
        template.page = page
    cleaned = _clean(fields)
    before = {key: getattr(template, key) for key in TEMPLATE_FIELDS}
    for key, value in cleaned.items():
        setattr(template, key, value)
    if components is not None:
        _check_components(template.org, template.page, components)
    elif page_given and template.page is not None:
        current = {a.component: a.status for a in template.affected.select_related("component")}
        _check_components(template.org, template.page, current)
    _save(template)
    if components is not None:
        _set_components(template, components)
    details = changed(before, {key: getattr(template, key) for key in TEMPLATE_FIELDS})
    record(org=template.org_id, action="template.changed", target=template, details=details)
    return template


@transaction.atomic
def delete_template(*, template: IncidentTemplate) -> None:
    record(org=template.org_id, action="template.deleted", target=template)
    template.delete()


def templates_for(page: StatusPage) -> QuerySet[IncidentTemplate]:
    """The templates offered on this page: its own and the organization-wide ones."""
    return IncidentTemplate.objects.filter(org_id=page.org_id).filter(
        Q(page__isnull=True) | Q(page=page)
    )


def template_components(template: IncidentTemplate, page: StatusPage) -> dict[str, str]:
    """Component code -> status ("" follows the impact) of the template's components that
    are on `page`."""
    return {
        a.component.code: a.status
        for a in template.affected.select_related("component")
        if a.component.page_id == page.id
    }
