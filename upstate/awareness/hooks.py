"""Signatures of the inbound helpdesk webhook.

A delivery carries `X-Upstate-Signature: t=<unix seconds>,v1=<hex>` where the hex is
HMAC-SHA256(secret, f"{t}." + raw body). The time is signed too, and deliveries older or newer
than TOLERANCE are refused, so a captured request cannot be replayed later.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from django.conf import settings

from upstate.awareness.models import HelpdeskHook

SIGNATURE_HEADER = "X-Upstate-Signature"
TOLERANCE = 300  # seconds


class SignatureError(Exception):
    """The delivery is not signed with the hook's current secret (or is too old)."""


def secret_for(hook: HelpdeskHook) -> str:
    """Derived from the installation's SECRET_KEY and the hook's salt: nothing to steal at rest."""
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"upstate.helpdesk-hook:{hook.salt}".encode(), hashlib.sha256
    )
    return "whsec_" + digest.hexdigest()


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The header value a sender puts on `body` (helpdesk glue code and tests use it)."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(hook: HelpdeskHook, header: str, body: bytes, now: float | None = None) -> None:
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts.get("t", ""))
    except ValueError:
        raise SignatureError(f"{SIGNATURE_HEADER} must be 't=<unix time>,v1=<hex>'") from None
    now = time.time() if now is None else now
    if abs(now - timestamp) > TOLERANCE:
        raise SignatureError(f"the signed time is more than {TOLERANCE} s away from now")
    expected = sign(secret_for(hook), body, timestamp).split("v1=", 1)[1]
    if not hmac.compare_digest(expected, parts.get("v1", "")):
        raise SignatureError("the signature does not match this hook's secret")
