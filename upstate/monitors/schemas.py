"""API shapes of monitors and their results. The alert policy is its own object, as in the
YAML files `upstate monitors apply` reads."""

from __future__ import annotations

from typing import Annotated, ClassVar

from ninja import Schema
from pydantic import Field, StringConstraints

from upstate.api.fields import Code, InSchema, Line, PatchSchema, Text, Timestamp
from upstate.incidents.models import Impact, Severity
from upstate.monitors.models import (
    CheckResult,
    DnsRecordType,
    Monitor,
    MonitorKind,
    MonitorStatus,
)
from upstate.monitors.services import MAX_INTERVAL, MAX_TIMEOUT, METHODS, MIN_INTERVAL

Short = Annotated[str, StringConstraints(max_length=255)]
LongUrl = Annotated[str, StringConstraints(max_length=2000)]
Interval = Annotated[int, Field(ge=MIN_INTERVAL, le=MAX_INTERVAL)]
Timeout = Annotated[int, Field(ge=1, le=MAX_TIMEOUT)]
Count = Annotated[int, Field(ge=1, le=100)]
Method = Annotated[str, Field(json_schema_extra={"enum": list(METHODS)})]


class AlertPolicyIn(InSchema):
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
    max_response_ms: int | None
    cert_expiry_days: int
    host: str
    port: int | None
    record_type: DnsRecordType
    expected_value: str
    dns_server: str
    grace_seconds: int
    ping_url: str | None = Field(description="Heartbeat: the URL your job calls")
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
