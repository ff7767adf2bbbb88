"""Tasks in the queue are pickled (huey's format): signed here with a key derived from the
installation's secret key and verified before they are unpickled, so a queue entry someone
else wrote (the SQLite queue is a file in the data directory; a Redis may be shared) is
dropped instead of running code in the worker."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from huey.serializer import SignedSerializer


class UnsignedTask(ValueError):
    """A queue entry without this installation's signature: never unpickled."""


def task_key(secret_key: str) -> str:
    """The signing key for tasks: derived, so the secret key itself signs nothing else."""
    return hmac.new(secret_key.encode(), b"upstate task queue", hashlib.sha256).hexdigest()


class TaskSerializer(SignedSerializer):
    def __init__(self, secret_key: str) -> None:
        super().__init__(secret=task_key(secret_key), salt="upstate-tasks")

    def _deserialize(self, data: bytes) -> Any:
        try:
            message = self._unsign(data)
        except ValueError as exc:
            raise UnsignedTask(
                "dropped a queue entry that is not signed with this installation's key "
                "(written by something else, or before UPSTATE_SECRET_KEY changed)"
            ) from exc
        return super(SignedSerializer, self)._deserialize(message)
