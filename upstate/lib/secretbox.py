"""Secrets at rest (provider tokens): Fernet (AES-128-CBC + HMAC-SHA256) under a key derived
from the installation's secret key and a purpose, so one leaked column is useless alone."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken


class SecretUnreadable(Exception):
    """The stored secret was written under another key (the secret key changed)."""


def _fernet(secret_key: str, purpose: str) -> Fernet:
    digest = hashlib.sha256(f"upstate.secretbox:{purpose}:{secret_key}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def seal(plain: str, *, secret_key: str, purpose: str) -> str:
    """The encrypted form of `plain` (empty stays empty)."""
    if not plain:
        return ""
    return _fernet(secret_key, purpose).encrypt(plain.encode()).decode()


def unseal(sealed: str, *, secret_key: str, purpose: str) -> str:
    if not sealed:
        return ""
    try:
        return _fernet(secret_key, purpose).decrypt(sealed.encode()).decode()
    except InvalidToken as exc:
        raise SecretUnreadable("cannot decrypt: was UPSTATE_SECRET_KEY changed?") from exc


def hint(plain: str) -> str:
    """What a page may show of a secret: its length class and last four characters."""
    if not plain:
        return ""
    return f"••••{plain[-4:]}" if len(plain) >= 12 else "••••"
