"""Serve public documents from this process's copy (``store``), in front of Django.

A public request costs a few dictionary lookups: the bytes, their gzip form and every header
were prepared when the version was installed. Nothing public renders a template or queries
the database per request. Anything the copy does not hold (private pages, unknown paths,
forms) falls through to Django, which also answers 404s.

Two ways in: ``Application`` is what ``upstate web`` runs (granian's RSGI interface): public
documents are answered on the server's event loop, and Django runs in a pool of threads of
its own, so no number of slow dashboard or API requests can hold up a public one.
``SnapshotApp`` is the same in front of a WSGI application (tests, other WSGI servers).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import io
import json
import os
import re
import sys
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from email.utils import formatdate, parsedate_to_datetime
from time import perf_counter
from typing import Any

from django.conf import settings

from upstate.metrics.public import PublicTally, record_now
from upstate.public import store
from upstate.public.hosts import own_hosts
from upstate.public.store import Pair, Variant, query_params

StartResponse = Callable[..., object]
WSGIApp = Callable[[dict, StartResponse], Iterable[bytes]]
# (status, headers, body): what the fast path answers, whichever interface asked. The body is
# the document's also for HEAD: the server sends none, but its length is the Content-Length.
Answer = tuple[int, list[tuple[str, str]], bytes]

_SLUG_PATH = re.compile(r"^/p/([a-z0-9][a-z0-9-]{0,62})(/.*)?$")
_PAGE_PATH = re.compile(r"^[A-Za-z0-9._/-]*$")
_HOST = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$")
_REASONS = {200: "200 OK", 301: "301 Moved Permanently", 304: "304 Not Modified"}


class FastPath:
    """Answers GET/HEAD of public documents; None means "ask Django"."""

    def __init__(self) -> None:
        from upstate.public.widget import WIDGET_CACHE_CONTROL, widget_document

        self._own_hosts = own_hosts()
        # The embeddable script: one file for every host, the main one and custom domains.
        doc, self._widget_built_at = widget_document()
        self._widget = store.pair(
            doc, formatdate(self._widget_built_at, usegmt=True), WIDGET_CACHE_CONTROL
        )

    def answer(
        self, method: str, path: str, query: str, headers: Callable[[str], str | None]
    ) -> Answer | None:
        if method != "GET" and method != "HEAD":
            return None
        # Pages under /p/<slug>/ only on this installation's own hosts: on a tenant's custom
        # domain they would show other tenants' pages (Django answers 404 there).
        host = _host(headers("host") or "")
        own = host in self._own_hosts
        if not query and own:
            hit = store.by_path(path)
            if hit is not None:
                return _respond(headers, hit[1], hit[0].dated)
        if path == "/widget.js":
            return _respond(headers, self._widget, self._widget_built_at)
        match = _SLUG_PATH.match(path)
        if match is not None:
            if not own:
                return None
            if match.group(2) is None:
                return _redirect(f"/p/{match.group(1)}/", query)
            served, rest = store.by_slug(match.group(1)), match.group(2)
        else:
            if own or not _HOST.match(host):
                return None
            served, rest = store.by_host(host), path
        if not _PAGE_PATH.match(rest) or "/." in rest:
            return None
        if served is None:
            return None
        if len(rest) > 1 and rest.endswith("/"):
            # Documents link to each other relatively; one address per document keeps them right.
            # Only to a document this page has, and with one leading slash: "//evil.example"
            # would send the browser to another host.
            if rest.strip("/") not in served.variants:
                return None
            return _redirect("/" + path.strip("/"), query)
        key = rest.lstrip("/")
        # A few documents come in variants named by their query (``badge.svg?style=flat``);
        # any other query is ignored, as static servers do, except one naming a parameter
        # the variants do not (``badge.svg?label=API``): Django renders that one.
        variants = query and served.variants.get(f"{key}?{query}")
        if not variants:
            known = served.variant_params.get(key)
            if query and known is not None and not query_params(query) <= known:
                return None
            variants = served.variants.get(key)
        if variants is None:
            return None
        return _respond(headers, variants, served.dated)


def _respond(
    headers: Callable[[str], str | None], variants: Pair, built_at: float | None
) -> Answer:
    plain, gzipped = variants
    variant = plain
    if gzipped is not None and "gzip" in (headers("accept-encoding") or ""):
        variant = gzipped
    if _not_modified(headers, variant, plain, gzipped, built_at):
        return 304, variant.not_modified_headers, b""
    return 200, variant.status_headers, variant.body


def _host(host: str) -> str:
    if host.startswith("["):
        return host.split("]")[0] + "]"
    return host.split(":")[0].lower()


def _not_modified(
    headers: Callable[[str], str | None],
    variant: Variant,
    plain: Variant,
    gzipped: Variant | None,
    built_at: float | None,
) -> bool:
    """If-None-Match, else If-Modified-Since when the build's date tells versions apart
    (`built_at` None when it does not)."""
    if_none_match = headers("if-none-match")
    if if_none_match is not None:
        if if_none_match.strip() == "*":
            return True
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return plain.etag in tags or (gzipped is not None and gzipped.etag in tags)
    if_modified_since = headers("if-modified-since")
    if if_modified_since and built_at is not None:
        try:
            since = parsedate_to_datetime(if_modified_since).timestamp()
        except (TypeError, ValueError, IndexError, OverflowError):
            return False
        return int(built_at) <= since
    return False


def _redirect(location: str, query: str) -> Answer:
    if query:
        location = f"{location}?{query}"
    return 301, [("Location", location)], b""


# --- WSGI ------------------------------------------------------------------------------------


class SnapshotApp:
    """WSGI middleware: answer GET/HEAD for public documents from the store, else call ``app``."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app
        self.fast = FastPath()

    def __call__(self, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        def header(name: str) -> str | None:
            if name == "host":
                return environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "")
            return environ.get("HTTP_" + name.upper().replace("-", "_"))

        start = perf_counter()
        answer = self.fast.answer(
            environ["REQUEST_METHOD"],
            environ.get("PATH_INFO", "/"),
            environ.get("QUERY_STRING", ""),
            header,
        )
        if answer is None:
            return self.app(environ, start_response)
        status, headers, body = answer
        if status != 304:  # a 304's length would be taken for the document's
            headers = [*headers, ("Content-Length", str(len(body)))]
        start_response(_REASONS[status], headers)
        record_now(status, perf_counter() - start)
        return [b""] if environ["REQUEST_METHOD"] == "HEAD" else [body]


# --- RSGI (granian) ----------------------------------------------------------------------------


class Application:
    """What ``upstate web`` serves: public documents on the event loop, Django in threads."""

    def __init__(self, django: WSGIApp, threads: int) -> None:
        self.django = django
        self.fast = FastPath()
        self.threads = threads
        self.pool: ThreadPoolExecutor | None = None
        # Public requests counted on the event loop, moved into /metrics once a second.
        self.tally = PublicTally()

    def __rsgi_init__(self, loop: asyncio.AbstractEventLoop) -> None:
        from upstate.lib import coalesce

        self.pool = ThreadPoolExecutor(
            self.threads, thread_name_prefix="django", initializer=_behind_public_requests
        )
        # A thread wanting Python's lock waits this long for the one holding it: the default
        # (5 ms) let a few busy Django threads hold a public request for tens of ms each time
        # the event loop needed the lock (bench/write_storm.py).
        sys.setswitchinterval(0.0005)
        store.start_following()
        coalesce.start_all()  # the snapshot builder, and whatever else waits for commits
        # What start-up loaded lives as long as the process: out of the cyclic collector's
        # sight. A full collection holds Python's lock, and the event loop with it, for as
        # long as it takes: 96-134 ms of CPU over 160-195,000 objects during a storm of writes
        # on PostgreSQL, 24-66 ms over 53-85,000 once frozen (bench/write_storm.py).
        gc.freeze()
        self.tally.flush_every(loop)

    def __rsgi_del__(self, loop: asyncio.AbstractEventLoop) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=False, cancel_futures=True)

    async def __rsgi__(self, scope: Any, protocol: Any) -> None:
        if scope.proto != "http":
            return
        start = perf_counter()
        answer = self.fast.answer(scope.method, scope.path, scope.query_string, scope.headers.get)
        if answer is not None:
            # HEAD: the server sends the headers (Content-Length of this body) and no body.
            protocol.response_bytes(*answer)
            self.tally.record(answer[0], perf_counter() - start)
            return
        body = await _body(scope, protocol, settings.MAX_REQUEST_BYTES)
        if body is None:
            protocol.response_bytes(413, TOO_LARGE_HEADERS, _too_large(settings.MAX_REQUEST_BYTES))
            return
        loop = asyncio.get_running_loop()
        status, response_headers, content = await loop.run_in_executor(
            self.pool, self._django, scope, body
        )
        protocol.response_bytes(status, response_headers, content)

    def _django(self, scope: Any, body: bytes) -> Answer:
        environ = _environ(scope, body)
        started: list = []

        def start_response(status: str, headers: list, exc_info: object = None) -> None:
            started[:] = [int(status.split(" ", 1)[0]), headers]

        result = self.django(environ, start_response)
        try:
            content = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        return started[0], started[1], content


DJANGO_NICENESS = 5
TOO_LARGE_HEADERS = [("Content-Type", "application/json"), ("Connection", "close")]


async def _body(scope: Any, protocol: Any, limit: int) -> bytes | None:
    """The request's body, or None when it is longer than `limit` (said up front by its
    Content-Length, or found while reading): nothing is read past the limit."""
    declared = scope.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        return None
    body = bytearray()
    async for chunk in protocol:
        body += chunk
        if len(body) > limit:
            return None
    return bytes(body)


def _too_large(limit: int) -> bytes:
    message = f"must be at most {limit} bytes"
    error = {"message": f"body: {message}", "errors": [{"field": "body", "message": message}]}
    return json.dumps(error).encode()


def _behind_public_requests() -> None:
    """Django's threads yield the CPU to the event loop (the public documents): on Linux a
    thread has a priority of its own. During a storm of API writes on a busy machine the
    operating system otherwise left the loop waiting behind them (bench/write_storm.py)."""
    with contextlib.suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), DJANGO_NICENESS)


def _environ(scope: Any, body: bytes) -> dict[str, Any]:
    server_host, _, server_port = scope.server.rpartition(":")
    client_host, _, client_port = scope.client.rpartition(":")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": scope.method,
        "SCRIPT_NAME": "",
        "PATH_INFO": scope.path.encode("utf-8").decode("latin-1"),
        "QUERY_STRING": scope.query_string,
        "SERVER_NAME": server_host,
        "SERVER_PORT": server_port,
        "SERVER_PROTOCOL": f"HTTP/{scope.http_version}",
        "REMOTE_ADDR": client_host.strip("[]"),
        "REMOTE_PORT": client_port,
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.scheme,
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    for name, value in scope.headers.items():
        key = name.upper().replace("-", "_")
        if key == "CONTENT_TYPE" or key == "CONTENT_LENGTH":
            environ[key] = value
            continue
        key = f"HTTP_{key}"
        # Repeated headers are joined, as WSGI servers do.
        environ[key] = f"{environ[key]},{value}" if key in environ else value
    if "CONTENT_LENGTH" not in environ and body:
        environ["CONTENT_LENGTH"] = str(len(body))
    return environ
