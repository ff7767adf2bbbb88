"""Rebuild a page's public snapshot once, after the transaction that changed it commits."""

from __future__ import annotations

import logging
import time

from django.db import transaction

log = logging.getLogger(__name__)

# page id -> monotonic time its last build started; a callback registered before that
# moment is already covered by the build, so a burst of changes in one transaction
# (or several quick ones) rebuilds once.
_last_build_started: dict[int, float] = {}


def request_rebuild(page_id: int) -> None:
    requested_at = time.monotonic()
    # robust: the change is committed whatever happens to the build; a failed build is
    # logged, the last snapshot stays up, and the periodic rebuild tries again.
    transaction.on_commit(lambda: _rebuild_if_stale(page_id, requested_at), robust=True)


def request_removal(page_code: str) -> None:
    from upstate.public.snapshot import remove_snapshot

    transaction.on_commit(lambda: remove_snapshot(page_code), robust=True)


def _rebuild_if_stale(page_id: int, requested_at: float) -> None:
    if _last_build_started.get(page_id, -1.0) > requested_at:
        return
    _last_build_started[page_id] = time.monotonic()
    rebuild_now(page_id)


def rebuild_now(page_id: int) -> None:
    from upstate.pages.models import StatusPage
    from upstate.public.snapshot import build_snapshot

    page = StatusPage.objects.filter(id=page_id).select_related("org").first()
    if page is not None:
        build_snapshot(page)
