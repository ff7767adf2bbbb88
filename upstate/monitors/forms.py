from __future__ import annotations

from typing import Any

from django import forms

from upstate.dashboard.formtext import AcceptedText
from upstate.incidents.models import Impact, Severity
from upstate.monitors.models import DEFAULT_MESSAGE, DnsRecordType, MonitorKind
from upstate.monitors.services import (
    CHECK_FIELDS,
    MAX_INTERVAL,
    MAX_REDIRECTS,
    MAX_TIMEOUT,
    METHODS,
    MIN_INTERVAL,
    POLICY_FIELDS,
)
from upstate.orgs.models import Organization
from upstate.pages.models import Component, StatusPage

# The form shows the kind's own fieldset only (and all of them without JavaScript).
FIELDSET_LABELS = {
    "http": "HTTP(S)",
    "tcp dns": "TCP port and DNS record",
    "heartbeat": "Heartbeat",
}


class PageChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: StatusPage) -> str:
        return obj.name


class ComponentChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Component) -> str:
        return f"{obj.page.name} – {obj.display_name}"


def parse_headers(text: str) -> dict[str, str]:
    """ "Name: value" lines -> {"Name": "value"}."""
    headers = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        name, colon, value = line.partition(":")
        if not colon or not name.strip():
            raise forms.ValidationError(f"Line {number}: write “Name: value”.")
        headers[name.strip()] = value.strip()
    return headers


class MonitorForm(AcceptedText, forms.Form):
    name = forms.CharField(max_length=120, help_text="What is checked, e.g. “Production API”.")
    kind = forms.ChoiceField(
        choices=MonitorKind.choices,
        help_text="HTTP(S) requests a URL; TCP connects to a port; DNS looks up a record; "
        "a heartbeat waits for your job to call its push URL.",
    )
    enabled = forms.BooleanField(
        required=False, initial=True, help_text="Paused monitors are not checked."
    )
    interval_seconds = forms.IntegerField(
        label="Interval (seconds)",
        min_value=MIN_INTERVAL,
        max_value=MAX_INTERVAL,
        initial=60,
        help_text=f"How often to check (at least {MIN_INTERVAL} s). For a heartbeat: how "
        "often your job pings.",
    )
    timeout_seconds = forms.IntegerField(
        label="Timeout (seconds)",
        min_value=1,
        max_value=MAX_TIMEOUT,
        initial=10,
        help_text="A check without an answer by then fails.",
    )
    url = forms.CharField(
        label="URL",
        required=False,
        max_length=2000,
        help_text="http:// or https:// address to request.",
    )
    method = forms.ChoiceField(
        choices=[(m, m) for m in METHODS], initial="GET", help_text="The HTTP method."
    )
    headers = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Extra request headers, one “Name: value” per line.",
    )
    expected_statuses = forms.CharField(
        initial="200-299",
        max_length=200,
        help_text="Status codes that count as up: codes and ranges, e.g. 200-299,301.",
    )
    keyword = forms.CharField(
        required=False, max_length=255, help_text="Text the response body must contain."
    )
    keyword_absent = forms.BooleanField(
        required=False,
        label="Keyword must be absent",
        help_text="Fail when the keyword IS found (e.g. “error”).",
    )
    json_path = forms.CharField(
        label="JSON path",
        required=False,
        max_length=255,
        help_text="A value in a JSON response to check, e.g. status.indicator or "
        "checks[0].ok. Empty: the body is not read as JSON.",
    )
    json_expected = forms.CharField(
        label="Expected JSON value",
        required=False,
        max_length=255,
        help_text='What the JSON path must hold: JSON (true, 3, "ok") or plain text '
        "(none). Empty: the value must only exist.",
    )
    follow_redirects = forms.BooleanField(
        required=False,
        initial=True,
        help_text="Follow redirects to their end. Every hop is checked like the URL (no "
        "private address unless allowed), and never leads to a link-local one.",
    )
    max_redirects = forms.IntegerField(
        label="Redirect limit",
        required=False,
        initial=5,
        min_value=0,
        max_value=MAX_REDIRECTS,
        help_text="More redirects than this count as a failure. Empty: 5.",
    )
    max_response_ms = forms.IntegerField(
        label="Response-time threshold (ms)",
        required=False,
        min_value=1,
        max_value=600_000,
        help_text="Slower answers count as failures. Empty: no threshold.",
    )
    cert_expiry_days = forms.IntegerField(
        label="Certificate expiry warning (days)",
        initial=14,
        min_value=0,
        max_value=365,
        help_text="HTTPS: fail when the certificate expires within this many days (0: never).",
    )
    host = forms.CharField(
        required=False,
        max_length=253,
        help_text="TCP: the host to connect to. DNS: the name to look up.",
    )
    port = forms.IntegerField(
        required=False, min_value=1, max_value=65535, help_text="TCP: the port to connect to."
    )
    record_type = forms.ChoiceField(
        choices=DnsRecordType.choices, initial="A", help_text="DNS: the record type to ask for."
    )
    expected_value = forms.CharField(
        required=False,
        max_length=255,
        help_text="DNS: one answer must equal this (e.g. 192.0.2.10). Empty: any answer.",
    )
    dns_server = forms.CharField(
        label="DNS server",
        required=False,
        max_length=100,
        help_text="DNS: ask this server (address[:port]) instead of the system's resolver.",
    )
    grace_seconds = forms.IntegerField(
        label="Grace (seconds)",
        initial=60,
        min_value=0,
        max_value=MAX_INTERVAL,
        help_text="Heartbeat: how late a ping may be before it counts as missing.",
    )
    create_incident = forms.BooleanField(
        required=False,
        initial=True,
        label="Open an incident on the status page",
        help_text="When the monitor goes down, declare an incident; resolve it on recovery.",
    )
    page = PageChoice(
        queryset=StatusPage.objects.none(),
        required=False,
        help_text="The status page the incident goes on.",
    )
    component = ComponentChoice(
        queryset=Component.objects.none(),
        required=False,
        help_text="The affected component; maintenance on it suppresses incidents.",
    )
    impact = forms.ChoiceField(
        choices=Impact.choices,
        initial=Impact.MAJOR,
        help_text="Sets the component's status: minor → degraded, major → partial outage, "
        "critical → major outage.",
    )
    severity = forms.ChoiceField(
        choices=[("", "—"), *Severity.choices],
        required=False,
        help_text="The incident's severity, where the page shows severity.",
    )
    failures_before_open = forms.IntegerField(
        min_value=1,
        max_value=100,
        initial=3,
        help_text="Consecutive failed checks before the monitor is down.",
    )
    successes_before_resolve = forms.IntegerField(
        min_value=1,
        max_value=100,
        initial=2,
        help_text="Consecutive passed checks before it is up again.",
    )
    post_updates_while_down = forms.BooleanField(
        required=False,
        help_text="Post a “still failing” update every 30 minutes while it stays down.",
    )
    page_responders = forms.BooleanField(
        required=False,
        help_text="Page the on-call responders when the monitor opens an incident.",
    )
    message_template = forms.CharField(
        initial=DEFAULT_MESSAGE,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="The incident's first message. Placeholders: {monitor}, {reason}, {target}, "
        "{since}.",
    )

    def __init__(self, *args: Any, org: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["page"].queryset = StatusPage.objects.filter(org=org).order_by("name")
        self.fields["component"].queryset = (
            Component.objects.filter(page__org=org)
            .select_related("page", "group")
            .order_by("page__name", "position", "id")
        )

    def clean_headers(self) -> dict[str, str]:
        return parse_headers(self.cleaned_data.get("headers") or "")

    def clean_max_redirects(self) -> int:
        value = self.cleaned_data.get("max_redirects")
        return 5 if value is None else value

    def service_fields(self) -> dict[str, Any]:
        """The cleaned data in the service's terms."""
        data = dict(self.cleaned_data)
        data["severity"] = data.get("severity") or ""
        return data

    def kind_fieldsets(self) -> list[tuple[str, str, list[forms.BoundField]]]:
        return [
            (kinds, FIELDSET_LABELS[kinds], [self[name] for name in names])
            for kinds, names in CHECK_FIELDS.items()
        ]

    def policy_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in POLICY_FIELDS]


def initial_of(monitor: Any) -> dict[str, Any]:
    from upstate.monitors.services import CONFIG_FIELDS

    initial = {name: getattr(monitor, name) for name in CONFIG_FIELDS}
    initial["headers"] = "\n".join(f"{k}: {v}" for k, v in (monitor.headers or {}).items())
    return initial
