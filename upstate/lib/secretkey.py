"""The installation's secret key when none is configured: generated once into the data
directory, kept owner-only, and read by every process that shares that directory.

API key digests, webhook signatures, confirmation tokens, sessions and the encryption of
provider tokens all derive from this key, so the key published in the source must never be
one an installation runs on.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from upstate.lib.env import ConfigError

# What older versions fell back to; refused outside debug mode (settings.py).
PUBLISHED_DEFAULT = "insecure-development-key-set-UPSTATE_SECRET_KEY"
FILE_NAME = "secret_key"


def stored_key(data_dir: Path) -> str:
    """The key kept in `data_dir`, generated on first use.

    Processes starting at the same moment agree: each writes a candidate to a file of its own
    and links it into place; a link never replaces an existing file, so the first one wins and
    everyone reads that one."""
    path = data_dir / FILE_NAME
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        candidate = data_dir / f".{FILE_NAME}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_urlsafe(50) + "\n")
                out.flush()
                os.fsync(out.fileno())
            try:
                os.link(candidate, path)
            except FileExistsError:
                pass  # another process was first: use its key
        finally:
            candidate.unlink(missing_ok=True)
    key = path.read_text().strip()
    if not key:
        raise ConfigError(f"{path} is empty: delete it to have a new key generated")
    return key
