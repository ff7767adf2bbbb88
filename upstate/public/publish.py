"""Rebuild a page's public snapshot after the transaction that changed it commits, off the
request path.

Web and worker processes run a builder thread (`upstate.lib.coalesce.start_all`): a committed
change only marks its page, and the thread builds each marked page once however many changes a
burst brought. On SQLite the web processes hand the build to the worker (``handoff``) and
keep watch that it happens. Elsewhere (the command line, tests) the build runs as soon as the
transaction commits, in the same thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque

from django.db import transaction

from upstate.lib.coalesce import Coalescer, register
from upstate.public import handoff
from upstate.public.handoff import GRACE

log = logging.getLogger(__name__)

MIN_INTERVAL = 0.5  # seconds between two builds of one page


class Builder(Coalescer):
    """Builds each marked page once per burst (upstate.lib.coalesce): during a storm of
    writes a page is built at most every MIN_INTERVAL, its first change after a quiet spell at
    once."""

    def __init__(self) -> None:
        super().__init__("snapshot-builder", _build, MIN_INTERVAL)


def request_rebuild(page_id: int) -> None:
    # robust: the change is committed whatever happens to the build; a failed build is
    # logged and the last version stays up. The builder thread tries again by itself; an
    # inline build (the command line) waits for the next change or the periodic rebuild.
    requested_at = time.monotonic()
    transaction.on_commit(lambda: _rebuild_after_commit(page_id, requested_at), robust=True)


def request_removal(page_code: str) -> None:
    from upstate.public.snapshot import remove_snapshot

    transaction.on_commit(lambda: remove_snapshot(page_code), robust=True)


# page id -> monotonic time its last inline build started: a callback registered before that
# moment is already covered by the build, so several changes in one transaction build once.
_last_inline_build: dict[int, float] = {}


# page id -> `change_clock` after the newest change the builder thread has not built yet
_changed: dict[int, float] = {}
_changed_lock = threading.Lock()


def _rebuild_after_commit(page_id: int, requested_at: float) -> None:
    if BUILDER.started:
        from upstate.public.snapshot import change_clock

        changed_at = change_clock()
        if handoff.send(page_id):
            with _changed_lock:
                _handed.setdefault(page_id, deque()).append(changed_at)
            WATCH.mark(page_id)
            return
        _keep(page_id, changed_at)
        BUILDER.mark(page_id)
        return
    if _last_inline_build.get(page_id, -1.0) > requested_at:
        return
    _last_inline_build[page_id] = time.monotonic()
    rebuild_now(page_id)


# page id -> `change_clock` of the changes handed to the worker that no build is known to hold
# yet, oldest first
_handed: dict[int, deque[float]] = {}


def build_for_others(page_id: int) -> None:
    """The worker builds a page a web process of its host changed (``handoff``)."""
    from upstate.public.snapshot import change_clock

    _keep(page_id, change_clock())  # after the change committed: its build reads it
    BUILDER.mark(page_id)


def _watch(page_id: int) -> float | None:
    """The watch thread's action: a change handed to the worker that no stored build holds
    GRACE seconds later is built here (a worker that hangs costs seconds, not the page).
    Returns when to look again."""
    from upstate.pages.models import StatusPage
    from upstate.public.snapshot import change_clock, latest_read_from

    now = change_clock()
    with _changed_lock:
        waiting = _handed.get(page_id)
        if not waiting:
            return None
        if waiting[0] + GRACE > now:
            return waiting[0] + GRACE - now
    code = StatusPage.objects.filter(id=page_id).values_list("code", flat=True).first()
    built_from = latest_read_from(code) if code is not None else now
    with _changed_lock:
        waiting = _handed.get(page_id, deque())
        while waiting and waiting[0] <= built_from:
            waiting.popleft()
        late = None
        while waiting and waiting[0] + GRACE <= now:
            late = waiting.popleft()
        again = waiting[0] + GRACE - now if waiting else None
        if not waiting:
            _handed.pop(page_id, None)
    if late is not None:
        log.warning("the worker has not built page %s in %s s: building it here", page_id, GRACE)
        _keep(page_id, late)
        BUILDER.mark(page_id)
    return again


def _keep(page_id: int, changed_at: float) -> None:
    """The change waits for the page's next build."""
    with _changed_lock:
        _changed[page_id] = max(changed_at, _changed.get(page_id, changed_at))


def _build(page_id: int) -> float | None:
    """The builder thread's action. A build that fails keeps the page's last version up; the
    builder runs it again by itself (upstate.lib.coalesce), with the change still waiting."""
    with _changed_lock:
        changed_at = _changed.pop(page_id, None)
    try:
        again = rebuild_now(page_id, changed_at=changed_at, spacing=MIN_INTERVAL)
    except Exception:
        if changed_at is not None:
            _keep(page_id, changed_at)
        raise
    if again is not None and changed_at is not None:
        _keep(page_id, changed_at)  # another process built the page moments ago
    return again


def rebuild_now(
    page_id: int, *, changed_at: float | None = None, spacing: float = 0.0
) -> float | None:
    """Build the page now; with `changed_at`, only if no build has begun since then, and not
    within `spacing` seconds of the last one began (the seconds to wait are returned)."""
    from upstate.pages.models import StatusPage
    from upstate.public.snapshot import build_after_change, build_snapshot

    page = StatusPage.objects.filter(id=page_id).select_related("org").first()
    if page is None:
        return None
    if changed_at is None:
        build_snapshot(page)
        return None
    result = build_after_change(page, changed_at=changed_at, spacing=spacing)
    return result if isinstance(result, float) else None


BUILDER = register(Builder())
WATCH = register(Coalescer("snapshot-handoff-watch", _watch, GRACE))
