"""API key format: a visible prefix, a lookup part and a secret; only an HMAC is stored."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string
from typing import NamedTuple

PREFIX = "up_"
_ALPHABET = string.ascii_letters + string.digits


class NewKey(NamedTuple):
    key: str
    lookup: str
    digest: str


def _random(length: int) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def digest(secret: str, key: str) -> str:
    return hmac.new(secret.encode(), key.encode(), hashlib.sha256).hexdigest()


def generate(secret: str) -> NewKey:
    lookup = _random(12)
    key = f"{PREFIX}{lookup}_{_random(32)}"
    return NewKey(key, lookup, digest(secret, key))


def split_lookup(key: str) -> str | None:
    """The lookup part of a well-formed key, else None."""
    if not key.startswith(PREFIX):
        return None
    lookup, _, rest = key[len(PREFIX) :].partition("_")
    if len(lookup) != 12 or len(rest) != 32:
        return None
    return lookup


def matches(secret: str, key: str, stored_digest: str) -> bool:
    return hmac.compare_digest(digest(secret, key), stored_digest)
