"""Rebuild a page's public snapshot after the transaction that changed it commits, off the
request path.

Web and worker processes run a builder thread (``start_builder``): a committed change only
marks its page, and the thread builds each marked page once however many changes a burst
brought (a change arriving during a build marks the page again, so the last change is always
in a build that started after it). Elsewhere (the command line, tests) the build runs as soon
as the transaction commits, in the same thread.
"""

from __future__ import annotations

import logging
import threading
import time

from django.db import close_old_connections, connections, transaction

log = logging.getLogger(__name__)

MIN_INTERVAL = 0.5  # seconds between two builds of one page


class Builder:
    def __init__(self) -> None:
        self._wanted: dict[int, None] = {}  # page ids in the order they were marked
        self._condition = threading.Condition()
        self._busy = False
        # page id -> when it may be built again: during a storm of writes a page is built
        # at most every MIN_INTERVAL, and its first change after a quiet spell at once.
        self._next: dict[int, float] = {}
        self.builds = 0

    def mark(self, page_id: int) -> None:
        with self._condition:
            self._wanted[page_id] = None
            self._condition.notify()

    def run(self) -> None:
        while True:
            with self._condition:
                while True:
                    now = time.monotonic()
                    ready = [p for p in self._wanted if self._next.get(p, 0.0) <= now]
                    if ready:
                        break
                    self._busy = False
                    self._condition.notify_all()
                    waits = [self._next[p] - now for p in self._wanted]
                    self._condition.wait(min(waits) if waits else None)
                self._busy = True
                for page_id in ready:
                    del self._wanted[page_id]
            close_old_connections()
            for page_id in ready:
                self._next[page_id] = time.monotonic() + MIN_INTERVAL
                _build_logged(page_id)
                self.builds += 1

    def wait_idle(self, timeout: float | None = None) -> bool:
        """True once nothing is marked or building (tests and benchmarks)."""
        with self._condition:
            return self._condition.wait_for(
                lambda: not self._wanted and not self._busy, timeout=timeout
            )


_builder: Builder | None = None
_started = threading.Lock()


def start_builder() -> Builder:
    """Build in a thread of this process from now on (once per process)."""
    global _builder
    with _started:
        if _builder is None:
            builder = Builder()
            threading.Thread(
                target=_run, args=(builder,), name="snapshot-builder", daemon=True
            ).start()
            _builder = builder
    return _builder


def _run(builder: Builder) -> None:
    try:
        builder.run()
    finally:
        connections.close_all()


def request_rebuild(page_id: int) -> None:
    # robust: the change is committed whatever happens to the build; a failed build is
    # logged, the last version stays up, and the next change or the periodic rebuild tries
    # again.
    requested_at = time.monotonic()
    transaction.on_commit(lambda: _rebuild_after_commit(page_id, requested_at), robust=True)


def request_removal(page_code: str) -> None:
    from upstate.public.snapshot import remove_snapshot

    transaction.on_commit(lambda: remove_snapshot(page_code), robust=True)


# page id -> monotonic time its last inline build started: a callback registered before that
# moment is already covered by the build, so several changes in one transaction build once.
_last_inline_build: dict[int, float] = {}


def _rebuild_after_commit(page_id: int, requested_at: float) -> None:
    if _builder is not None:
        _builder.mark(page_id)
        return
    if _last_inline_build.get(page_id, -1.0) > requested_at:
        return
    _last_inline_build[page_id] = time.monotonic()
    rebuild_now(page_id)


def _build_logged(page_id: int) -> None:
    try:
        rebuild_now(page_id)
    except Exception:
        from upstate.pages.models import StatusPage

        # The page keeps its last version; the next change or the periodic rebuild retries.
        code = StatusPage.objects.filter(id=page_id).values_list("code", flat=True).first()
        log.exception("the public documents of page %s could not be built", code or page_id)


def rebuild_now(page_id: int) -> None:
    from upstate.pages.models import StatusPage
    from upstate.public.snapshot import build_snapshot

    page = StatusPage.objects.filter(id=page_id).select_related("org").first()
    if page is not None:
        build_snapshot(page)
