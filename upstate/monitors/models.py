"""Monitors: what to check and how often, the alert policy that turns failures into incidents,
each check's result, and the per-minute/hour/day roll-ups that keep long history cheap."""

from __future__ import annotations

import secrets

from django.db import models

from upstate.incidents.models import Impact, Incident, Severity
from upstate.lib.codes import new_code
from upstate.orgs.models import Organization
from upstate.pages.models import Component, StatusPage

DEFAULT_MESSAGE = "{monitor} is failing its checks: {reason}"


def new_token() -> str:
    return secrets.token_urlsafe(24)


class MonitorKind(models.TextChoices):
    HTTP = "http", "HTTP(S)"
    TCP = "tcp", "TCP port"
    DNS = "dns", "DNS record"
    HEARTBEAT = "heartbeat", "Heartbeat"


class MonitorStatus(models.TextChoices):
    PENDING = "pending", "Pending"  # no verdict yet
    UP = "up", "Up"
    DOWN = "down", "Down"
    PAUSED = "paused", "Paused"


class DnsRecordType(models.TextChoices):
    A = "A", "A"
    AAAA = "AAAA", "AAAA"
    CNAME = "CNAME", "CNAME"
    MX = "MX", "MX"
    TXT = "TXT", "TXT"
    NS = "NS", "NS"


class Monitor(models.Model):
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="monitors")
    code = models.CharField(max_length=12, unique=True, default=new_code, editable=False)
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=10, choices=MonitorKind.choices)
    enabled = models.BooleanField(default=True)
    interval_seconds = models.PositiveIntegerField(default=60)
    timeout_seconds = models.PositiveIntegerField(default=10)

    # HTTP(S)
    url = models.CharField(max_length=2000, blank=True)
    method = models.CharField(max_length=7, default="GET")
    headers = models.JSONField(default=dict, blank=True)
    expected_statuses = models.CharField(max_length=200, default="200-299")
    keyword = models.CharField(max_length=255, blank=True)
    keyword_absent = models.BooleanField(default=False)
    max_response_ms = models.PositiveIntegerField(null=True, blank=True)
    # A value in a JSON body: `json_path` like "status.indicator" or "checks[0].ok" must hold
    # `json_expected` (compared as JSON when it parses as JSON, else as text).
    json_path = models.CharField(max_length=255, blank=True)
    json_expected = models.CharField(max_length=255, blank=True)
    follow_redirects = models.BooleanField(default=True)
    max_redirects = models.PositiveSmallIntegerField(default=5)
    cert_expiry_days = models.PositiveIntegerField(default=14)  # 0: no warning
    # TCP and DNS
    host = models.CharField(max_length=253, blank=True)
    port = models.PositiveIntegerField(null=True, blank=True)
    record_type = models.CharField(
        max_length=5, choices=DnsRecordType.choices, default=DnsRecordType.A
    )
    expected_value = models.CharField(max_length=255, blank=True)
    dns_server = models.CharField(max_length=100, blank=True)
    # Heartbeat: the push URL's secret; the period is interval_seconds.
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    grace_seconds = models.PositiveIntegerField(default=60)

    # Alert policy
    create_incident = models.BooleanField(default=True)
    page = models.ForeignKey(
        StatusPage, on_delete=models.SET_NULL, null=True, blank=True, related_name="monitors"
    )
    component = models.ForeignKey(
        Component, on_delete=models.SET_NULL, null=True, blank=True, related_name="monitors"
    )
    impact = models.CharField(max_length=10, choices=Impact.choices, default=Impact.MAJOR)
    severity = models.CharField(max_length=10, choices=Severity.choices, blank=True)
    failures_before_open = models.PositiveIntegerField(default=3)
    successes_before_resolve = models.PositiveIntegerField(default=2)
    post_updates_while_down = models.BooleanField(default=False)
    page_responders = models.BooleanField(default=False)
    message_template = models.TextField(default=DEFAULT_MESSAGE)

    # State, written by the scheduler's result batches
    status = models.CharField(
        max_length=10, choices=MonitorStatus.choices, default=MonitorStatus.PENDING
    )
    failures = models.PositiveIntegerField(default=0)  # consecutive
    successes = models.PositiveIntegerField(default=0)  # consecutive
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_ok = models.BooleanField(null=True)
    last_reason = models.CharField(max_length=255, blank=True)
    last_latency_ms = models.PositiveIntegerField(null=True, blank=True)
    down_since = models.DateTimeField(null=True, blank=True)
    # The outage's incident: set when opened, cleared when the monitor recovers. A person
    # may resolve or delete it meanwhile; `incident_opened` keeps one incident per outage.
    incident = models.ForeignKey(
        Incident, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    incident_opened = models.BooleanField(default=False)
    last_down_update_at = models.DateTimeField(null=True, blank=True)
    last_ping_at = models.DateTimeField(null=True, blank=True)
    # The last call of the push URL of any kind (start, success, fail, an exit code), what
    # it sent (capped, shown escaped), and the duration of the last start -> success run.
    last_ping_kind = models.CharField(max_length=10, blank=True)
    last_ping_exit_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_ping_body = models.TextField(blank=True)
    last_ping_received_at = models.DateTimeField(null=True, blank=True)
    run_started_at = models.DateTimeField(null=True, blank=True)
    last_run_ms = models.PositiveIntegerField(null=True, blank=True)
    # Denormalised for the scheduler's heartbeat sweep (see the partial index).
    ping_deadline_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        indexes = [
            # The scheduler's heartbeat sweep looks for enabled heartbeats past their deadline.
            models.Index(
                fields=["ping_deadline_at"],
                name="monitor_heartbeat_deadline",
                condition=models.Q(kind="heartbeat", enabled=True),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def badge(self) -> str:
        """The dashboard badge style that shows this status."""
        return {
            MonitorStatus.UP: "operational",
            MonitorStatus.DOWN: "major_outage",
            MonitorStatus.PAUSED: "scheduled",
        }.get(self.status, "none")

    @property
    def target(self) -> str:
        """What the monitor checks, in one line."""
        if self.kind == MonitorKind.HTTP:
            return f"{self.method} {self.url}"
        if self.kind == MonitorKind.TCP:
            return f"{self.host}:{self.port}"
        if self.kind == MonitorKind.DNS:
            return f"{self.record_type} {self.host}"
        return f"a ping every {self.interval_seconds} s (+{self.grace_seconds} s grace)"


class CheckResult(models.Model):
    monitor = models.ForeignKey(Monitor, on_delete=models.CASCADE, related_name="results")
    checked_at = models.DateTimeField()  # when the check started
    ok = models.BooleanField()
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    reason = models.CharField(max_length=255, blank=True)
    lag_ms = models.IntegerField(default=0)  # actual start minus planned start

    class Meta:
        ordering = ["-checked_at", "-id"]
        indexes = [models.Index(fields=["monitor", "-checked_at"], name="result_by_monitor")]


class Period(models.TextChoices):
    MINUTE = "minute", "Minute"
    HOUR = "hour", "Hour"
    DAY = "day", "Day"


class Rollup(models.Model):
    """Checks, failures and latency of one monitor over one minute, hour or (UTC) day."""

    monitor = models.ForeignKey(Monitor, on_delete=models.CASCADE, related_name="rollups")
    period = models.CharField(max_length=6, choices=Period.choices)
    start = models.DateTimeField()
    checks = models.PositiveIntegerField(default=0)
    failures = models.PositiveIntegerField(default=0)
    latency_sum = models.BigIntegerField(default=0)
    latency_count = models.PositiveIntegerField(default=0)
    latency_max = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["start"]
        constraints = [
            models.UniqueConstraint(fields=["monitor", "period", "start"], name="one_rollup")
        ]

    @property
    def latency_avg(self) -> float | None:
        return self.latency_sum / self.latency_count if self.latency_count else None


class SchedulerLease(models.Model):
    """Only one worker process runs the check scheduler at a time; it renews this lease."""

    name = models.CharField(max_length=40, unique=True)
    holder = models.CharField(max_length=120)
    expires_at = models.DateTimeField()
