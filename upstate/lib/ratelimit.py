"""Counting requests per client in fixed windows, in Django's cache (Redis when REDIS_URL is
set, so every web process shares the counts): the one place for the client's address and for
the counter that subscribing, signing in and the "having trouble?" box limit themselves with."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
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


def hit(key: str, window: int) -> int:
    """One more use of `key` in its window of `window` seconds; the number of uses so far."""
    cache.add(key, 0, window)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, window)
        return 1
