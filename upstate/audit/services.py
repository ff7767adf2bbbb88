"""The audit trail: `record()` is called by every service that changes state; who is acting
comes from a context variable set around the work (`acting_as`) so services need no actor
argument. The dashboard middleware, the API's key authentication, the CLI and the worker set it.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import models

from upstate.audit.models import AuditEntry
from upstate.orgs.models import ApiKey, Organization

SYSTEM = "system"


@dataclass(frozen=True)
class Actor:
    user: Any = None  # may be Django's lazy request.user; resolved only when recording
    api_key: ApiKey | None = None
    label: str | None = None

    def resolve(self) -> tuple[str, Any, ApiKey | None]:
        """(label, user or None, api key or None) for an entry."""
        if self.api_key is not None:
            name = self.api_key.name or self.api_key.code
            return self.label or f"API key '{name}'", None, self.api_key
        user = self.user
        if user is not None and getattr(user, "is_authenticated", False):
            label = self.label or user.email or user.get_username()
            return label, user, None
        return self.label or SYSTEM, None, None


_actor: contextvars.ContextVar[Actor | None] = contextvars.ContextVar("audit_actor", default=None)
_NOBODY = Actor()


@contextmanager
def acting_as(
    *, user: Any = None, api_key: ApiKey | None = None, label: str | None = None
) -> Iterator[Actor]:
    """Everything recorded inside the block is attributed to this actor."""
    actor = Actor(user=user, api_key=api_key, label=label)
    token = _actor.set(actor)
    try:
        yield actor
    finally:
        _actor.reset(token)


def set_actor(*, user: Any = None, api_key: ApiKey | None = None, label: str | None = None) -> None:
    """Attribute the rest of the current request to this actor. `AuditActorMiddleware` wraps
    every request in `acting_as`, which restores the previous actor when the request ends;
    the API's key authentication calls this once it knows the key."""
    _actor.set(Actor(user=user, api_key=api_key, label=label))


def current_actor() -> Actor:
    return _actor.get() or _NOBODY


def describe(target: models.Model) -> tuple[str, str, str]:
    """(type, code, label) naming an object in the log."""
    kind = getattr(target, "audit_type", None) or target._meta.model_name
    code = getattr(target, "code", "") or ""
    user = getattr(target, "user", None)
    if target._meta.model_name == "membership" and user is not None:
        return "member", "", user.email or user.get_username()
    if target._meta.model_name == "statuspage":
        kind = "page"
    label = getattr(target, "title", None) or getattr(target, "name", None) or str(target)
    return kind, code, str(label)[:255]


def record(
    *,
    org: Organization | int,
    action: str,
    target: models.Model | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Store one entry for the current actor; call it inside the change's transaction.
    `org` may be given as an id to spare a query."""
    label, user, api_key = current_actor().resolve()
    kind, code, target_label = describe(target) if target is not None else ("", "", "")
    return AuditEntry.objects.create(
        org_id=org if isinstance(org, int) else org.id,
        actor_label=label[:200],
        user=user,
        api_key=api_key,
        action=action,
        target_type=kind,
        target_code=code,
        target_label=target_label,
        details=details or {},
    )


def changed(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [old, new]} for the fields whose value differs."""
    return {k: [before.get(k), after[k]] for k in after if before.get(k) != after[k]}
