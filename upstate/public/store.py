"""What this process serves: the newest version of every page's public documents, in memory,
with each response's bytes and headers prepared once per version.

Web processes follow the database (``start_following``): on PostgreSQL a dedicated connection
LISTENs for the versions builds announce and fetches each new one; on SQLite (one host) a
query every tenth of a second asks which page has which version. Either way a full check
runs every few seconds, so a missed announcement costs seconds, not minutes. Versions only
move forward: an older build never replaces a newer one.

Every process also keeps a copy of what it serves (or built) on its host's disk. A process
that starts while the database is unreachable serves those copies, says so in its log, and
replaces them with newer versions when the database answers again.
"""

from __future__ import annotations

import logging
import os
import struct
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection, connections

from upstate.public.models import PublicSnapshot
from upstate.public.snapshot import (
    CHANNEL,
    Document,
    Snapshot,
    decode,
    digest_of,
    encode,
    latest_snapshot,
)

log = logging.getLogger(__name__)

POLL_SECONDS = 0.1  # SQLite: how often a web process asks for new versions
FULL_SYNC_SECONDS = 5.0  # PostgreSQL: a full check besides the announcements
RETRY_SECONDS = (0.2, 0.5, 1.0, 2.0, 5.0)


def cache_control() -> str:
    """Browsers revalidate every time; a CDN may keep a document a few seconds, serve it
    while it fetches a newer one, and keep serving it while Upstate is unreachable."""
    parts = ["public", "max-age=0"]
    if settings.CACHE_S_MAXAGE:
        parts.append(f"s-maxage={settings.CACHE_S_MAXAGE}")
    if settings.CACHE_STALE_WHILE_REVALIDATE:
        parts.append(f"stale-while-revalidate={settings.CACHE_STALE_WHILE_REVALIDATE}")
    if settings.CACHE_STALE_IF_ERROR:
        parts.append(f"stale-if-error={settings.CACHE_STALE_IF_ERROR}")
    return ", ".join(parts)


@dataclass(frozen=True)
class Variant:
    status_headers: list[tuple[str, str]]
    not_modified_headers: list[tuple[str, str]]
    body: bytes
    etag: str


Pair = tuple[Variant, Variant | None]  # plain, gzipped


@dataclass(frozen=True)
class Served:
    snapshot: Snapshot
    variants: dict[str, Pair]
    # document -> the query parameters its variants are named by (``badge.svg`` -> {"style"})
    variant_params: dict[str, frozenset[str]]
    # The build's time, for If-Modified-Since; None when only the ETag tells versions apart.
    dated: float | None

    @property
    def version(self) -> int:
        return self.snapshot.version


def variant(
    doc: Document, body: bytes, etag: str, last_modified: str, gz: bool, cache: str, vary: bool
) -> Variant:
    """A response's headers, as few as do the job: each one costs the server about as much
    as a dictionary lookup in Python (10 headers against 3: 50,000 against 62,000 requests a
    second for the same body). The server adds Content-Length (``fastpath`` does for WSGI)."""
    common = [
        ("ETag", etag),
        ("Last-Modified", last_modified),
        ("Cache-Control", cache),
        ("Access-Control-Allow-Origin", "*"),
    ]
    if vary:  # only documents that come gzipped too
        common.append(("Vary", "Accept-Encoding"))
    headers = [("Content-Type", doc.content_type), ("X-Content-Type-Options", "nosniff")]
    if doc.content_type.startswith("text/html"):
        headers.append(("Referrer-Policy", "strict-origin-when-cross-origin"))
    headers += [*doc.headers, *common]
    if gz:
        headers.append(("Content-Encoding", "gzip"))
    return Variant(headers, common, body, etag)


def pair(doc: Document, last_modified: str, cache: str) -> Pair:
    vary = doc.gzipped is not None
    plain = variant(doc, doc.body, doc.etag, last_modified, False, cache, vary)
    gzipped = None
    if doc.gzipped is not None:
        gz_etag = doc.etag[:-1] + '-gz"'
        gzipped = variant(doc, doc.gzipped, gz_etag, last_modified, True, cache, vary)
    return plain, gzipped


def query_params(query: str) -> frozenset[str]:
    return frozenset(part.partition("=")[0] for part in query.split("&") if part)


def prepare(snapshot: Snapshot) -> Served:
    last_modified = snapshot.last_modified
    cache = cache_control()
    variants = {}
    params: dict[str, frozenset[str]] = {}
    for path, doc in snapshot.documents.items():
        variants[path] = pair(doc, last_modified, cache)
        key, _, query = path.partition("?")
        if query:
            params[key] = params.get(key, frozenset()) | query_params(query)
    dated = snapshot.built_at if snapshot.dates_tell else None
    return Served(snapshot, variants, params, dated)


# --- The process's copy -----------------------------------------------------------------------

_lock = threading.Lock()
_by_code: dict[str, Served] = {}
# Public pages only: private ones are left to Django, which checks who asks.
_by_slug: dict[str, Served] = {}
_by_host: dict[str, Served] = {}
# "/p/<slug>/<document>" -> (what serves it, the document's responses): the address of most
# public requests, answered with one lookup.
_by_path: dict[str, tuple[Served, Pair]] = {}


@dataclass
class _Sync:
    source: str = "none"  # "database", or "disk" while the database has not answered yet
    last_ok: float | None = None  # monotonic time of the last full agreement with the database
    following: bool = False
    failures: int = 0  # database failures in a row, for the back-off and the log


_sync = _Sync()


def by_slug(slug: str) -> Served | None:
    return _by_slug.get(slug)


def by_host(host: str) -> Served | None:
    return _by_host.get(host)


def by_path(path: str) -> tuple[Served, Pair] | None:
    return _by_path.get(path)


def served_builds() -> dict[str, float]:
    """page code -> the Unix time of the build this process serves (for /metrics)."""
    return {code: served.snapshot.built_at for code, served in list(_by_code.items())}


def snapshot_of(page_code: str) -> Snapshot | None:
    served = _by_code.get(page_code)
    return None if served is None else served.snapshot


def install(snapshot: Snapshot) -> bool:
    """Serve ``snapshot`` unless this process already serves a newer version of its page."""
    with _lock:
        held = _by_code.get(snapshot.page_code)
        if held is not None and held.version >= snapshot.version:
            return False
        served = prepare(snapshot)
        if held is not None:
            _unlink(held)
        _by_code[snapshot.page_code] = served
        if not snapshot.private:
            taken = _by_slug.get(snapshot.slug)
            if taken is not None:  # another page had the slug: none of its addresses stay
                _unlink_paths(taken, snapshot.slug)
            _by_slug[snapshot.slug] = served
            base = f"/p/{snapshot.slug}/"
            for name, responses in served.variants.items():
                if "?" not in name:
                    _by_path[base + name] = (served, responses)
            if snapshot.custom_domain:
                _by_host[snapshot.custom_domain] = served
    _keep_copy(snapshot.page_code)
    return True


def forget(page_code: str) -> None:
    with _lock:
        held = _by_code.pop(page_code, None)
        if held is not None:
            _unlink(held)
    _copy_path(page_code).unlink(missing_ok=True)


def _unlink(held: Served) -> None:
    # Another page may have taken the slug or domain since; leave its entry alone.
    old = held.snapshot
    if _by_slug.get(old.slug) is held:
        del _by_slug[old.slug]
        _unlink_paths(held, old.slug)
    if old.custom_domain and _by_host.get(old.custom_domain) is held:
        del _by_host[old.custom_domain]


def _unlink_paths(held: Served, slug: str) -> None:
    base = f"/p/{slug}/"
    for name in held.variants:
        entry = _by_path.get(base + name)
        if entry is not None and entry[0] is held:
            del _by_path[base + name]


def clear() -> None:
    """Forget everything (tests, and a process that starts over)."""
    with _lock:
        _by_code.clear()
        _by_slug.clear()
        _by_host.clear()
        _by_path.clear()
    with _copy_lock:
        _copied.clear()
        _pending.clear()


def status() -> dict[str, object]:
    """For /healthz: which version this process serves and how sure it is that it is the
    newest. ``current`` is false when the database has not confirmed it lately."""
    newest = max((s.snapshot for s in _by_code.values()), key=lambda s: s.version, default=None)
    since_ok = None if _sync.last_ok is None else time.monotonic() - _sync.last_ok
    current = not _sync.following or (
        since_ok is not None and since_ok <= settings.PUBLIC_STALE_SECONDS
    )
    return {
        "current": current,
        "source": _sync.source,
        "pages": len(_by_code),
        "newest_version": None if newest is None else newest.version,
        "newest_age_seconds": None if newest is None else round(time.time() - newest.built_at, 3),
        "last_sync_seconds": None if since_ok is None else round(since_ok, 3),
    }


# --- Copies on this host's disk ---------------------------------------------------------------


# A copy holds every document of the page (28 MB with 1,000 resolved incidents): during a
# storm of changes it is written at most every COPY_SECONDS per page, the newest version
# once the storm is over, rather than with every version.
COPY_SECONDS = 10.0
_copy_lock = threading.Lock()
_copied: dict[str, float] = {}  # page code -> monotonic time its copy was last written
_pending: set[str] = set()  # pages served in a newer version than their copy


def _keep_copy(page_code: str) -> None:
    with _copy_lock:
        last = _copied.get(page_code)
        if last is not None and time.monotonic() - last < COPY_SECONDS:
            _pending.add(page_code)
            return
        _copied[page_code] = time.monotonic()
        _pending.discard(page_code)
    served = _by_code.get(page_code)
    if served is not None:
        _write_copy(served.snapshot)


def flush_copies() -> None:
    """Write the copies that waited their turn (the follower calls this as it goes)."""
    now = time.monotonic()
    with _copy_lock:
        due = [code for code in _pending if now - _copied.get(code, 0.0) >= COPY_SECONDS]
    for code in due:
        _keep_copy(code)


def _copy_path(page_code: str) -> Path:
    return Path(settings.SNAPSHOT_DIR) / "pages" / f"{page_code}.snap"


def _write_copy(snapshot: Snapshot) -> None:
    path = _copy_path(snapshot.page_code)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if _copy_version(path) >= snapshot.version:
            return  # another process of this host wrote a newer one
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(struct.pack(">Q", snapshot.version))
            handle.write(encode(snapshot))
        os.replace(temporary, path)
    except OSError:
        log.warning("could not keep a disk copy of page %s", snapshot.page_code, exc_info=True)


def _copy_version(path: Path) -> int:
    try:
        with open(path, "rb") as handle:
            return struct.unpack(">Q", handle.read(8))[0]
    except (OSError, struct.error):
        return 0


def load_disk_copies() -> int:
    """Serve what this host last had, until the database says what is newer."""
    folder = Path(settings.SNAPSHOT_DIR) / "pages"
    count = 0
    for path in sorted(folder.glob("*.snap")) if folder.is_dir() else []:
        try:
            data = path.read_bytes()
        except OSError:
            continue
        snapshot = decode(data[8:], version=_copy_version(path)) if len(data) > 8 else None
        if snapshot is not None and install(snapshot):
            count += 1
    if count:
        _sync.source = "disk"
    return count


# --- Following the database -------------------------------------------------------------------


def sync() -> int:
    """Agree with the database: fetch every page version newer than what is served, drop
    pages whose snapshot is gone. Returns how many pages changed."""
    versions = dict(PublicSnapshot.objects.values_list("page_code", "id").order_by())
    changed = 0
    for code, version in versions.items():
        held = _by_code.get(code)
        if held is None or held.version < version:
            changed += _fetch(code)
    for code in set(_by_code) - set(versions):
        forget(code)
        changed += 1
    _sync.source = "database"
    _sync.last_ok = time.monotonic()
    _sync.failures = 0
    return changed


def _fetch(page_code: str) -> int:
    # The bytes of every document this process serves, by digest: a new version is mostly
    # documents it already has.
    held = {
        digest_of(doc): doc for served in list(_by_code.values())
        for doc in served.snapshot.documents.values()
    }  # fmt: skip
    snapshot = latest_snapshot(page_code, held)
    return 0 if snapshot is None else int(install(snapshot))


def start_following() -> None:
    """In a web process: serve the disk copies, then follow the database in a thread."""
    _sync.following = True
    loaded = load_disk_copies()
    try:
        sync()
    except Exception as error:  # noqa: BLE001 - any database failure: serve what we have
        log.warning(
            "the database is unreachable (%s); serving the public pages this host last had "
            "(%d) until it answers",
            error.__class__.__name__,
            loaded,
        )
    finally:
        connections.close_all()
    threading.Thread(target=_follow, name="snapshot-follower", daemon=True).start()


def _follow() -> None:
    while True:
        try:
            if connection.vendor == "postgresql":
                _listen()
            else:
                _poll()
        except Exception as error:  # noqa: BLE001 - keep serving, try again
            if _sync.failures == 0:  # once per outage: a sync in between resets the count
                log.warning(
                    "lost the database while following public page versions (%s); serving "
                    "the last ones until it is back",
                    error,
                )
            delay = RETRY_SECONDS[min(_sync.failures, len(RETRY_SECONDS) - 1)]
            _sync.failures += 1
            time.sleep(delay)
        finally:
            connections.close_all()


def _poll() -> None:
    # One connection for as long as it works: opening one ten times a second cost more than
    # the query.
    while True:
        sync()
        flush_copies()
        time.sleep(POLL_SECONDS)


def _listen() -> None:
    import psycopg

    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    params.setdefault("connect_timeout", 5)
    # Keepalives: a host cut off from the database notices within seconds, not hours.
    params.update(keepalives=1, keepalives_idle=5, keepalives_interval=2, keepalives_count=2)
    with psycopg.connect(**params, autocommit=True) as listener:
        listener.execute(f"LISTEN {CHANNEL}")
        recovered = _sync.failures > 0
        sync()
        if recovered:
            log.info("following public page versions (database notifications)")
        next_full = time.monotonic() + FULL_SYNC_SECONDS
        # An idle listener still says it is alive well within PUBLIC_STALE_SECONDS.
        beat = settings.PUBLIC_STALE_SECONDS / 3
        while True:
            wanted: set[str] = set()
            timeout = max(0.0, min(next_full - time.monotonic(), beat))
            for notice in listener.notifies(timeout=timeout, stop_after=1):
                wanted.add(notice.payload)
            # A burst of announcements arrives together: take what is queued, fetch once.
            for notice in listener.notifies(timeout=0.0):
                wanted.add(notice.payload)
            flush_copies()
            if time.monotonic() >= next_full:
                sync()
                next_full = time.monotonic() + FULL_SYNC_SECONDS
                continue
            _apply(wanted)


def _apply(announcements: set[str]) -> None:
    newest: dict[str, int] = {}
    for payload in announcements:
        code, _, version = payload.rpartition(":")
        newest[code] = max(newest.get(code, -1), int(version) if version.isdigit() else -1)
    for code, version in newest.items():
        held = _by_code.get(code)
        if version < 0:
            forget(code)
        elif held is None or held.version < version:
            _fetch(code)
    _sync.last_ok = time.monotonic()
