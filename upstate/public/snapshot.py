"""A page's public snapshot: every public document of the page, rendered once per change and
stored in the database (``PublicSnapshot``), where every web process on every host reads it.

A build runs off the request path (``publish``), one at a time per page across all hosts, and
stores a new version; the web processes hold the newest version of every page in memory
(``store``) and serve it from there (``fastpath``) without a query per request.
"""

from __future__ import annotations

import contextlib
import fcntl
import gc
import gzip
import hashlib
import json
import logging
import os
import struct
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import formatdate
from functools import cache
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction

from upstate.lib import text
from upstate.pages.models import StatusPage
from upstate.public.models import PublicDocument, PublicSnapshot

log = logging.getLogger(__name__)

# Bump when the encoded layout changes: a server then ignores older copies until rebuilt.
# 5: `custom_domain` names only a verified domain (older copies may name a mere claim).
FORMAT = 5
MAGIC = b"UPSTATE-SNAPSHOT\n"
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
    # The database's clock when the build began to read the page (`change_clock`): every
    # change committed before it is in this version.
    read_from: float = 0.0
    version: int = 0  # the PublicSnapshot id it was stored as; 0 before it is stored

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
    # Text stored before the accepted-text rule may hold control characters: no document
    # carries them (XML forbids them; a JSON document has them escaped, never raw).
    body = text.xml_safe_bytes(body)
    # Most documents of a page do not change between builds: keep their gzip and ETag.
    if previous is not None and previous.body == body:
        return previous
    digest = hashlib.blake2b(body, digest_size=12).hexdigest()
    gzipped = gzip.compress(body, compresslevel=6, mtime=0) if len(body) >= GZIP_MIN_BYTES else None
    content_type = content_type_for(path)
    return Document(content_type, body, gzipped, f'"{digest}"', headers_for(path, content_type))


def render_documents(page: StatusPage) -> dict[str, Body]:
    from upstate.public import embeds, feeds, pages, state, statuspage
    from upstate.subscribers import documents as subscribe_form

    # The HTML, the JSON, the feeds and the embeds show the same incidents, components and
    # statuses: read them once (reading the incidents for each was a third of a build during
    # a storm of updates, bench/write_storm.py).
    site = pages.load(page)
    shared = state.load(
        page,
        incident_rows=[view.incident for view in site.incidents],
        loaded=(site.groups, list(site.components.values()), site.statuses),
    )
    documents: dict[str, Body] = {}
    documents.update(pages.documents(page, site))
    for builder in (statuspage, feeds, embeds):
        documents.update(builder.documents(page, shared))
    documents.update(subscribe_form.documents(page))
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


CHUNK = 500  # digests per IN (...) query
CHANNEL = "upstate_snapshots"  # PostgreSQL NOTIFY channel: "<page code>:<version>"
_LOCK_CLASS = 0x5570  # pg_advisory_lock's first key: ours among other users of the database
DOCUMENTS_LOCK = ".documents"  # not a page code: those have no dot


@contextmanager
def _lock(name: str, *, shared: bool = False) -> Iterator[None]:
    """A lock every process of every host agrees on: a PostgreSQL advisory lock, or on SQLite
    (one host) a file lock in the data directory."""
    if connection.vendor != "postgresql":
        with _file_lock(name, fcntl.LOCK_SH if shared else fcntl.LOCK_EX):
            yield
        return
    key = int.from_bytes(hashlib.blake2b(name.encode(), digest_size=4).digest(), "big")
    key -= 1 << 31  # int4
    kind = "_shared" if shared else ""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT pg_advisory_lock{kind}(%s, %s)", [_LOCK_CLASS, key])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT pg_advisory_unlock{kind}(%s, %s)", [_LOCK_CLASS, key])


def _page_lock(page_code: str) -> contextlib.AbstractContextManager[None]:
    """One build of a page at a time, on every host: a later build then always reads at
    least what an earlier one read, so a higher version is never older content."""
    return _lock(page_code)


def _documents_in_use() -> contextlib.AbstractContextManager[None]:
    """Builds share this lock, `collect_documents` takes it alone: a document it finds unused
    cannot be taken up by a build meanwhile."""
    return _lock(DOCUMENTS_LOCK, shared=True)


@contextmanager
def _file_lock(name: str, mode: int) -> Iterator[None]:
    path = Path(settings.SNAPSHOT_DIR) / "locks" / f"{name}.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as lock:
        fcntl.flock(lock, mode)
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


def change_clock() -> float:
    """The database's clock, in seconds: on PostgreSQL every host and build reads the same one
    (host clocks may disagree); SQLite serves one host, whose clock it is."""
    if connection.vendor != "postgresql":
        return time.time()
    with connection.cursor() as cursor:
        cursor.execute("SELECT extract(epoch FROM clock_timestamp())")
        return float(cursor.fetchone()[0])


def build_snapshot(page: StatusPage) -> Snapshot:
    """Render every public document of ``page``, store them as the page's next version and
    serve them from this process at once (other processes follow, see ``store``)."""
    with _building(page):
        previous, snapshot = _build(page, change_clock())
    _serve(previous, snapshot)
    return snapshot


def build_after_change(
    page: StatusPage, *, changed_at: float, spacing: float = 0.0
) -> Snapshot | float | None:
    """`build_snapshot` for a change committed at ``changed_at`` (`change_clock`), unless a
    build another process began after that moment already holds it (None is returned).

    With ``spacing``, all processes together build the page at most once per ``spacing``
    seconds: when the newest build began less than that ago, nothing is built and the seconds
    to wait before asking again are returned. During a storm of writes through several web
    processes, each otherwise built the page every ``spacing`` seconds (bench/write_storm.py)."""
    with _building(page):
        read_from = change_clock()
        latest = latest_read_from(page.code)
        if latest > changed_at:
            return None
        if read_from - latest < spacing:
            return latest + spacing - read_from
        previous, snapshot = _build(page, read_from)
    _serve(previous, snapshot)
    return snapshot


@contextmanager
def _building(page: StatusPage) -> Iterator[None]:
    with _documents_in_use(), _page_lock(page.code), _collector_paused():
        yield


def _build(page: StatusPage, read_from: float) -> tuple[Snapshot | None, Snapshot]:
    """Build and store the page's next version (under its lock); ``read_from`` is when the
    build began to read. The version it follows is returned with it."""
    from upstate.public import store

    page = StatusPage.objects.select_related("org").get(pk=page.pk)
    previous = store.snapshot_of(page.code) or latest_snapshot(page.code)
    built_at = time.time()
    documents, keys = _documents(page, previous)
    snapshot = Snapshot(
        page_code=page.code,
        org_id=page.org_id,
        slug=page.slug,
        custom_domain=page.verified_domain or "",  # only a proven domain is served
        private=page.private,
        built_at=built_at,
        documents=documents,
        dates_tell=previous is None or int(previous.built_at) != int(built_at),
        keys=keys,
        read_from=read_from,
    )
    save_snapshot(snapshot)
    return previous, snapshot


def _serve(previous: Snapshot | None, snapshot: Snapshot) -> None:
    from upstate.public import cdn, store

    store.install(snapshot)
    cdn.purge(previous, snapshot)


def latest_read_from(page_code: str) -> float:
    """When the page's newest build began to read (`change_clock`); 0 when it has none."""
    data = (
        PublicSnapshot.objects.filter(page_code=page_code)
        .order_by("-id")
        .values_list("data", flat=True)
        .first()
    )
    try:
        return float(json.loads(bytes(data)).get("read_from", 0.0)) if data is not None else 0.0
    except (ValueError, TypeError, AttributeError):
        return 0.0


def save_snapshot(snapshot: Snapshot) -> None:
    """Store ``snapshot`` as its page's newest version (setting ``snapshot.version``): the
    documents no version holds yet, then the manifest; drop the older versions, and announce
    it: on PostgreSQL with NOTIFY, which is delivered when the transaction commits and never
    before, so a listener always finds the rows it is told of."""
    wanted = {digest_of(doc): doc for doc in snapshot.documents.values()}
    with transaction.atomic():
        stored: set[str] = set()
        for chunk in _chunks(list(wanted)):
            stored.update(
                PublicDocument.objects.filter(digest__in=chunk).values_list("digest", flat=True)
            )
        PublicDocument.objects.bulk_create(
            [
                PublicDocument(digest=digest, body=doc.body, gzipped=doc.gzipped)
                for digest, doc in wanted.items()
                if digest not in stored
            ],
            batch_size=200,
            ignore_conflicts=True,  # another page's build may store the same bytes meanwhile
        )
        row = PublicSnapshot.objects.create(
            page_code=snapshot.page_code, built_at=snapshot.built_at, data=manifest(snapshot)
        )
        PublicSnapshot.objects.filter(page_code=snapshot.page_code, id__lt=row.id).delete()
        _announce(f"{snapshot.page_code}:{row.id}")
    snapshot.version = row.id


def remove_snapshot(page_code: str) -> None:
    """The page is gone: every process stops serving it."""
    from upstate.public import store

    with transaction.atomic():
        PublicSnapshot.objects.filter(page_code=page_code).delete()
        _announce(f"{page_code}:-")
    store.forget(page_code)


def _announce(payload: str) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_notify(%s, %s)", [CHANNEL, payload])


def latest_snapshot(page_code: str, held: dict[str, Document] | None = None) -> Snapshot | None:
    """The page's newest stored version, fetching only the documents not in ``held`` (by
    digest); None when there is none, or when it was replaced while being read (ask again)."""
    row = (
        PublicSnapshot.objects.filter(page_code=page_code)
        .order_by("-id")
        .values_list("id", "data")
        .first()
    )
    if row is None:
        return None
    try:
        meta = json.loads(bytes(row[1]))
        held = held or {}
        missing = sorted({entry[4] for entry in meta["documents"]} - set(held))
        found = dict(held)
        for chunk in _chunks(missing):
            rows = PublicDocument.objects.filter(digest__in=chunk)
            for digest, body, gzipped in rows.values_list("digest", "body", "gzipped"):
                gz = None if gzipped is None else bytes(gzipped)
                found[digest] = Document("", bytes(body), gz, f'"{digest}"')
        documents = {}
        for path, content_type, etag, headers, digest in meta["documents"]:
            bytes_of = found.get(digest)
            if bytes_of is None:
                return None  # collected after a newer version replaced this one
            pairs = tuple((str(name), str(value)) for name, value in headers)
            documents[path] = Document(content_type, bytes_of.body, bytes_of.gzipped, etag, pairs)
        return _snapshot_from(meta, documents, version=row[0])
    except (ValueError, KeyError, TypeError):
        log.error("the stored snapshot %s of page %s cannot be read", row[0], page_code)
        return None


def _chunks(digests: list[str]) -> Iterator[list[str]]:
    # A few hundred at a time: SQLite limits the parameters of one query.
    for start in range(0, len(digests), CHUNK):
        yield digests[start : start + CHUNK]


def digest_of(doc: Document) -> str:
    return doc.etag.strip('"')


def collect_documents() -> int:
    """Delete the documents no stored version shows any more; returns how many."""
    with _lock(DOCUMENTS_LOCK):
        return _collect()


def _collect() -> int:
    used: set[str] = set()
    for data in PublicSnapshot.objects.values_list("data", flat=True).iterator():
        used.update(entry[4] for entry in json.loads(bytes(data))["documents"])
    unused = [
        digest
        for digest in PublicDocument.objects.values_list("digest", flat=True).iterator()
        if digest not in used
    ]
    for chunk in _chunks(unused):
        PublicDocument.objects.filter(digest__in=chunk).delete()
    return len(unused)


def rebuild_all() -> int:
    """Rebuild every page (at startup, and periodically so that day-based uptime bars and
    "upcoming" lists move with the clock); returns how many pages were built. A page whose
    build fails keeps its last version and never stops the others."""
    count = 0
    for page in StatusPage.objects.select_related("org").order_by("id"):
        try:
            build_snapshot(page)
        except Exception:
            log.exception("the public documents of page %s could not be built", page.code)
            continue
        count += 1
    try:
        collect_documents()
    except Exception:
        log.exception("unused public documents could not be collected")
    return count


# --- Encoding --------------------------------------------------------------------------------
# Not pickle: a row or a file that someone could write must never run code when it is read.


def _meta(snapshot: Snapshot, documents: list) -> dict:
    return {
        "format": FORMAT,
        "page_code": snapshot.page_code,
        "org_id": snapshot.org_id,
        "slug": snapshot.slug,
        "custom_domain": snapshot.custom_domain,
        "private": snapshot.private,
        "built_at": snapshot.built_at,
        "dates_tell": snapshot.dates_tell,
        "keys": snapshot.keys,
        "read_from": snapshot.read_from,
        "documents": documents,
    }


def _snapshot_from(meta: dict, documents: dict[str, Document], *, version: int) -> Snapshot | None:
    if meta.get("format") != FORMAT:
        return None
    return Snapshot(
        page_code=meta["page_code"],
        org_id=meta["org_id"],
        slug=meta["slug"],
        custom_domain=meta["custom_domain"],
        private=meta["private"],
        built_at=meta["built_at"],
        documents=documents,
        dates_tell=meta["dates_tell"],
        keys=meta["keys"],
        read_from=float(meta.get("read_from", 0.0)),
        version=version,
    )


def manifest(snapshot: Snapshot) -> bytes:
    """What the database stores of a version besides its documents' bytes."""
    entries = [
        [path, doc.content_type, doc.etag, doc.headers, digest_of(doc)]
        for path, doc in snapshot.documents.items()
    ]
    return json.dumps(_meta(snapshot, entries), separators=(",", ":")).encode()


def encode(snapshot: Snapshot) -> bytes:
    """A whole version in one piece, bytes included: each host's disk copy."""
    bodies: list[bytes] = []
    entries = []
    for path, doc in snapshot.documents.items():
        bodies.append(doc.body)
        if doc.gzipped is not None:
            bodies.append(doc.gzipped)
        gz = -1 if doc.gzipped is None else len(doc.gzipped)
        entries.append([path, doc.content_type, doc.etag, doc.headers, len(doc.body), gz])
    head = json.dumps(_meta(snapshot, entries), separators=(",", ":")).encode()
    return b"".join([MAGIC, struct.pack(">Q", len(head)), head, *bodies])


def decode(data: bytes, *, version: int) -> Snapshot | None:
    """The snapshot ``encode`` made, or None for anything else (another format, a damaged or
    truncated copy)."""
    try:
        if not data.startswith(MAGIC):
            return None
        offset = len(MAGIC) + 8
        (size,) = struct.unpack_from(">Q", data, len(MAGIC))
        meta = json.loads(data[offset : offset + size])
        if meta.get("format") != FORMAT:
            return None
        offset += size
        documents = {}
        for path, content_type, etag, headers, length, gz in meta["documents"]:
            body = data[offset : offset + length]
            offset += length
            gzipped = None
            if gz >= 0:
                gzipped = data[offset : offset + gz]
                offset += gz
            if len(body) != length or (gzipped is not None and len(gzipped) != gz):
                return None
            pairs = tuple((str(name), str(value)) for name, value in headers)
            documents[path] = Document(content_type, body, gzipped, etag, pairs)
        if offset != len(data):
            return None
        return _snapshot_from(meta, documents, version=version)
    except (ValueError, KeyError, TypeError, struct.error):
        return None
