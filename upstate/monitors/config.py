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

`--dry-run` says what would be created, changed (field by field) and removed, writing
nothing. A mistake is reported in one line naming the file, line, column and field: the
loader keeps where each mapping, list and value starts (`Marked`).
"""

from __future__ import annotations

import re
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
    # What changed in each changed monitor: {name: {field: (before, after)}}
    changes: dict[str, dict[str, tuple[Any, Any]]] = field(default_factory=dict)


class FileError(InvalidInput):
    """A mistake in the file, with where it is. `field` leads with the place, so that any
    "field: message" line reads "monitors.yaml:12:5: monitors[1].port: must be ..."; the
    parts are `location` ("FILE:LINE:COLUMN") and `name` (the field alone)."""

    def __init__(self, location: str, name: str, message: str) -> None:
        super().__init__(f"{location}: {name}", message)
        self.location = location
        self.name = name


class MarkedDict(dict):
    """A YAML mapping that remembers where it starts and where each value starts."""

    start: yaml.Mark | None = None
    marks: dict[Any, yaml.Mark]
    path: str = ""  # the file's, on the document itself


class MarkedList(list):
    start: yaml.Mark | None = None
    marks: list[yaml.Mark]


class _MarkingLoader(yaml.SafeLoader):
    """PyYAML's safe loader, keeping node positions for error messages."""


def _mapping(loader: _MarkingLoader, node: yaml.MappingNode) -> MarkedDict:
    loader.flatten_mapping(node)
    result = MarkedDict()
    result.start, result.marks = node.start_mark, {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError as exc:
            raise yaml.constructor.ConstructorError(
                None, None, "a key must be a plain value", key_node.start_mark
            ) from exc
        if key in result:
            raise yaml.constructor.ConstructorError(
                None, None, f"{key!r} appears twice in this mapping", key_node.start_mark
            )
        result[key] = loader.construct_object(value_node, deep=True)
        result.marks[key] = value_node.start_mark
    return result


def _sequence(loader: _MarkingLoader, node: yaml.SequenceNode) -> MarkedList:
    result = MarkedList(loader.construct_object(child, deep=True) for child in node.value)
    result.start, result.marks = node.start_mark, [child.start_mark for child in node.value]
    return result


_MarkingLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
_MarkingLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _sequence)


def _at(path: Path | str, mark: yaml.Mark | None) -> str:
    if mark is None:
        return str(path)
    return f"{path}:{mark.line + 1}:{mark.column + 1}"


def _yaml_problem(exc: yaml.YAMLError) -> tuple[yaml.Mark | None, str]:
    """Where PyYAML found the problem and what it is, in one line (its own text has four)."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context = getattr(exc, "context", None)
    text = f"{context}, {problem}" if context and problem else problem
    return mark, " ".join(str(text).split())


def load(path: Path) -> dict[str, Any]:
    """The file's document, with positions kept for `locate`."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise FileError(str(path), "file", f"cannot read it: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise FileError(str(path), "file", "is not UTF-8 text") from exc
    try:
        document = yaml.load(text, Loader=_MarkingLoader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        mark, problem = _yaml_problem(exc)
        raise FileError(_at(path, mark), "file", f"is not valid YAML: {problem}") from exc
    if not isinstance(document, dict) or not isinstance(document.get("monitors"), list):
        start = getattr(document, "start", None)
        if isinstance(document, dict) and "monitors" in document:
            start = document.marks["monitors"]
        raise FileError(_at(path, start), "monitors", "the file must have a list of monitors")
    document.path = str(path)
    return document


# The file's names for the fields that errors name in the API's or service's terms.
_FILE_NAMES = {
    "page": ("page", "status_page_id", "page_id"),
    "page_id": ("page", "status_page_id", "page_id"),
    "component": ("component", "affected_component", "component_id"),
    "component_id": ("component", "affected_component", "component_id"),
    "severity": ("severity", "incident_severity"),
    "create_incident": ("create_status_page_incident",),
}
_POLICY_ONLY = {
    "page",
    "page_id",
    "component",
    "component_id",
    "severity",
    "create_incident",
    "impact",
    "failures_before_open",
    "successes_before_resolve",
    "post_updates_while_down",
    "page_responders",
    "message_template",
    "create_status_page_incident",
}


def locate(document: dict[str, Any], field: str) -> yaml.Mark | None:
    """Where in the file `field` (like "monitors[2].alert_policy.page") is: the value when
    the file has it, else the mapping it belongs in."""
    node: Any = document
    mark = getattr(document, "start", None)
    steps = re.findall(r"[^.\[\]]+|\[\d+\]", field)
    for number, step in enumerate(steps):
        if step.startswith("["):
            index = int(step[1:-1])
            if not isinstance(node, MarkedList) or index >= len(node):
                break
            mark, node = node.marks[index], node[index]
            continue
        if not isinstance(node, MarkedDict):
            break
        mark = node.start or mark
        # Policy fields may be named at the top of an entry by the service's errors.
        if (
            step in _POLICY_ONLY
            and step not in node
            and isinstance(node.get("alert_policy"), MarkedDict)
            and number == len(steps) - 1
        ):
            node = node["alert_policy"]
            mark = node.start or mark
        for name in (step, *_FILE_NAMES.get(step, ())):
            if name in node:
                mark, node = node.marks[name], node[name]
                break
        else:
            break
    return mark


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


def apply(
    org: Organization,
    document: dict[str, Any],
    *,
    prune: bool = False,
    dry_run: bool = False,
    progress: Callable[[str], None] = lambda line: None,
) -> Report:
    """Create, change (and with `prune`, delete) monitors so that the org matches the file;
    with `dry_run`, only say so. A mistake raises FileError naming where it is in the file
    (when the document came from `load`)."""
    try:
        return _apply(org, document, prune=prune, dry_run=dry_run, progress=progress)
    except FileError:
        raise
    except InvalidInput as exc:
        path = getattr(document, "path", "")
        if not path:
            raise
        raise FileError(_at(path, locate(document, exc.field)), exc.field, exc.message) from exc


def shown(value: Any) -> str:
    """A field's value as a change report shows it."""
    if value is None or value == "":
        return "(empty)"
    if isinstance(value, str):
        return repr(value) if len(value) <= 60 else repr(value[:57] + "...")
    return str(value).lower() if isinstance(value, bool) else str(value)


def _describe(changes: dict[str, tuple[Any, Any]]) -> str:
    return "; ".join(f"{name}: {shown(a)} -> {shown(b)}" for name, (a, b) in changes.items())


@transaction.atomic
def _apply(
    org: Organization,
    document: dict[str, Any],
    *,
    prune: bool,
    dry_run: bool,
    progress: Callable[[str], None],
) -> Report:
    report = Report()
    existing = {
        m.name: m for m in Monitor.objects.filter(org=org).select_related("page", "component")
    }
    seen: set[str] = set()
    verb = {"created": "create", "changed": "change", "deleted": "remove"} if dry_run else {}
    for index, entry in enumerate(document["monitors"]):
        where = f"monitors[{index}]"
        fields = _fields(org, entry, where)
        name = fields["name"].strip()
        if name in seen:
            raise InvalidInput(f"{where}.name", f"{name!r} appears twice in the file")
        seen.add(name)
        monitor = existing.get(name)
        if monitor is None:
            if dry_run:
                _named(where, lambda f=fields: services.unsaved_monitor(org=org, **f))
            else:
                _named(where, lambda f=fields: services.create_monitor(org=org, **f))
            report.created.append(name)
            progress(f"{verb.get('created', 'created'):9} {name}")
            continue
        changes = _named(where, lambda m=monitor, f=fields: services.preview_change(monitor=m, **f))
        if not changes:
            report.unchanged.append(name)
            progress(f"unchanged {name}")
            continue
        if not dry_run:
            _named(where, lambda m=monitor, f=fields: services.change_monitor(monitor=m, **f))
        report.changed.append(name)
        report.changes[name] = changes
        progress(f"{verb.get('changed', 'changed'):9} {name}: {_describe(changes)}")
    for name, monitor in existing.items():
        if name in seen:
            continue
        if not prune:
            if dry_run:
                progress(f"kept      {name} (not in the file; --prune would remove it)")
            continue
        if not dry_run:
            services.delete_monitor(monitor=monitor)
        report.deleted.append(name)
        progress(f"{verb.get('deleted', 'deleted'):9} {name}")
    return report
