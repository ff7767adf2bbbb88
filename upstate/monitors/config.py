"""Monitors as code: `upstate monitors apply FILE` makes an organization's monitors match a
YAML file. Applying the same file twice changes nothing; the whole file is applied in one
transaction or not at all.

    org: acme
    monitors:
      - name: Production API           # the key: monitors are matched by name
        kind: http
        url: https://api.acme.test/health
        interval_seconds: 30
        keyword: ok
        alert_policy:
          create_status_page_incident: true
          page: acme                   # slug or id
          component: API               # name or id, on that page
          impact: major
          severity: high

Fields are those of the REST API (`POST /api/v1/monitors`); a field left out takes its
default, so deleting a line from the file resets it. The names of the product docs'
example are accepted too: `status_page_id`, `affected_component`, `incident_severity`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.db import transaction
from pydantic import ValidationError

from upstate.api.errors import validation_errors
from upstate.lib.codes import is_code
from upstate.lib.errors import InvalidInput
from upstate.monitors import services
from upstate.monitors.models import Monitor
from upstate.monitors.schemas import MonitorIn
from upstate.orgs.models import Organization
from upstate.pages.models import Component, StatusPage

ALIASES = {
    "status_page_id": "page",
    "affected_component": "component",
    "incident_severity": "severity",
}


@dataclass
class Report:
    created: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)


def load(path: Path) -> dict[str, Any]:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidInput("file", f"cannot read {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise InvalidInput("file", f"is not valid YAML: {exc}") from exc
    if not isinstance(document, dict) or not isinstance(document.get("monitors"), list):
        raise InvalidInput("monitors", "the file must have a list of monitors")
    return document


def _page(org: Organization, ref: Any, where: str) -> StatusPage:
    pages = StatusPage.objects.filter(org=org)
    found = pages.filter(slug=ref).first() or (
        pages.filter(code=ref).first() if is_code(str(ref)) else None
    )
    if found is None:
        raise InvalidInput(where, f"no page {ref!r} in {org.slug}")
    return found


def _component(page: StatusPage, ref: Any, where: str) -> Component:
    components = Component.objects.filter(page=page)
    found = (
        components.filter(name__iexact=str(ref)).first() or components.filter(code=str(ref)).first()
    )
    if found is None:
        raise InvalidInput(where, f"no component {ref!r} on page {page.slug}")
    return found


def _fields(org: Organization, entry: Any, where: str) -> dict[str, Any]:
    """One file entry, validated like an API request, in the service's terms."""
    if not isinstance(entry, dict):
        raise InvalidInput(where, "must be a mapping of monitor fields")
    entry = dict(entry)
    policy = dict(entry.pop("alert_policy", None) or {})
    for old, new in ALIASES.items():
        if old in policy:
            policy[new] = policy.pop(old)
    page_ref = policy.pop("page", None)
    component_ref = policy.pop("component", None)
    try:
        data = MonitorIn.model_validate({**entry, "alert_policy": policy}).model_dump()
    except ValidationError as exc:
        field, message = validation_errors(exc.errors(), set())[0]
        raise InvalidInput(f"{where}.{field}", message) from exc
    policy_data = data.pop("alert_policy")
    data["create_incident"] = policy_data.pop("create_status_page_incident")
    policy_data.pop("page_id"), policy_data.pop("component_id")
    data.update(policy_data)
    data["severity"] = data["severity"] or ""
    page = _page(org, page_ref, f"{where}.alert_policy.page") if page_ref is not None else None
    data["page"] = page
    data["component"] = None
    if component_ref is not None:
        if page is None:
            raise InvalidInput(f"{where}.alert_policy.component", "needs the policy's page")
        data["component"] = _component(page, component_ref, f"{where}.alert_policy.component")
    return data


def _named(where: str, call: Callable[[], Any]) -> Any:
    try:
        return call()
    except InvalidInput as exc:
        name = exc.field.removesuffix("_id")
        raise InvalidInput(f"{where}.{name}", exc.message) from exc


@transaction.atomic
def apply(
    org: Organization,
    document: dict[str, Any],
    *,
    prune: bool = False,
    progress: Callable[[str], None] = lambda line: None,
) -> Report:
    """Create, change (and with `prune`, delete) monitors so that the org matches the file."""
    report = Report()
    existing = {
        m.name: m for m in Monitor.objects.filter(org=org).select_related("page", "component")
    }
    seen: set[str] = set()
    for index, entry in enumerate(document["monitors"]):
        where = f"monitors[{index}]"
        fields = _fields(org, entry, where)
        name = fields["name"].strip()
        if name in seen:
            raise InvalidInput(f"{where}.name", f"{name!r} appears twice in the file")
        seen.add(name)
        monitor = existing.get(name)
        if monitor is None:
            _named(where, lambda f=fields: services.create_monitor(org=org, **f))
            report.created.append(name)
            progress(f"created   {name}")
            continue
        before = services.config_of(monitor)
        _named(where, lambda m=monitor, f=fields: services.change_monitor(monitor=m, **f))
        if services.config_of(monitor) == before:
            report.unchanged.append(name)
            progress(f"unchanged {name}")
        else:
            report.changed.append(name)
            progress(f"changed   {name}")
    if prune:
        for name, monitor in existing.items():
            if name not in seen:
                services.delete_monitor(monitor=monitor)
                report.deleted.append(name)
                progress(f"deleted   {name}")
    return report
