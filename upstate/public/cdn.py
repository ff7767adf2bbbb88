"""Tell a CDN in front of Upstate which public addresses changed, for CDNs that purge.

With ``UPSTATE_CDN_PURGE_URL`` set, every build POSTs ``{"page": <page id>, "urls": [...]}``
there (the changed documents under ``/p/<slug>/`` and on the page's custom domain), with
``UPSTATE_CDN_PURGE_AUTHORIZATION`` as the Authorization header when set. It runs in the
process that built the page, after the new version is stored; a failed purge is logged and
the CDN catches up by itself after ``s-maxage`` (see ``store.cache_control``).
"""

from __future__ import annotations

import logging

from django.conf import settings

from upstate.lib.outbound import Outbound, OutboundError
from upstate.public.snapshot import Snapshot

log = logging.getLogger(__name__)


def changed_urls(previous: Snapshot | None, snapshot: Snapshot) -> list[str]:
    """Absolute URLs of the documents that differ between two builds of a page (all of them
    when the page moved to another slug or domain)."""
    before = previous.documents if previous is not None else {}
    moved = previous is None or (previous.slug, previous.custom_domain) != (
        snapshot.slug,
        snapshot.custom_domain,
    )
    paths = {
        path
        for path, doc in snapshot.documents.items()
        if moved or path not in before or before[path].etag != doc.etag
    }
    paths |= set(before) - set(snapshot.documents)
    urls = [f"{base}{path}" for base in _bases(snapshot) for path in sorted(paths)]
    if moved and previous is not None:  # the old addresses stop answering
        urls += [f"{base}{path}" for base in _bases(previous) for path in sorted(before)]
    return urls


def _bases(snapshot: Snapshot) -> list[str]:
    bases = [f"{settings.PUBLIC_URL}/p/{snapshot.slug}/"]
    if snapshot.custom_domain:
        bases.append(f"https://{snapshot.custom_domain}/")
    return bases


def purge(previous: Snapshot | None, snapshot: Snapshot) -> None:
    if not settings.CDN_PURGE_URL or snapshot.private:
        return
    urls = changed_urls(previous, snapshot)
    if not urls:
        return
    headers = {"Content-Type": "application/json"}
    if settings.CDN_PURGE_AUTHORIZATION:
        headers["Authorization"] = settings.CDN_PURGE_AUTHORIZATION
    # The operator chose this URL: it may well be on their own network.
    try:
        with Outbound(allow_private=True) as client:
            answer = client.post(
                settings.CDN_PURGE_URL,
                json={"page": snapshot.page_code, "urls": urls},
                headers=headers,
            )
    except OutboundError as error:
        log.warning("CDN purge of page %s failed: %s", snapshot.page_code, error)
        return
    if not answer.ok:
        log.warning(
            "CDN purge of page %s answered %s: %s", snapshot.page_code, answer.status, answer.text
        )
