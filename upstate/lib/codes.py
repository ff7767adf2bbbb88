"""Opaque public identifiers: 12 lowercase base36 characters, as Statuspage clients expect."""

from __future__ import annotations

import secrets
import string

ALPHABET = string.digits + string.ascii_lowercase
LENGTH = 12


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def is_code(value: str) -> bool:
    return len(value) == LENGTH and all(ch in ALPHABET for ch in value)
