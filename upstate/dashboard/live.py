"""Screens that refresh themselves: htmx polls the screen's own URL every few seconds, sending
the version the screen was rendered at (If-None-Match); when nothing changed the answer is a
304 after the session read and one indexed query, and htmx leaves the page alone.

Why polling and not server-sent events: Django's views run on a small pool of threads behind
granian's RSGI event loop (upstate/rsgi.py). An SSE stream would hold one of those threads
for as long as a viewer keeps the page open, so 50 viewers would need 50 threads that mostly
wait; a poll holds one for about a millisecond (docs/benchmarks.md, bench/live_room.py).

The check does not load the user: it reads the user id and the session's password hash from
the session and compares them, in the same query as the version, with the member's row (the
user must still be active, still a member, and not have changed their password since signing
in). Anything that does not match falls through to the full view, which then redirects,
404s or renders as usual.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any

from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.db.models import Count, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils.crypto import constant_time_compare

View = Callable[..., HttpResponse]
# The screen's version for a member: (request, user id, **the view's URL kwargs) -> entity tag,
# None when the session or the membership does not check out.
Version = Callable[..., str | None]

# How often the pages poll; bench/live_room.py polls as often.
ROOM_SECONDS = 5
LIST_SECONDS = 10


def session_user_id(request: HttpRequest) -> int | None:
    """The signed-in user's id as the session holds it, without loading the user."""
    if request.session.get(BACKEND_SESSION_KEY) is None:
        return None
    try:
        return int(request.session[SESSION_KEY])
    except (KeyError, TypeError, ValueError):
        return None


def session_is_valid(request: HttpRequest, *, password: str, is_active: bool) -> bool:
    """Whether the session still belongs to the user whose password hash is `password`, as
    Django's own check on every request decides it (a password change signs out)."""
    if not is_active:
        return False
    user = get_user_model()(password=password)
    return constant_time_compare(
        request.session.get(HASH_SESSION_KEY, ""), user.get_session_auth_hash()
    )


def version_tag(*parts: object) -> str:
    """An entity tag of these parts (times to the microsecond)."""
    text = "-".join(
        str(int(p.timestamp() * 1_000_000)) if isinstance(p, datetime) else str(p) for p in parts
    )
    return f'"{text}"'


def newest(queryset: QuerySet) -> Subquery:
    """The newest `updated_at` of `queryset` (filtered on an OuterRef), as a subquery."""
    return Subquery(queryset.order_by("-updated_at").values("updated_at")[:1])


def count(queryset: QuerySet, by: str) -> Subquery:
    """How many rows `queryset` (filtered on an OuterRef through `by`) has, as a subquery."""
    return Subquery(queryset.values(by).annotate(n=Count("id")).values("n"))


def minute() -> int:
    """Part of the versions of screens that say "5 minutes ago", so that it moves on."""
    return int(time.time() // 60)


def headers(tag: str) -> str:
    """The hx-headers attribute of a poller: the version its screen was rendered at."""
    return json.dumps({"If-None-Match": tag})


def unchanged(request: HttpRequest, tag: str) -> bool:
    return request.headers.get("If-None-Match") == tag


def not_modified(tag: str) -> HttpResponseNotModified:
    response = HttpResponseNotModified()
    response["ETag"] = tag
    response["Cache-Control"] = "private, no-cache"
    return response


def polled(version: Version) -> Callable[[View], View]:
    """Answer a poll with 304 when `version(request, user_id, **view_kwargs)` equals the
    version the poller sent; anything else (no session, not a member, changed) runs the view.
    Put it outermost, above login_required, which would load the user first."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method == "GET" and "If-None-Match" in request.headers:
                user_id = session_user_id(request)
                tag = version(request, user_id, **kwargs) if user_id is not None else None
                if tag is not None and unchanged(request, tag):
                    return not_modified(tag)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
