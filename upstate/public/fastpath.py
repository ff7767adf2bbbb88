"""Serve public pages from their snapshot, in front of Django.

A public request costs a few dictionary lookups: the bytes, their gzip form and every header
are prepared when the page's snapshot file is loaded. The file is looked at again (one
``stat``) when this process has written a snapshot since, and otherwise at most every
``RECHECK_SECONDS``, which is how long another process's rebuild (the worker's) may take to
show. A ``stat`` per request would halve throughput: the call releases the GIL, and the
server's threads then queue for it. Anything the snapshot does not hold (private pages,
unknown paths, forms) falls through to Django, which also answers 404s.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from email.utils import formatdate, parsedate_to_datetime
from urllib.parse import urlsplit

from django.conf import settings

from upstate.public import snapshot as snapshots
from upstate.public.snapshot import Document, Snapshot, load_snapshot

StartResponse = Callable[..., object]
WSGIApp = Callable[[dict, StartResponse], Iterable[bytes]]

CACHE_CONTROL = "public, max-age=0, must-revalidate"
RECHECK_SECONDS = 0.1
_SLUG_PATH = re.compile(r"^/p/([a-z0-9][a-z0-9-]{0,62})(/.*)?$")
_PAGE_PATH = re.compile(r"^[A-Za-z0-9._/-]*$")
_HOST = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$")


@dataclass(frozen=True)
class _Variant:
    status_headers: list[tuple[str, str]]
    not_modified_headers: list[tuple[str, str]]
    body: bytes
    etag: str


@dataclass(frozen=True)
class _Loaded:
    stamp: tuple[int, int, int]
    last_modified: str
    built_at: float
    dates_tell: bool
    variants: dict[str, tuple[_Variant, _Variant | None]]
    # document -> the query parameters its variants are named by (``badge.svg`` -> {"style"})
    variant_params: dict[str, frozenset[str]]


def _variant(
    doc: Document,
    body: bytes,
    etag: str,
    last_modified: str,
    gz: bool,
    cache_control: str = CACHE_CONTROL,
) -> _Variant:
    common = [
        ("ETag", etag),
        ("Last-Modified", last_modified),
        ("Cache-Control", cache_control),
        ("Access-Control-Allow-Origin", "*"),
        ("Vary", "Accept-Encoding"),
    ]
    headers = [
        ("Content-Type", doc.content_type),
        ("Content-Length", str(len(body))),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "strict-origin-when-cross-origin"),
        *doc.headers,
        *common,
    ]
    if gz:
        headers.append(("Content-Encoding", "gzip"))
    return _Variant(headers, common, body, etag)


def _pair(
    doc: Document, last_modified: str, cache_control: str = CACHE_CONTROL
) -> tuple[_Variant, _Variant | None]:
    plain = _variant(doc, doc.body, doc.etag, last_modified, False, cache_control)
    gzipped = None
    if doc.gzipped is not None:
        gz_etag = doc.etag[:-1] + '-gz"'
        gzipped = _variant(doc, doc.gzipped, gz_etag, last_modified, True, cache_control)
    return plain, gzipped


def _params(query: str) -> frozenset[str]:
    return frozenset(part.partition("=")[0] for part in query.split("&") if part)


def _prepare(snapshot: Snapshot, stamp: tuple[int, int, int]) -> _Loaded:
    last_modified = snapshot.last_modified
    variants = {}
    params: dict[str, frozenset[str]] = {}
    for path, doc in snapshot.documents.items():
        variants[path] = _pair(doc, last_modified)
        key, _, query = path.partition("?")
        if query:
            params[key] = params.get(key, frozenset()) | _params(query)
    return _Loaded(stamp, last_modified, snapshot.built_at, snapshot.dates_tell, variants, params)


def _widget() -> tuple[tuple[_Variant, _Variant | None], float]:
    from upstate.public.widget import WIDGET_CACHE_CONTROL, widget_document

    doc, built_at = widget_document()
    return _pair(doc, formatdate(built_at, usegmt=True), WIDGET_CACHE_CONTROL), built_at


class SnapshotApp:
    """WSGI middleware: answer GET/HEAD for public documents from snapshots, else call ``app``."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app
        # link -> (what it held, when it was looked at, snapshots.changes then)
        self._cache: dict[str, tuple[_Loaded, float, int]] = {}
        self._lock = threading.Lock()
        self._dirs: tuple[object, str, str] = (None, "", "")
        self._own_hosts = frozenset(
            {"localhost", "127.0.0.1", "[::1]", (urlsplit(settings.PUBLIC_URL).hostname or "")}
        )
        # The embeddable script: one file for every host, the main one and custom domains.
        self._widget, self._widget_built_at = _widget()

    def __call__(self, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"]
        if method == "GET" or method == "HEAD":
            served = self._serve(environ, start_response, method == "HEAD")
            if served is not None:
                return served
        return self.app(environ, start_response)

    def _serve(
        self, environ: dict, start_response: StartResponse, head: bool
    ) -> Iterable[bytes] | None:
        path = environ.get("PATH_INFO", "/")
        if path == "/widget.js":
            return self._respond(environ, start_response, head, self._widget, self._widget_built_at)
        match = _SLUG_PATH.match(path)
        if match is not None:
            if match.group(2) is None:
                return _redirect(start_response, f"/p/{match.group(1)}/", environ)
            link, rest = self._link_dirs()[1] + match.group(1), match.group(2)
        else:
            host = _host(environ)
            if host in self._own_hosts or not _HOST.match(host):
                return None
            link, rest = self._link_dirs()[2] + host, path
        if not _PAGE_PATH.match(rest) or "/." in rest:
            return None
        if len(rest) > 1 and rest.endswith("/"):
            # Documents link to each other relatively; one address per document keeps them right.
            return _redirect(start_response, path.rstrip("/"), environ)
        loaded = self._load(link)
        if loaded is None:
            return None
        key = rest.lstrip("/")
        query = environ.get("QUERY_STRING")
        # A few documents come in variants named by their query (``badge.svg?style=flat``);
        # any other query is ignored, as static servers do, except one naming a parameter
        # the variants do not (``badge.svg?label=API``): Django renders that one.
        variants = query and loaded.variants.get(f"{key}?{query}")
        if not variants:
            known = loaded.variant_params.get(key)
            if query and known is not None and not _params(query) <= known:
                return None
            variants = loaded.variants.get(key)
        if variants is None:
            return None
        dated = loaded.built_at if loaded.dates_tell else None
        return self._respond(environ, start_response, head, variants, dated)

    def _respond(
        self,
        environ: dict,
        start_response: StartResponse,
        head: bool,
        variants: tuple[_Variant, _Variant | None],
        built_at: float | None,
    ) -> Iterable[bytes]:
        plain, gzipped = variants
        variant = plain
        if gzipped is not None and "gzip" in environ.get("HTTP_ACCEPT_ENCODING", ""):
            variant = gzipped
        if _not_modified(environ, variant, plain, gzipped, built_at):
            start_response("304 Not Modified", variant.not_modified_headers)
            return [b""]
        start_response("200 OK", variant.status_headers)
        return [b""] if head else [variant.body]

    def _link_dirs(self) -> tuple[object, str, str]:
        """The folders of the slug and host links (``snapshot.slug_link``), as strings: building
        a Path per request cost more than the rest of the fast path."""
        root = settings.SNAPSHOT_DIR
        dirs = self._dirs
        if dirs[0] is not root:
            base = os.fspath(root)
            slugs, hosts = snapshots.SLUG_LINKS, snapshots.HOST_LINKS
            dirs = (root, os.path.join(base, slugs, ""), os.path.join(base, hosts, ""))
            self._dirs = dirs
        return dirs

    def _load(self, link: str) -> _Loaded | None:
        changes, now = snapshots.changes, time.monotonic()
        cached = self._cache.get(link)
        if cached is not None and cached[2] == changes and now - cached[1] < RECHECK_SECONDS:
            return cached[0]
        try:
            stat = os.stat(link)
        except (OSError, ValueError):
            self._cache.pop(link, None)
            return None
        stamp = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        if cached is not None and cached[0].stamp == stamp:
            self._cache[link] = (cached[0], now, changes)
            return cached[0]
        with self._lock:
            snapshot = load_snapshot(link)
            if snapshot is None:
                return None
            loaded = _prepare(snapshot, stamp)
            self._cache[link] = (loaded, now, changes)
        return loaded


def _host(environ: dict) -> str:
    host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "")
    if host.startswith("["):
        return host.split("]")[0] + "]"
    return host.split(":")[0].lower()


def _not_modified(
    environ: dict,
    variant: _Variant,
    plain: _Variant,
    gzipped: _Variant | None,
    built_at: float | None,
) -> bool:
    """If-None-Match, else If-Modified-Since when the build's date tells versions apart
    (`built_at` None when it does not)."""
    if_none_match = environ.get("HTTP_IF_NONE_MATCH")
    if if_none_match is not None:
        if if_none_match.strip() == "*":
            return True
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return plain.etag in tags or (gzipped is not None and gzipped.etag in tags)
    if_modified_since = environ.get("HTTP_IF_MODIFIED_SINCE")
    if if_modified_since and built_at is not None:
        try:
            since = parsedate_to_datetime(if_modified_since).timestamp()
        except (TypeError, ValueError, IndexError, OverflowError):
            return False
        return int(built_at) <= since
    return False


def _redirect(start_response: StartResponse, location: str, environ: dict) -> Iterable[bytes]:
    query = environ.get("QUERY_STRING")
    if query:
        location = f"{location}?{query}"
    start_response("301 Moved Permanently", [("Location", location), ("Content-Length", "0")])
    return [b""]
