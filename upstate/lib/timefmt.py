"""Timestamps in the Statuspage wire format: ISO-8601, milliseconds, the page's offset."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo


def iso_ms(value: datetime | None, tz: str = "Etc/UTC") -> str | None:
    if value is None:
        return None
    local = value.astimezone(ZoneInfo(tz))
    text = local.isoformat(timespec="milliseconds")
    return text[:-6] + "Z" if text.endswith("+00:00") else text
