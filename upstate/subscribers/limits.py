"""Rate limits on subscribing, so neither the public form nor the API can be used to mail-bomb
anyone: a fixed one-hour window per client address and per subscribed address, counted in
Django's cache (Redis when REDIS_URL is set, so every web process shares the counts)."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

WINDOW = 3600


class RateLimited(Exception):
    """Too many subscribe requests; `reason` says which limit, for the person or the client."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = WINDOW


def client_ip(request: HttpRequest) -> str:
    """The visitor's address. Behind TRUSTED_PROXIES reverse proxies REMOTE_ADDR is the
    nearest proxy's, and each proxy appended the address it saw to X-Forwarded-For: the entry
    the outermost trusted proxy appended is the client (earlier ones may be forged)."""
    proxies = settings.TRUSTED_PROXIES
    if proxies > 0:
        forwarded = [
            a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()
        ]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR") or "unknown"


def _key(kind: str, value: str) -> str:
    # Hashed: the cache holds no email addresses or phone numbers.
    return f"subscribe-limit:{kind}:{hashlib.sha256(value.encode()).hexdigest()[:32]}"


def _count(key: str) -> int:
    """One more use of `key` in the current window; the number of uses so far."""
    cache.add(key, 0, WINDOW)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, WINDOW)
        return 1


def check_client(request: HttpRequest, *, api: bool = False) -> None:
    """Count a subscribe request from this client; RateLimited once over its hourly limit."""
    limit = settings.SUBSCRIBE_API_LIMIT_PER_IP if api else settings.SUBSCRIBE_LIMIT_PER_IP
    if _count(_key("api-ip" if api else "ip", client_ip(request))) > limit:
        raise RateLimited(
            f"Too many subscription requests from your network address "
            f"(at most {limit} an hour). Please try again later."
        )


def check_address(address: str) -> None:
    """Count a confirmation message to `address` (on any page); RateLimited over the limit."""
    limit = settings.SUBSCRIBE_LIMIT_PER_ADDRESS
    if _count(_key("address", address.lower())) > limit:
        raise RateLimited(
            f"Too many subscription requests for this address (at most {limit} an hour). "
            "Please try again later."
        )
