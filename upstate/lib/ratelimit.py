"""The one place for a client's address, which rate limits count by (the counting itself is
``upstate.throttle``)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest | None) -> str:
    """The visitor's address. Behind TRUSTED_PROXIES reverse proxies REMOTE_ADDR is the
    nearest proxy's, and each proxy appended the address it saw to X-Forwarded-For: the entry
    the outermost trusted proxy appended is the client (earlier ones may be forged)."""
    if request is None:
        return "unknown"
    proxies = settings.TRUSTED_PROXIES
    if proxies > 0:
        forwarded = [
            a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()
        ]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR") or "unknown"
