"""A page's public snapshot: every public document of the page, rendered once per change.

Layout under ``settings.SNAPSHOT_DIR``::

    pages/<page code>.snap     the page's documents and metadata (one pickle, replaced atomically)
    pages/<page code>.lock     serialises builds of one page across processes
    by-slug/<slug>             symlink to the page file, only while the page is public
    by-host/<custom domain>    the same, for pages with a custom domain

The fast path (``fastpath.py``) resolves a request to a link, serves the bytes of the file it
points to from memory, and looks at the file again only now and then (see there); nothing
public renders a template or queries the database per request.
"""

from __future__ import annotations

import fcntl
import gc
import gzip
import hashlib
import os
import pickle
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import formatdate
from functools import cache
from pathlib import Path

from django.conf import settings

from upstate.pages.models import StatusPage

# Bump when the pickled layout changes: a server then ignores older files until rebuilt.
FORMAT = 3
GZIP_MIN_BYTES = 512

CONTENT_TYPES = {
    ".json": "application/json",
    ".rss": "application/rss+xml; charset=utf-8",
    ".atom": "application/atom+xml; charset=utf-8",
    ".ics": "text/calendar; charset=utf-8",
    ".svg": "image/svg+xml",
    ".js": "text/javascript; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
}
HTML = "text/html; charset=utf-8"
# Public HTML may not be framed by other sites (clickjacking); the embed view exists to be.
FRAMABLE = frozenset({"embed"})
NO_FRAMING = (("X-Frame-Options", "DENY"), ("Content-Security-Policy", "frame-ancestors 'none'"))

# How many snapshots this process has written or removed. The fast path looks at a page's
# file again as soon as this moves, and otherwise only every few tenths of a second.
changes = 0


@dataclass(frozen=True)
class Document:
    content_type: str
    body: bytes
    gzipped: bytes | None
    etag: str
    headers: tuple[tuple[str, str], ...] = ()  # sent with the document, besides the usual ones


@dataclass(frozen=True)
class Keyed:
    """A document whose bytes follow from its key and the code alone: a build keeps the bytes
    of the previous build when the keys agree instead of rendering them again (a page with a
    long history has hundreds of incident pages, and one change touches few of them)."""

    key: str
    render: Callable[[], bytes]


Body = bytes | Keyed


@dataclass
class Snapshot:
    page_code: str
    org_id: int
    slug: str
    custom_domain: str
    private: bool
    built_at: float
    documents: dict[str, Document] = field(default_factory=dict)
    format: int = FORMAT
    # Last-Modified has whole seconds: when this build shares its second with the previous
    # one, an If-Modified-Since naming that second may come from a client holding either,
    # so only the ETag can tell (a browser polling the widget sent only the date).
    dates_tell: bool = True
    keys: dict[str, str] = field(default_factory=dict)  # path -> key, for Keyed documents

    @property
    def last_modified(self) -> str:
        return formatdate(self.built_at, usegmt=True)


def content_type_for(path: str) -> str:
    # A variant (``badge.svg?style=flat``) has the type of the document it varies.
    return CONTENT_TYPES.get(os.path.splitext(path.partition("?")[0])[1], HTML)


def headers_for(path: str, content_type: str) -> tuple[tuple[str, str], ...]:
    if content_type == HTML and path.partition("?")[0] not in FRAMABLE:
        return NO_FRAMING
    return ()


def make_document(path: str, body: bytes, previous: Document | None = None) -> Document:
    # Most documents of a page do not change between builds: keep their gzip and ETag.
    if previous is not None and previous.body == body:
        return previous
    digest = hashlib.blake2b(body, digest_size=12).hexdigest()
    gzipped = gzip.compress(body, compresslevel=6, mtime=0) if len(body) >= GZIP_MIN_BYTES else None
    content_type = content_type_for(path)
    return Document(content_type, body, gzipped, f'"{digest}"', headers_for(path, content_type))


def _root() -> Path:
    return Path(settings.SNAPSHOT_DIR)


def page_file(page_code: str) -> Path:
    return _root() / "pages" / f"{page_code}.snap"


SLUG_LINKS, HOST_LINKS = "by-slug", "by-host"


def slug_link(slug: str) -> Path:
    return _root() / SLUG_LINKS / slug


def host_link(host: str) -> Path:
    return _root() / HOST_LINKS / host.lower()


def render_documents(page: StatusPage) -> dict[str, Body]:
    from upstate.public import embeds, feeds, pages, statuspage
    from upstate.subscribers import documents as subscribe_form

    documents: dict[str, Body] = {}
    for builder in (pages, statuspage, feeds, embeds, subscribe_form):
        documents.update(builder.documents(page))
    return documents


def rendered(documents: dict[str, Body]) -> dict[str, bytes]:
    """Every body as bytes, rendering what is keyed."""
    return {path: b.render() if isinstance(b, Keyed) else b for path, b in documents.items()}


@cache
def code_version() -> str:
    """Which code renders the documents: keys made with other code never match. Every file of
    the package counts (templates, CSS, view code), by size and modification time."""
    package = Path(__file__).resolve().parent.parent
    digest = hashlib.blake2b(digest_size=12)
    for path in sorted(package.rglob("*")):
        if path.suffix in (".py", ".html", ".css", ".js", ".txt", ".svg"):
            stat = path.stat()
            digest.update(
                f"{path.relative_to(package)}:{stat.st_size}:{stat.st_mtime_ns};".encode()
            )
    return digest.hexdigest()


def _documents(
    page: StatusPage, previous: Snapshot | None
) -> tuple[dict[str, Document], dict[str, str]]:
    before = previous.documents if previous is not None else {}
    kept = previous.keys if previous is not None else {}
    documents: dict[str, Document] = {}
    keys: dict[str, str] = {}
    for path, body in render_documents(page).items():
        if isinstance(body, Keyed):
            keys[path] = key = f"{code_version()}:{body.key}"
            if kept.get(path) == key and path in before:
                documents[path] = before[path]
                continue
            body = body.render()
        documents[path] = make_document(path, body, before.get(path))
    return documents, keys


@contextmanager
def _page_lock(page_code: str) -> Iterator[None]:
    path = _root() / "pages" / f"{page_code}.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


@contextmanager
def _collector_paused() -> Iterator[None]:
    """A build makes a few objects per stored row, and the cyclic collector ran again and again
    over all of them while they lived: 40 % of a build with 1,000 resolved incidents
    (bench/snapshot_build.py). What the build leaves in cycles is collected after it."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def build_snapshot(page: StatusPage) -> Snapshot:
    """Render every public document of ``page`` and publish them atomically.

    Builds of one page are serialised, and the page is re-read under the lock, so the last
    build to finish always reflects the last committed change."""
    with _page_lock(page.code), _collector_paused():
        page = StatusPage.objects.select_related("org").get(pk=page.pk)
        previous = load_snapshot(page_file(page.code))
        built_at = time.time()
        documents, keys = _documents(page, previous)
        snapshot = Snapshot(
            page_code=page.code,
            org_id=page.org_id,
            slug=page.slug,
            custom_domain=(page.custom_domain or "").lower(),
            private=page.private,
            built_at=built_at,
            documents=documents,
            dates_tell=previous is None or int(previous.built_at) != int(built_at),
            keys=keys,
        )
        write_snapshot(snapshot, previous)
    return snapshot


def write_snapshot(snapshot: Snapshot, previous: Snapshot | None = None) -> None:
    """Replace the page's snapshot file and point its slug and domain at it (or, for a private
    page, at nothing: the fast path then leaves it to Django's members-only view)."""
    if previous is None:
        previous = load_snapshot(page_file(snapshot.page_code))
    _write_atomically(
        page_file(snapshot.page_code), pickle.dumps(snapshot, pickle.HIGHEST_PROTOCOL)
    )
    _publish_links(snapshot, previous)
    _changed()


def remove_snapshot(page_code: str) -> None:
    previous = load_snapshot(page_file(page_code))
    if previous is not None:
        _unlink_if_ours(slug_link(previous.slug), page_code)
        if previous.custom_domain:
            _unlink_if_ours(host_link(previous.custom_domain), page_code)
    page_file(page_code).unlink(missing_ok=True)
    (_root() / "pages" / f"{page_code}.lock").unlink(missing_ok=True)
    _changed()


def _changed() -> None:
    # Not atomic, but two racing writers still move the count past what either saw before.
    global changes
    changes += 1


def rebuild_all() -> int:
    """Rebuild every page (at startup, and periodically so that day-based uptime bars and
    "upcoming" lists move with the clock); returns how many pages were built."""
    count = 0
    for page in StatusPage.objects.select_related("org").order_by("id"):
        build_snapshot(page)
        count += 1
    return count


def load_snapshot(path: Path) -> Snapshot | None:
    try:
        with open(path, "rb") as handle:
            snapshot = pickle.load(handle)
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError):
        return None
    if not isinstance(snapshot, Snapshot) or snapshot.format != FORMAT:
        return None
    return snapshot


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def _publish_links(snapshot: Snapshot, previous: Snapshot | None) -> None:
    target = page_file(snapshot.page_code)
    wanted = set()
    if not snapshot.private:
        wanted.add(slug_link(snapshot.slug))
        if snapshot.custom_domain:
            wanted.add(host_link(snapshot.custom_domain))
    if previous is not None:
        stale = {slug_link(previous.slug)}
        if previous.custom_domain:
            stale.add(host_link(previous.custom_domain))
        for link in stale - wanted:
            _unlink_if_ours(link, snapshot.page_code)
    for link in wanted:
        _symlink_atomically(link, target)


def _symlink_atomically(link: Path, target: Path) -> None:
    link.parent.mkdir(parents=True, exist_ok=True)
    relative = os.path.relpath(target, link.parent)
    if link.is_symlink() and os.readlink(link) == relative:
        return
    temporary = link.parent / f".tmp-{link.name}-{os.getpid()}"
    temporary.unlink(missing_ok=True)
    os.symlink(relative, temporary)
    os.replace(temporary, link)


def _unlink_if_ours(link: Path, page_code: str) -> None:
    # Another page may have taken the slug or domain since; leave its link alone.
    if link.is_symlink() and Path(os.readlink(link)).name == f"{page_code}.snap":
        link.unlink(missing_ok=True)
