"""Addresses of monitor things that people paste elsewhere."""

from __future__ import annotations

from django.conf import settings

from upstate.monitors.models import Monitor


def ping_url(monitor: Monitor) -> str:
    """The heartbeat's push URL: a GET, HEAD or POST to it is a ping."""
    return f"{settings.PUBLIC_URL}/api/v1/heartbeat/{monitor.token}"
