"""Opaque public identifiers: 12 lowercase base36 characters, as Statuspage clients expect."""

from __future__ import annotations

import secrets
import string

ALPHABET = string.digits + string.ascii_lowercase
LENGTH = 12


def new_code() -> str:
    # One draw below 36**12, written in base 36: uniform like twelve draws of a character,
    # at a twelfth of the cost (a fan-out makes one code per delivery).
    number = secrets.randbelow(len(ALPHABET) ** LENGTH)
    chars = []
    for _ in range(LENGTH):
        number, digit = divmod(number, len(ALPHABET))
        chars.append(ALPHABET[digit])
    return "".join(chars)


def is_code(value: str) -> bool:
    return len(value) == LENGTH and all(ch in ALPHABET for ch in value)
