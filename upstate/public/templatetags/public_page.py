"""Tags for the public page templates: times in the page's zone, status classes and icons."""

from __future__ import annotations

from datetime import UTC, date, datetime

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

from upstate.pages.models import ComponentStatus

register = template.Library()

STATUS_CSS = {
    ComponentStatus.OPERATIONAL: "ok",
    ComponentStatus.UNDER_MAINTENANCE: "maint",
    ComponentStatus.DEGRADED_PERFORMANCE: "minor",
    ComponentStatus.PARTIAL_OUTAGE: "major",
    ComponentStatus.MAJOR_OUTAGE: "critical",
}
STATUS_ICON = {"ok": "i-ok", "maint": "i-maint", "minor": "i-warn", "major": "i-warn"}
INDICATOR_CSS = {"none": "ok", "minor": "minor", "major": "major", "critical": "critical"}
IMPACT_CSS = {"none": "neutral", "minor": "minor", "major": "major", "critical": "critical"}
SEVERITY_CSS = {"critical": "critical", "high": "major", "medium": "minor", "low": "neutral"}


def _utc(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def format_datetime(value: datetime) -> str:
    local = timezone.localtime(value)
    return f"{local:%b} {local.day}, {local.year}, {local:%H:%M} {local.tzname()}"


@register.simple_tag
def when(value: datetime | None, style: str = "datetime") -> SafeString | str:
    """``<time>`` in the page's zone; the inline script re-renders ``data-local`` ones in the
    visitor's zone. ``style`` is ``datetime`` or ``time`` (hour and minute only)."""
    if value is None:
        return ""
    local = timezone.localtime(value)
    text = f"{local:%H:%M} {local.tzname()}" if style == "time" else format_datetime(value)
    return format_html('<time datetime="{}" data-local="{}">{}</time>', _utc(value), style, text)


@register.simple_tag
def on(value: date) -> SafeString:
    """A calendar day of the page's zone (never re-rendered: days group by the page's zone)."""
    return format_html('<time datetime="{}">{}</time>', value.isoformat(), weekday_day(value))


@register.filter
def day(value: date) -> str:
    return f"{value:%b} {value.day}, {value.year}"


@register.filter
def weekday_day(value: date) -> str:
    return f"{value:%a}, {value:%b} {value.day}, {value.year}"


@register.filter
def status_css(value: str) -> str:
    return STATUS_CSS.get(ComponentStatus(value), "ok")


@register.filter
def status_label(value: str) -> str:
    return ComponentStatus(value).label


@register.filter
def indicator_css(value: str) -> str:
    return INDICATOR_CSS.get(value, "maint")


@register.filter
def impact_css(value: str) -> str:
    return IMPACT_CSS.get(value, "neutral")


@register.filter
def severity_css(value: str) -> str:
    return SEVERITY_CSS.get(value, "neutral")


@register.simple_tag
def icon(css: str) -> SafeString:
    """A decorative icon for a status class; the text next to it carries the meaning."""
    name = STATUS_ICON.get(css, "i-alert")
    return format_html(
        '<svg class="icon" aria-hidden="true" focusable="false"><use href="#{}"></use></svg>',
        name,
    )
