"""State changes of monitors: create, change, delete; store check results in batches and apply
the alert policy (open, update, resolve the outage's incident); heartbeat pings; roll-ups."""

from __future__ import annotations

import asyncio
import copy as pycopy
import re
import string
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Max, Q, Sum
from django.db.models.functions import TruncDay, TruncHour, TruncMinute
from django.utils import timezone

from upstate.audit.services import changed, record
from upstate.incidents.models import Category, Impact, Incident, IncidentStatus, Severity, Source
from upstate.incidents.services import create_incident, post_update
from upstate.lib import text as accepted_text
from upstate.lib.errors import InvalidInput
from upstate.maintenance.models import UNDERWAY_STATUSES, Maintenance, MaintenanceStatus
from upstate.metrics.instruments import count_check
from upstate.monitors import jsonpath
from upstate.monitors.checks import Outcome, Spec, new_client, parse_statuses, run_check
from upstate.monitors.models import (
    CheckResult,
    DnsRecordType,
    Monitor,
    MonitorKind,
    MonitorStatus,
    Period,
    Rollup,
)
from upstate.monitors.policy import State, Transition, decide
from upstate.orgs.models import Organization
from upstate.pages.models import Component, StatusPage

MIN_INTERVAL = 10
MAX_INTERVAL = 86_400
MAX_TIMEOUT = 60
MAX_REDIRECTS = 20
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
PLACEHOLDERS = ("monitor", "reason", "target", "since")
HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
# While a monitor stays down, "still down" updates (when the policy asks for them) are posted
# at most this often, so a check every 30 s does not flood subscribers.
STILL_DOWN_EVERY = timedelta(minutes=30)
RESOLVED_MESSAGE = "{monitor} is responding normally again."
STILL_DOWN_MESSAGE = "{monitor} is still failing its checks: {reason}"
# Raw results are kept this long; minute roll-ups a little longer; hour roll-ups cover the
# public page's 90 days; day roll-ups are kept.
KEEP = {
    "results": timedelta(days=2),
    Period.MINUTE: timedelta(days=2),
    Period.HOUR: timedelta(days=92),
}

# What happens when the monitor fails (its alert policy).
POLICY_FIELDS = (
    "create_incident",
    "page",
    "component",
    "impact",
    "severity",
    "failures_before_open",
    "successes_before_resolve",
    "post_updates_while_down",
    "page_responders",
    "message_template",
)
# What each kind of check reads (TCP and DNS share the host fields).
CHECK_FIELDS = {
    "http": (
        "url",
        "method",
        "headers",
        "expected_statuses",
        "keyword",
        "keyword_absent",
        "json_path",
        "json_expected",
        "follow_redirects",
        "max_redirects",
        "max_response_ms",
        "cert_expiry_days",
    ),
    "tcp dns": ("host", "port", "record_type", "expected_value", "dns_server"),
    "heartbeat": ("grace_seconds",),
}
CONFIG_FIELDS = (
    "name",
    "kind",
    "enabled",
    "interval_seconds",
    "timeout_seconds",
    *(name for names in CHECK_FIELDS.values() for name in names),
    *POLICY_FIELDS,
)
# Field names as the API and YAML call them.
PUBLIC_NAMES = {"page": "page_id", "component": "component_id"}


# --- validation -------------------------------------------------------------------------------


def _fail(field: str, message: str) -> InvalidInput:
    return InvalidInput(PUBLIC_NAMES.get(field, field), message)


def _int(field: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(field, "must be an integer")
    if not low <= value <= high:
        raise _fail(field, f"must be between {low} and {high}")
    return value


def _text(field: str, value: Any, limit: int, *, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise _fail(field, "must be text")
    value = value.strip()
    if required and not value:
        raise _fail(field, "must not be empty")
    if len(value) > limit:
        raise _fail(field, f"must be at most {limit} characters")
    _storable(field, value)
    return value


def _storable(field: str, value: str) -> None:
    reason = accepted_text.problem(value)
    if reason is not None:
        raise _fail(field, reason)


def _choice(field: str, value: Any, choices: type, *, blank: bool = False) -> str:
    if blank and value in (None, ""):
        return ""
    if value not in choices.values:
        raise _fail(field, f"must be one of {', '.join(choices.values)}")
    return value


def _url(value: Any) -> str:
    value = _text("url", value, 2000, required=True)
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _fail("url", "must be an http or https URL")
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError as exc:
        raise _fail("url", "has an invalid port") from exc
    return value


def _headers(value: Any) -> dict[str, str]:
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise _fail("headers", "must be an object of header names to values")
    if len(value) > 50:
        raise _fail("headers", "must have at most 50 headers")
    for name, text in value.items():
        if not isinstance(text, str) or not isinstance(name, str):
            raise _fail("headers", "names and values must be text")
        if not HEADER_NAME.fullmatch(name) or len(name) > 255 or len(text) > 2000:
            raise _fail("headers", f"{name[:50]!r} is not a valid header name")
        if any(ord(c) < 32 and c != "\t" for c in text):
            raise _fail("headers", f"the value of {name} must not contain control characters")
        _storable("headers", text)
    return dict(value)


def _template(value: Any) -> str:
    value = _text("message_template", value, 5000, required=True)
    try:
        fields = [name for _, name, _, _ in string.Formatter().parse(value) if name is not None]
    except ValueError as exc:
        raise _fail("message_template", f"is not a valid template: {exc}") from exc
    for name in fields:
        if name not in PLACEHOLDERS:
            allowed = ", ".join("{" + p + "}" for p in PLACEHOLDERS)
            raise _fail("message_template", f"unknown placeholder {{{name}}}; use {allowed}")
    return value


def _json_path(value: Any) -> str:
    value = _text("json_path", value, 255)
    if value:
        try:
            jsonpath.parse(value)
        except ValueError as exc:
            raise _fail("json_path", f"{exc}; write e.g. status.indicator or checks[0].ok") from exc
    return value


def _dns_server(value: Any) -> str:
    value = _text("dns_server", value, 100)
    if value and not all(c.isalnum() or c in ".:-[]" for c in value):
        raise _fail("dns_server", "must be an address, optionally with :port")
    return value


CLEAN = {
    "name": lambda v: _text("name", v, 120, required=True),
    "kind": lambda v: _choice("kind", v, MonitorKind),
    "interval_seconds": lambda v: _int("interval_seconds", v, MIN_INTERVAL, MAX_INTERVAL),
    "timeout_seconds": lambda v: _int("timeout_seconds", v, 1, MAX_TIMEOUT),
    "method": lambda v: v if v in METHODS else _raise("method", f"one of {', '.join(METHODS)}"),
    "headers": _headers,
    "keyword": lambda v: _text("keyword", v, 255),
    "json_path": _json_path,
    "json_expected": lambda v: _text("json_expected", v, 255),
    "max_redirects": lambda v: _int("max_redirects", v, 0, MAX_REDIRECTS),
    "max_response_ms": lambda v: None if v is None else _int("max_response_ms", v, 1, 600_000),
    "cert_expiry_days": lambda v: _int("cert_expiry_days", v, 0, 365),
    "port": lambda v: None if v is None else _int("port", v, 1, 65535),
    "record_type": lambda v: _choice("record_type", v, DnsRecordType),
    "expected_value": lambda v: _text("expected_value", v, 255),
    "dns_server": _dns_server,
    "grace_seconds": lambda v: _int("grace_seconds", v, 0, MAX_INTERVAL),
    "impact": lambda v: _choice("impact", v, Impact),
    "severity": lambda v: _choice("severity", v, Severity, blank=True),
    "failures_before_open": lambda v: _int("failures_before_open", v, 1, 100),
    "successes_before_resolve": lambda v: _int("successes_before_resolve", v, 1, 100),
    "message_template": _template,
}
BOOLEANS = {
    "enabled",
    "keyword_absent",
    "follow_redirects",
    "create_incident",
    "post_updates_while_down",
    "page_responders",
}


def _raise(field: str, what: str) -> Any:
    raise _fail(field, f"must be {what}")


def _clean_field(field: str, value: Any) -> Any:
    if field in BOOLEANS:
        if not isinstance(value, bool):
            raise _fail(field, "must be true or false")
        return value
    if field == "url":
        return value if value in (None, "") else _url(value)
    if field == "host":
        return _text("host", value, 253)
    if field == "expected_statuses":
        value = _text("expected_statuses", value, 200, required=True)
        try:
            parse_statuses(value)
        except ValueError as exc:
            raise _fail("expected_statuses", str(exc)) from exc
        return value.replace(" ", "")
    return CLEAN[field](value)


def _check_whole(monitor: Monitor) -> None:
    """Rules between fields, once every field is valid on its own."""
    if monitor.timeout_seconds > monitor.interval_seconds:
        raise _fail("timeout_seconds", "must not be longer than interval_seconds")
    kind = MonitorKind(monitor.kind)
    if kind == MonitorKind.HTTP and not monitor.url:
        raise _fail("url", "is required for an HTTP monitor")
    if kind in (MonitorKind.TCP, MonitorKind.DNS) and not monitor.host:
        raise _fail("host", f"is required for a {kind.label} monitor")
    if monitor.json_expected and not monitor.json_path:
        raise _fail("json_expected", "needs json_path: the value to compare it with")
    if kind == MonitorKind.TCP and not monitor.port:
        raise _fail("port", "is required for a TCP monitor")
    if monitor.component_id and monitor.page_id is None:
        monitor.page = monitor.component.page
    if monitor.component is not None and monitor.component.page_id != monitor.page_id:
        raise _fail("component", "must be a component of the policy's page")
    for related in (monitor.page, monitor.component and monitor.component.page):
        if related is not None and related.org_id != monitor.org_id:
            raise _fail("page", "no such page in this organization")
    if monitor.create_incident and monitor.page_id is None:
        raise _fail("page", "is required to open incidents on a status page")


def _apply_fields(monitor: Monitor, fields: dict[str, Any]) -> None:
    unknown = set(fields) - set(CONFIG_FIELDS)
    if unknown:
        raise _fail(sorted(unknown)[0], "unknown field")
    for field, value in fields.items():
        if field in ("page", "component"):
            if value is not None and not isinstance(value, StatusPage | Component):
                raise _fail(field, "must be a page or component")
            setattr(monitor, field, value)
            continue
        setattr(monitor, field, _clean_field(field, value))


def _reset_schedule(monitor: Monitor, now: datetime) -> None:
    if monitor.kind == MonitorKind.HEARTBEAT and monitor.enabled:
        since = monitor.last_ping_at or now
        grace = timedelta(seconds=monitor.interval_seconds + monitor.grace_seconds)
        monitor.ping_deadline_at = max(since + grace, now)
    else:
        monitor.ping_deadline_at = None


@transaction.atomic
def create_monitor(*, org: Organization, **fields: Any) -> Monitor:
    """A new monitor; its first check runs within a scheduler tick."""
    for required in ("name", "kind"):
        if fields.get(required) in (None, ""):
            raise _fail(required, "is required")
    monitor = Monitor(org=org)
    _apply_fields(monitor, fields)
    _check_whole(monitor)
    if not monitor.enabled:
        monitor.status = MonitorStatus.PAUSED
    _reset_schedule(monitor, timezone.now())
    monitor.save()
    record(org=org, action="monitor.created", target=monitor, details={"kind": monitor.kind})
    return monitor


def unsaved_monitor(*, org: Organization, **fields: Any) -> Monitor:
    """A validated monitor that is not stored: what "test now" checks before saving."""
    monitor = Monitor(org=org)
    _apply_fields(monitor, fields)
    _check_whole(monitor)
    return monitor


def config_of(monitor: Monitor) -> dict[str, Any]:
    """The monitor's configuration and policy as plain values (pages and components by code)."""
    return _snapshot(monitor)


def _snapshot(monitor: Monitor) -> dict[str, Any]:
    values = {f: getattr(monitor, f) for f in CONFIG_FIELDS if f not in ("page", "component")}
    values["page"] = monitor.page.code if monitor.page_id else None
    values["component"] = monitor.component.code if monitor.component_id else None
    return values


def preview_change(*, monitor: Monitor, **fields: Any) -> dict[str, tuple[Any, Any]]:
    """What `change_monitor` with these fields would change ({field: (before, after)}),
    validated the same way, on a copy: nothing is written."""
    before = _snapshot(monitor)
    copy = pycopy.copy(monitor)  # Django copies the field cache too: the original stays as is
    _apply_fields(copy, fields)
    _check_whole(copy)
    after = _snapshot(copy)
    return {name: (before[name], after[name]) for name in before if before[name] != after[name]}


@transaction.atomic
def change_monitor(*, monitor: Monitor, **fields: Any) -> Monitor:
    """Change the configuration or policy; the state (up, down, the open incident) stays."""
    before = _snapshot(monitor)
    was_enabled = monitor.enabled
    _apply_fields(monitor, fields)
    _check_whole(monitor)
    if was_enabled and not monitor.enabled:
        monitor.status = MonitorStatus.PAUSED
    elif monitor.enabled and monitor.status == MonitorStatus.PAUSED:
        monitor.status = MonitorStatus.PENDING
        monitor.failures = monitor.successes = 0
    details = changed(before, _snapshot(monitor))
    if not details:
        return monitor  # nothing to save: the scheduler keeps its rhythm
    _reset_schedule(monitor, timezone.now())
    # Not the state the scheduler writes meanwhile (last result, counters of an enabled one).
    state = ["status", "failures", "successes"] if "enabled" in details else []
    monitor.save(update_fields=[*CONFIG_FIELDS, *state, "ping_deadline_at", "updated_at"])
    record(org=monitor.org_id, action="monitor.changed", target=monitor, details=details)
    return monitor


@transaction.atomic
def delete_monitor(*, monitor: Monitor) -> None:
    """Remove the monitor and its history; an incident it opened stays for people to close."""
    record(org=monitor.org_id, action="monitor.deleted", target=monitor)
    monitor.delete()


def spec_of(monitor: Monitor) -> Spec:
    return Spec(
        id=monitor.id,
        kind=monitor.kind,
        interval=monitor.interval_seconds,
        timeout=float(monitor.timeout_seconds),
        url=monitor.url,
        method=monitor.method,
        headers=dict(monitor.headers or {}),
        expected_statuses=monitor.expected_statuses,
        keyword=monitor.keyword,
        keyword_absent=monitor.keyword_absent,
        json_path=monitor.json_path,
        json_expected=monitor.json_expected,
        follow_redirects=monitor.follow_redirects,
        max_redirects=monitor.max_redirects,
        max_response_ms=monitor.max_response_ms,
        cert_expiry_days=monitor.cert_expiry_days,
        host=monitor.host,
        port=monitor.port,
        record_type=monitor.record_type,
        expected_value=monitor.expected_value,
        dns_server=monitor.dns_server,
    )


# --- results and the alert policy -------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    """One check's outcome, as the scheduler hands it over for storage."""

    monitor_id: int
    checked_at: datetime
    outcome: Outcome
    lag_ms: int = 0


def record_results(results: list[Result]) -> int:
    """Store a batch of results and move each monitor's state along; incidents are opened,
    updated or resolved (each in its own transaction) where the policy says so. Results of
    monitors deleted meanwhile are dropped. Returns how many were stored."""
    if not results:
        return 0
    ids = {r.monitor_id for r in results}
    rows = Monitor.objects.filter(id__in=ids, enabled=True).only(*POLICY_STATE)
    monitors = {m.id: m for m in rows}
    kept = [r for r in results if r.monitor_id in monitors]
    for r in kept:
        count_check(monitors[r.monitor_id].kind, r.outcome.ok, r.outcome.latency_ms)
    CheckResult.objects.bulk_create(
        CheckResult(
            monitor_id=r.monitor_id,
            checked_at=r.checked_at,
            ok=r.outcome.ok,
            latency_ms=r.outcome.latency_ms,
            status_code=r.outcome.status_code,
            reason=r.outcome.reason[:255],
            lag_ms=r.lag_ms,
        )
        for r in kept
    )
    quiet: dict[int, Monitor] = {}
    for result in sorted(kept, key=lambda r: r.checked_at):
        monitor = monitors[result.monitor_id]
        transition = _advance(monitor, result)
        if transition is Transition.NONE or not _acts(monitor, transition):
            quiet[monitor.id] = monitor
        else:
            quiet.pop(monitor.id, None)
            full = Monitor.objects.select_related("page", "component").get(id=monitor.id)
            for name in QUIET_FIELDS:
                setattr(full, name, getattr(monitor, name))
            apply_decision(monitor=full, transition=transition, result=result)
            monitors[monitor.id] = full
    _save_quiet_state(list(quiet.values()))
    return len(kept)


def _save_quiet_state(monitors: list[Monitor]) -> None:
    """The state of monitors whose results changed nothing else, in one statement run for
    many rows (cheaper than the ORM's bulk_update, which is the scheduler's steady cost)."""
    if not monitors:
        return
    ops = connection.ops
    table = Monitor._meta.db_table
    columns = ", ".join(f"{ops.quote_name(name)} = %s" for name in QUIET_FIELDS)
    sql = f"UPDATE {ops.quote_name(table)} SET {columns} WHERE {ops.quote_name('id')} = %s"

    def value(monitor: Monitor, name: str) -> Any:
        raw = getattr(monitor, name)
        return ops.adapt_datetimefield_value(raw) if isinstance(raw, datetime) else raw

    rows = [[*(value(m, name) for name in QUIET_FIELDS), m.id] for m in monitors]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


# What a result changes on a monitor whose transition does nothing else.
QUIET_FIELDS = [
    "status",
    "failures",
    "successes",
    "last_checked_at",
    "last_ok",
    "last_reason",
    "last_latency_ms",
    "down_since",
]
# What record_results reads of each monitor (the rest is loaded for those that act).
POLICY_STATE = [
    *QUIET_FIELDS,
    "kind",
    "org",
    "failures_before_open",
    "successes_before_resolve",
    "create_incident",
    "incident_opened",
    "post_updates_while_down",
    "incident",
]
STATE_FIELDS = [*QUIET_FIELDS, "incident_opened", "incident"]


def _advance(monitor: Monitor, result: Result) -> Transition:
    """Move the in-memory monitor's state by one result."""
    state = State(MonitorStatus(monitor.status), monitor.failures, monitor.successes)
    new, transition = decide(
        state,
        result.outcome.ok,
        failures_needed=monitor.failures_before_open,
        successes_needed=monitor.successes_before_resolve,
    )
    monitor.status, monitor.failures, monitor.successes = new.status, new.failures, new.successes
    monitor.last_checked_at = result.checked_at
    monitor.last_ok = result.outcome.ok
    monitor.last_reason = result.outcome.reason[:255]
    monitor.last_latency_ms = result.outcome.latency_ms
    if transition is Transition.WENT_DOWN:
        monitor.down_since = result.checked_at
    if transition is Transition.RECOVERED:
        monitor.down_since = None
    return transition


def _acts(monitor: Monitor, transition: Transition) -> bool:
    """Whether the transition may touch incidents (cheap checks only; no query)."""
    if transition is Transition.STILL_DOWN:
        return monitor.create_incident and (
            not monitor.incident_opened or monitor.post_updates_while_down
        )
    return True


def taken_over(incident: Incident) -> bool:
    """A person resolved it, owns it, or posted to it: the monitor leaves it to them."""
    if not incident.is_active or incident.owner_id is not None:
        return True
    return incident.updates.filter(author__isnull=False).exists()


def in_maintenance(component: Component | None, now: datetime) -> bool:
    """Whether a maintenance window covering the component is underway (or due to be)."""
    if component is None:
        return False
    window = Q(status=MaintenanceStatus.SCHEDULED, starts_at__lte=now, ends_at__gt=now)
    return (
        Maintenance.objects.filter(components=component)
        .filter(Q(status__in=UNDERWAY_STATUSES) | window)
        .exists()
    )


def _render(template: str, monitor: Monitor, reason: str) -> str:
    since = monitor.down_since or monitor.last_checked_at or timezone.now()
    values = {
        "monitor": monitor.name,
        # What a checked server answered becomes an incident's public message: no control
        # characters from there (upstate.lib.text).
        "reason": accepted_text.xml_safe(reason) or "no reason given",
        "target": monitor.target,
        "since": since.strftime("%Y-%m-%d %H:%M:%S UTC"),
    }
    try:
        return template.format_map(values)
    except (KeyError, ValueError, IndexError):  # templates are checked on save; be safe anyway
        return template


@transaction.atomic
def apply_decision(*, monitor: Monitor, transition: Transition, result: Result) -> None:
    """What a transition does to the outage's incident, then the monitor's state is saved."""
    now = timezone.now()
    reason = result.outcome.reason
    incident = None
    if monitor.incident_id:
        incident = Incident.objects.select_for_update().filter(id=monitor.incident_id).first()
    if transition in (Transition.WENT_DOWN, Transition.STILL_DOWN):
        if not monitor.incident_opened:
            _maybe_open(monitor, reason, now)
        elif transition is Transition.STILL_DOWN and incident is not None:
            _maybe_still_down(monitor, incident, reason, now)
    elif transition is Transition.RECOVERED:
        if incident is not None and not taken_over(incident):
            message = _render(RESOLVED_MESSAGE, monitor, reason)
            post_update(incident=incident, status=IncidentStatus.RESOLVED, message=message)
            record(org=monitor.org_id, action="monitor.incident_resolved", target=incident)
        monitor.incident = None
        monitor.incident_opened = False
        monitor.last_down_update_at = None
    monitor.save(update_fields=[*STATE_FIELDS, "last_down_update_at"])


def _maybe_open(monitor: Monitor, reason: str, now: datetime) -> None:
    if not monitor.create_incident or monitor.page_id is None:
        return
    if in_maintenance(monitor.component, now):
        return
    components = {monitor.component: None} if monitor.component_id else {}
    incident = create_incident(
        page=monitor.page,
        title=f"{monitor.name} is down",
        impact=monitor.impact,
        severity=monitor.severity,
        category=Category.OUTAGE,
        components=components,
        message=_render(monitor.message_template, monitor, reason),
        source=Source.MONITOR,
        page_responders=monitor.page_responders,
    )
    monitor.incident = incident
    monitor.incident_opened = True
    monitor.last_down_update_at = now
    details = {"monitor": monitor.code, "reason": reason}
    record(org=monitor.org_id, action="monitor.incident_opened", target=incident, details=details)


def _maybe_still_down(monitor: Monitor, incident: Incident, reason: str, now: datetime) -> None:
    if not monitor.post_updates_while_down or taken_over(incident):
        return
    if monitor.last_down_update_at and now - monitor.last_down_update_at < STILL_DOWN_EVERY:
        return
    message = _render(STILL_DOWN_MESSAGE, monitor, reason)
    post_update(incident=incident, status=incident.status, message=message)
    monitor.last_down_update_at = now


# --- heartbeats -------------------------------------------------------------------------------


MAX_PING_BODY = 10_000  # characters of a ping's body kept to show on the dashboard


class PingKind:
    """What a call of the push URL says (the healthchecks.io conventions cron wrappers use)."""

    START = "start"  # the job began: nothing counted, the run's duration is timed from here
    SUCCESS = "success"  # the plain URL, or an exit code of 0
    FAIL = "fail"  # /fail
    EXIT = "exit"  # /<code>: 0 is a success, anything else a failure


def ping_body(raw: bytes) -> str:
    """What is kept of a ping's body: text, at most MAX_PING_BODY characters, acceptable
    (a cron job's output may hold terminal escapes: dropped rather than refusing the ping);
    shown escaped."""
    text = accepted_text.xml_safe(raw[: MAX_PING_BODY * 4].decode("utf-8", errors="replace"))
    return text[:MAX_PING_BODY]


def record_ping(
    *,
    token: str,
    kind: str = PingKind.SUCCESS,
    exit_code: int | None = None,
    body: str = "",
    now: datetime | None = None,
) -> Monitor | None:
    """A heartbeat's push URL was called. A success moves the next deadline on; a failure
    (/fail or a non-zero exit code) counts as one failed check, which the alert policy
    treats as it treats a missed ping; a start only notes when the run began. None when no
    enabled heartbeat has this token."""
    now = now or timezone.now()
    monitor = Monitor.objects.filter(token=token, kind=MonitorKind.HEARTBEAT).first()
    if monitor is None or not monitor.enabled:
        return None
    failed = kind == PingKind.FAIL or (kind == PingKind.EXIT and exit_code != 0)
    changes: dict[str, Any] = {
        "last_ping_kind": kind,
        "last_ping_exit_code": exit_code if kind == PingKind.EXIT else None,
        "last_ping_body": body[:MAX_PING_BODY],
        "last_ping_received_at": now,
    }
    if kind == PingKind.START:
        changes["run_started_at"] = now
    else:
        # The job reported how it ended: the next report is due a period from now.
        period = timedelta(seconds=monitor.interval_seconds + monitor.grace_seconds)
        changes["ping_deadline_at"] = now + period
        changes["run_started_at"] = None
        if not failed:
            changes["last_ping_at"] = now
            if monitor.run_started_at is not None and monitor.run_started_at <= now:
                run = now - monitor.run_started_at
                changes["last_run_ms"] = int(run.total_seconds() * 1000)
    Monitor.objects.filter(id=monitor.id).update(**changes)
    for name, value in changes.items():
        setattr(monitor, name, value)
    if kind == PingKind.START:
        return monitor
    if failed:
        reason = "the job reported a failure"
        if kind == PingKind.EXIT:
            reason = f"the job exited with code {exit_code}"
        outcome = Outcome(False, reason)
    else:
        took = changes.get("last_run_ms")
        outcome = Outcome(
            True, "ping received" + (f" (run took {took / 1000:.1f} s)" if took is not None else "")
        )
    record_results([Result(monitor.id, now, outcome)])
    return monitor


def sweep_heartbeats(now: datetime | None = None) -> list[Result]:
    """Heartbeats past their deadline: one failure each, and the deadline moves one period
    on (so a heartbeat that stays silent fails once per period). Claimed with a conditional
    update, so two workers never count the same miss twice."""
    now = now or timezone.now()
    due = Monitor.objects.filter(
        kind=MonitorKind.HEARTBEAT, enabled=True, ping_deadline_at__lte=now
    ).values_list("id", "ping_deadline_at", "interval_seconds", "last_ping_at")
    results = []
    for monitor_id, deadline, interval, last_ping in due:
        claimed = Monitor.objects.filter(id=monitor_id, ping_deadline_at=deadline).update(
            ping_deadline_at=max(deadline + timedelta(seconds=interval), now)
        )
        if claimed:
            since = f"since {last_ping:%Y-%m-%d %H:%M:%S} UTC" if last_ping else "yet"
            outcome = Outcome(False, f"no ping received {since}")
            results.append(Result(monitor_id, now, outcome, _lag(deadline, now)))
    return results


def _lag(planned: datetime, actual: datetime) -> int:
    return int((actual - planned).total_seconds() * 1000)


# --- roll-ups ---------------------------------------------------------------------------------

TRUNC = {Period.MINUTE: TruncMinute, Period.HOUR: TruncHour, Period.DAY: TruncDay}
STEP = {Period.MINUTE: timedelta(minutes=1), Period.HOUR: timedelta(hours=1)}


def _floor(moment: datetime, period: Period) -> datetime:
    moment = moment.replace(second=0, microsecond=0)
    if period in (Period.HOUR, Period.DAY):
        moment = moment.replace(minute=0)
    if period == Period.DAY:
        moment = moment.replace(hour=0)
    return moment


def _upsert(rows: Iterable[dict[str, Any]], period: Period) -> int:
    objects = [Rollup(period=period, **row) for row in rows]
    Rollup.objects.bulk_create(
        objects,
        update_conflicts=True,
        unique_fields=["monitor", "period", "start"],
        update_fields=["checks", "failures", "latency_sum", "latency_count", "latency_max"],
    )
    return len(objects)


def roll_up(now: datetime | None = None) -> int:
    """Recompute the roll-ups that may have changed since the last run: minutes from results,
    hours from minutes, days from hours. Idempotent; run once a minute by the worker."""
    now = now or timezone.now()
    latest = Rollup.objects.filter(period=Period.MINUTE).aggregate(last=Max("start"))["last"]
    # The minute before the latest may still have received late results from a batch.
    since = now - KEEP[Period.MINUTE]
    if latest is not None:
        since = max(latest - STEP[Period.MINUTE], since)
    since = _floor(since, Period.MINUTE)
    minutes = (
        CheckResult.objects.filter(checked_at__gte=since)
        .annotate(bucket=TruncMinute("checked_at"))
        .values("monitor_id", "bucket")
        .annotate(
            n=Count("id"),
            bad=Count("id", filter=Q(ok=False)),
            lsum=Sum("latency_ms"),
            lcount=Count("latency_ms"),
            lmax=Max("latency_ms"),
        )
    )
    count = _upsert(
        (
            {
                "monitor_id": row["monitor_id"],
                "start": row["bucket"],
                "checks": row["n"],
                "failures": row["bad"],
                "latency_sum": row["lsum"] or 0,
                "latency_count": row["lcount"],
                "latency_max": row["lmax"] or 0,
            }
            for row in minutes
        ),
        Period.MINUTE,
    )
    for period, source in ((Period.HOUR, Period.MINUTE), (Period.DAY, Period.HOUR)):
        start = _floor(since, period)
        rows = (
            Rollup.objects.filter(period=source, start__gte=start)
            .annotate(bucket=TRUNC[period]("start"))
            .values("monitor_id", "bucket")
            .annotate(
                n=Sum("checks"),
                bad=Sum("failures"),
                lsum=Sum("latency_sum"),
                lcount=Sum("latency_count"),
                lmax=Max("latency_max"),
            )
        )
        count += _upsert(
            (
                {
                    "monitor_id": row["monitor_id"],
                    "start": row["bucket"],
                    "checks": row["n"],
                    "failures": row["bad"],
                    "latency_sum": row["lsum"],
                    "latency_count": row["lcount"],
                    "latency_max": row["lmax"],
                }
                for row in rows
            ),
            period,
        )
    return count


def prune(now: datetime | None = None) -> int:
    """Forget raw results and fine roll-ups older than KEEP says."""
    now = now or timezone.now()
    deleted, _ = CheckResult.objects.filter(checked_at__lt=now - KEEP["results"]).delete()
    for period in (Period.MINUTE, Period.HOUR):
        gone, _ = Rollup.objects.filter(period=period, start__lt=now - KEEP[period]).delete()
        deleted += gone
    return deleted


# --- one check, here and now ------------------------------------------------------------------


def run_once(monitor: Monitor) -> Outcome:
    """Run the monitor's check once in this process (the dashboard's "test now")."""
    if monitor.kind == MonitorKind.HEARTBEAT:
        if monitor.last_ping_at is None:
            return Outcome(False, "no ping received yet")
        return Outcome(True, f"last ping at {monitor.last_ping_at:%Y-%m-%d %H:%M:%S} UTC")
    spec = spec_of(monitor)

    async def once() -> Outcome:
        client = new_client(concurrency=1, extra_ca_file=settings.MONITOR_CA_FILE)
        async with client:
            return await run_check(spec, client, allow_private=settings.ALLOW_PRIVATE_TARGETS)

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(once())
    # Called from inside an event loop (an async caller): run in a thread of its own.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, once()).result()


def check_and_record(monitor: Monitor) -> Outcome:
    """Run the check once and store its result as the scheduler would."""
    now = timezone.now()
    outcome = run_once(monitor)
    record_results([Result(monitor.id, now, outcome)])
    monitor.refresh_from_db()
    return outcome
