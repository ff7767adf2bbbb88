"""Counting attempts atomically: signing in, password reset emails, subscribing and the
public "having trouble?" box limit themselves with ``hit``.

One statement per attempt (an upsert that returns the new count), so parallel attempts never
read the same count: forty wrong passwords sent at once are forty increments, and only the
first LIMIT of them reach the password check."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.utils import timezone

from upstate.throttle.models import Counter

_T = Counter._meta.db_table
# Both SQLite (3.35+) and PostgreSQL speak this upsert with RETURNING.
_HIT = f"""
INSERT INTO "{_T}" ("key", "count", "expires_at") VALUES (%s, 1, %s)
ON CONFLICT ("key") DO UPDATE SET
    "count" = CASE WHEN "{_T}"."expires_at" <= %s THEN 1 ELSE "{_T}"."count" + 1 END,
    "expires_at" = CASE WHEN "{_T}"."expires_at" <= %s THEN excluded."expires_at"
                        ELSE "{_T}"."expires_at" END
RETURNING "count"
"""  # noqa: S608 - the table name is ours; the values are parameters


def hit(key: str, window: int) -> int:
    """One more use of ``key`` in its window of ``window`` seconds; the uses so far, this one
    included."""
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(_HIT, [key, now + timedelta(seconds=window), now, now])
        (count,) = cursor.fetchone()
    return int(count)


def clear(key: str) -> None:
    """Start ``key`` afresh (a successful sign-in forgets the failures before it)."""
    Counter.objects.filter(key=key).delete()


def sweep() -> int:
    """Delete the windows that ended; returns how many."""
    deleted, _ = Counter.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted
