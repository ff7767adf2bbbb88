"""API shapes of monitors and their results. The alert policy is its own object, as in the
YAML files `upstate monitors apply` reads."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from ninja import Schema
from pydantic import Field, StringConstraints, model_validator

from upstate.api.fields import Code, InSchema, Line, PatchSchema, Text, Timestamp
from upstate.incidents.models import Impact, Severity
from upstate.incidents.schemas import impact_from_severity
from upstate.monitors.models import (
    CheckResult,
    DnsRecordType,
    Monitor,
    MonitorKind,
    MonitorStatus,
)
from upstate.monitors.services import (
    MAX_INTERVAL,
    MAX_REDIRECTS,
    MAX_TIMEOUT,
    METHODS,
    MIN_INTERVAL,
)

Short = Annotated[str, StringConstraints(max_length=255)]
LongUrl = Annotated[str, StringConstraints(max_length=2000)]
Interval = Annotated[int, Field(ge=MIN_INTERVAL, le=MAX_INTERVAL)]
Timeout = Annotated[int, Field(ge=1, le=MAX_TIMEOUT)]
Count = Annotated[int, Field(ge=1, le=100)]
Method = Annotated[str, Field(json_schema_extra={"enum": list(METHODS)})]
Redirects = Annotated[int, Field(ge=0, le=MAX_REDIRECTS)]


# The names of the product documents' example (and other products' monitors) for our fields.
POLICY_ALIASES = {
    "status_page_id": "page_id",
    "affected_component": "component_id",
    "incident_severity": "severity",
}


def _policy_names(data: Any) -> Any:
    """Take the aliases for their fields, and a severity of minor/major/critical as the impact
    when none is given (see upstate.incidents.schemas.impact_from_severity)."""
    if not isinstance(data, dict):
        return data
    data = dict(data)
    for alias, name in POLICY_ALIASES.items():
        if alias in data and data.get(name) is None:
            data[name] = data.pop(alias)
    return impact_from_severity(data)


class AlertPolicyIn(InSchema):
    """`status_page_id`, `affected_component` and `incident_severity` are taken for
    page_id, component_id and severity; `incident_severity: major` (an impact word) sets the
    impact when none is given."""

    # "wrap": ninja's Schema validates the raw input in a wrap validator of its own first.
    @model_validator(mode="wrap")
    @classmethod
    def _other_products_names(cls, data: Any, handler: Any) -> Any:
        return handler(_policy_names(data))

    create_status_page_incident: bool = Field(
        True, description="Open an incident on the page when the monitor goes down"
    )
    page_id: Code | None = Field(None, description="The status page; required to open incidents")
    component_id: Code | None = Field(None, description="The affected component on that page")
    impact: Impact = Impact.MAJOR
    severity: Severity | None = None
    failures_before_open: Count = 3
    successes_before_resolve: Count = 2
    post_updates_while_down: bool = False
    page_responders: bool = False
    message_template: Text = Field(
        "{monitor} is failing its checks: {reason}",
        description="The incident's first message: {monitor}, {reason}, {target}, {since}",
    )


class AlertPolicyPatch(PatchSchema):
    NULLABLE: ClassVar[frozenset[str]] = frozenset({"page_id", "component_id", "severity"})

    @model_validator(mode="wrap")
    @classmethod
    def _other_products_names(cls, data: Any, handler: Any) -> Any:
        return handler(_policy_names(data))

    create_status_page_incident: bool | None = None
    page_id: Code | None = None
    component_id: Code | None = None
    impact: Impact | None = None
    severity: Severity | None = None
    failures_before_open: Count | None = None
    successes_before_resolve: Count | None = None
    post_updates_while_down: bool | None = None
    page_responders: bool | None = None
    message_template: Text | None = None


class MonitorIn(InSchema):
    name: Line
    kind: MonitorKind
    enabled: bool = True
    interval_seconds: Interval = 60
    timeout_seconds: Timeout = 10
    url: LongUrl = Field("", description="HTTP: the address to request")
    method: Method = "GET"
    headers: dict[Short, Short] = Field({}, description="HTTP: extra request headers")
    expected_statuses: Short = Field("200-299", description="HTTP: e.g. 200-299,301")
    keyword: Short = Field("", description="HTTP: text the body must contain")
    keyword_absent: bool = Field(False, description="HTTP: the keyword must NOT be present")
    json_path: Short = Field(
        "", description="HTTP: a value in the JSON body, e.g. status.indicator or checks[0].ok"
    )
    json_expected: Short = Field(
        "",
        description="HTTP: the value json_path must hold (JSON such as true or 3, else text); "
        "empty: the value must only exist",
    )
    follow_redirects: bool = Field(
        True, description="HTTP: follow redirects (each hop's address is checked again)"
    )
    max_redirects: Redirects = Field(5, description="HTTP: more redirects than this fail")
    max_response_ms: Annotated[int, Field(ge=1, le=600_000)] | None = None
    cert_expiry_days: Annotated[int, Field(ge=0, le=365)] = Field(
        14, description="HTTPS: fail when the certificate expires within this many days"
    )
    host: Short = Field("", description="TCP: host to connect to; DNS: the name to look up")
    port: Annotated[int, Field(ge=1, le=65535)] | None = Field(None, description="TCP: port")
    record_type: DnsRecordType = DnsRecordType.A
    expected_value: Short = Field("", description="DNS: one answer must equal this")
    dns_server: Short = Field("", description="DNS: ask this server (address[:port])")
    grace_seconds: Annotated[int, Field(ge=0, le=MAX_INTERVAL)] = Field(
        60, description="Heartbeat: how late a ping may be after its period"
    )
    alert_policy: AlertPolicyIn = AlertPolicyIn()


class MonitorPatch(PatchSchema):
    NULLABLE: ClassVar[frozenset[str]] = frozenset({"max_response_ms", "port"})

    name: Line | None = None
    enabled: bool | None = None
    interval_seconds: Interval | None = None
    timeout_seconds: Timeout | None = None
    url: LongUrl | None = None
    method: Method | None = None
    headers: dict[Short, Short] | None = None
    expected_statuses: Short | None = None
    keyword: Short | None = None
    keyword_absent: bool | None = None
    json_path: Short | None = None
    json_expected: Short | None = None
    follow_redirects: bool | None = None
    max_redirects: Redirects | None = None
    max_response_ms: Annotated[int, Field(ge=1, le=600_000)] | None = None
    cert_expiry_days: Annotated[int, Field(ge=0, le=365)] | None = None
    host: Short | None = None
    port: Annotated[int, Field(ge=1, le=65535)] | None = None
    record_type: DnsRecordType | None = None
    expected_value: Short | None = None
    dns_server: Short | None = None
    grace_seconds: Annotated[int, Field(ge=0, le=MAX_INTERVAL)] | None = None
    alert_policy: AlertPolicyPatch | None = None


class AlertPolicyOut(Schema):
    create_status_page_incident: bool
    page_id: str | None
    component_id: str | None
    impact: Impact
    severity: Severity | None
    failures_before_open: int
    successes_before_resolve: int
    post_updates_while_down: bool
    page_responders: bool
    message_template: str


class LastPingOut(Schema):
    kind: str = Field(description="start, success, fail or exit")
    exit_code: int | None = Field(description="The exit code an /<code> ping reported")
    at: Timestamp
    body: str = Field(description="What the ping sent (at most 10,000 characters)")
    run_ms: int | None = Field(description="Duration of the last start -> success run")


class MonitorOut(Schema):
    id: str
    name: str
    kind: MonitorKind
    enabled: bool
    interval_seconds: int
    timeout_seconds: int
    url: str
    method: str
    headers: dict[str, str]
    expected_statuses: str
    keyword: str
    keyword_absent: bool
    json_path: str
    json_expected: str
    follow_redirects: bool
    max_redirects: int
    max_response_ms: int | None
    cert_expiry_days: int
    host: str
    port: int | None
    record_type: DnsRecordType
    expected_value: str
    dns_server: str
    grace_seconds: int
    ping_url: str | None = Field(description="Heartbeat: the URL your job calls")
    last_ping: LastPingOut | None = Field(
        description="Heartbeat: the last call of the push URL, of any kind"
    )
    alert_policy: AlertPolicyOut
    status: MonitorStatus
    last_checked_at: Timestamp | None
    last_ok: bool | None
    last_reason: str
    last_latency_ms: int | None
    down_since: Timestamp | None
    incident_id: str | None = Field(description="The incident of the current outage")
    created_at: Timestamp
    updated_at: Timestamp

    @staticmethod
    def resolve_id(monitor: Monitor) -> str:
        return monitor.code

    @staticmethod
    def resolve_ping_url(monitor: Monitor) -> str | None:
        from upstate.monitors.links import ping_url

        return ping_url(monitor) if monitor.kind == MonitorKind.HEARTBEAT else None

    @staticmethod
    def resolve_last_ping(monitor: Monitor) -> dict[str, object] | None:
        if monitor.kind != MonitorKind.HEARTBEAT or monitor.last_ping_received_at is None:
            return None
        return {
            "kind": monitor.last_ping_kind,
            "exit_code": monitor.last_ping_exit_code,
            "at": monitor.last_ping_received_at,
            "body": monitor.last_ping_body,
            "run_ms": monitor.last_run_ms,
        }

    @staticmethod
    def resolve_incident_id(monitor: Monitor) -> str | None:
        return monitor.incident.code if monitor.incident_id else None

    @staticmethod
    def resolve_alert_policy(monitor: Monitor) -> dict[str, object]:
        return {
            "create_status_page_incident": monitor.create_incident,
            "page_id": monitor.page.code if monitor.page_id else None,
            "component_id": monitor.component.code if monitor.component_id else None,
            "impact": monitor.impact,
            "severity": monitor.severity or None,
            "failures_before_open": monitor.failures_before_open,
            "successes_before_resolve": monitor.successes_before_resolve,
            "post_updates_while_down": monitor.post_updates_while_down,
            "page_responders": monitor.page_responders,
            "message_template": monitor.message_template,
        }


class CheckResultOut(Schema):
    checked_at: Timestamp
    ok: bool
    latency_ms: int | None
    status_code: int | None
    reason: str

    @staticmethod
    def resolve_reason(result: CheckResult) -> str:
        return result.reason
