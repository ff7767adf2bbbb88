"""Timestamps in the Statuspage wire format: ISO-8601, milliseconds, the page's offset."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo


# A build writes the same timestamps as the build before it, thousands for a page with a long
# timeline (every update's, in several documents): a tenth of a build's time, formatted anew.
@lru_cache(maxsize=8192)
def iso_ms(value: datetime | None, tz: str = "Etc/UTC") -> str | None:
    if value is None:
        return None
    local = value.astimezone(ZoneInfo(tz))
    text = local.isoformat(timespec="milliseconds")
    return text[:-6] + "Z" if text.endswith("+00:00") else text
