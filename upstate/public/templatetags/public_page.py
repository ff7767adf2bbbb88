"""Tags for the public page templates: times in the page's zone, status classes and icons."""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

from django import template
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

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
def timeline_item(update: Any, show_changes: bool) -> SafeString:
    """One entry of a timeline (``public/_updates.html``), made once per process for the same
    entry in the same zone. A build shows every update of every active incident twice (the
    page and the incident's own): during a storm of updates, rendering them again and again
    was half of every build (bench/write_storm.py)."""
    changes = ()
    if show_changes:
        changes = tuple((c.name, c.old.label, c.new.label) for c in update.changes)
    zone = timezone.get_current_timezone_name()
    return _timeline_item(update.status_label, update.html, update.at, zone, changes)


@lru_cache(maxsize=16384)
def _timeline_item(
    label: str, html: str, at: datetime, zone: str, changes: tuple[tuple[str, str, str], ...]
) -> SafeString:
    parts = [
        format_html(
            '<li>\n<div><span class="what">{}</span><span class="when">{}</span></div>\n<div>',
            label,
            when(at),
        )
    ]
    if html:
        parts.append(format_html('<div class="md">{}</div>', html))
    if changes:
        items = format_html_join("", "<li>{}: {} → {}</li>", changes)
        changed = '\n<ul class="changes" aria-label="Component changes">{}</ul>'
        parts.append(format_html(changed, items))
    parts.append("</div>\n</li>\n")
    return mark_safe("".join(parts))  # noqa: S308 - every part above is escaped or safe


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
