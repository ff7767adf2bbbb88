"""Rate limits on subscribing, so neither the public form nor the API can be used to mail-bomb
anyone: a fixed one-hour window per client address and per subscribed address."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.http import HttpRequest

from upstate.lib.ratelimit import client_ip
from upstate.throttle.services import hit

WINDOW = 3600


class RateLimited(Exception):
    """Too many subscribe requests; `reason` says which limit, for the person or the client."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = WINDOW


def _key(kind: str, value: str) -> str:
    # Hashed: the cache holds no email addresses or phone numbers.
    return f"subscribe-limit:{kind}:{hashlib.sha256(value.encode()).hexdigest()[:32]}"


def check_client(request: HttpRequest, *, api: bool = False) -> None:
    """Count a subscribe request from this client; RateLimited once over its hourly limit."""
    limit = settings.SUBSCRIBE_API_LIMIT_PER_IP if api else settings.SUBSCRIBE_LIMIT_PER_IP
    if hit(_key("api-ip" if api else "ip", client_ip(request)), WINDOW) > limit:
        raise RateLimited(
            f"Too many subscription requests from your network address "
            f"(at most {limit} an hour). Please try again later."
        )


def check_address(address: str) -> None:
    """Count a confirmation message to `address` (on any page); RateLimited over the limit."""
    limit = settings.SUBSCRIBE_LIMIT_PER_ADDRESS
    if hit(_key("address", address.lower()), WINDOW) > limit:
        raise RateLimited(
            f"Too many subscription requests for this address (at most {limit} an hour). "
            "Please try again later."
        )
