"""The snapshot fast path, called as the WSGI application it is, in front of an application that
must never be reached for a public document (it stands for Django with its database down)."""

from __future__ import annotations

import gzip
import itertools
import time
from email.utils import formatdate
from wsgiref.util import setup_testing_defaults

import pytest

from upstate.public import store
from upstate.public.fastpath import SnapshotApp
from upstate.public.snapshot import Snapshot, make_document, save_snapshot

STATUS_JSON = b'{"status":{"indicator":"none","description":"All Systems Operational"}}'
PAGE_HTML = b"<!doctype html><title>Acme status</title>" + b"<p>All good</p>" * 100


class Unreachable:
    """Django with its database gone: every call fails."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, environ, start_response):  # noqa: ANN001
        self.calls += 1
        start_response("500 Internal Server Error", [("Content-Type", "text/plain")])
        return [b"database unreachable"]


def _snapshot(**overrides) -> Snapshot:  # noqa: ANN003
    values = dict(
        page_code="pg1",
        org_id=1,
        slug="acme",
        custom_domain="status.acme.test",
        private=False,
        built_at=time.time() - 60,
        documents={
            "": make_document("", PAGE_HTML),
            "api/v2/status.json": make_document("api/v2/status.json", STATUS_JSON),
            "incidents/abc123": make_document("incidents/abc123", b"<p>incident</p>"),
            "badge.svg": make_document("badge.svg", b"<svg>flat</svg>"),
            "badge.svg?style=square": make_document("badge.svg", b"<svg>square</svg>"),
        },
    )
    values.update(overrides)
    return Snapshot(**values)


_versions = itertools.count(1)


def write_snapshot(snapshot: Snapshot) -> None:
    """Serve `snapshot` from this process as the page's next version."""
    snapshot.version = next(_versions) + 1_000_000
    assert store.install(snapshot)


def _get(app, path: str, **headers: str) -> tuple[str, dict[str, str], bytes]:  # noqa: ANN001
    environ: dict = {"PATH_INFO": path, "HTTP_HOST": "127.0.0.1:8000"}
    environ.update(headers)
    setup_testing_defaults(environ)
    captured: dict = {}

    def start_response(status: str, response_headers: list[tuple[str, str]]) -> None:
        captured["status"] = status
        captured["headers"] = dict(response_headers)

    body = b"".join(app(environ, start_response))
    return captured["status"], captured["headers"], body


@pytest.fixture
def backend() -> Unreachable:
    return Unreachable()


@pytest.fixture
def app(backend) -> SnapshotApp:
    return SnapshotApp(backend)


def test_it_serves_documents_without_calling_django(app, backend):
    write_snapshot(_snapshot())

    status, headers, body = _get(app, "/p/acme/api/v2/status.json")

    assert status == "200 OK"
    assert body == STATUS_JSON
    assert headers["Content-Type"] == "application/json"
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert headers["Content-Length"] == str(len(STATUS_JSON))
    assert backend.calls == 0


def test_it_gives_each_document_one_address(app):
    write_snapshot(_snapshot())

    assert _get(app, "/p/acme/")[2] == PAGE_HTML
    assert _get(app, "/p/acme/incidents/abc123")[2] == b"<p>incident</p>"
    status, headers, _ = _get(app, "/p/acme/incidents/abc123/")
    assert status.startswith("301")
    assert headers["Location"] == "/p/acme/incidents/abc123"
    status, headers, _ = _get(app, "/p/acme", QUERY_STRING="x=1")
    assert status.startswith("301")
    assert headers["Location"] == "/p/acme/?x=1"


def test_it_answers_304_to_a_matching_etag(app):
    write_snapshot(_snapshot())
    _, headers, _ = _get(app, "/p/acme/api/v2/status.json")

    status, again, body = _get(
        app, "/p/acme/api/v2/status.json", HTTP_IF_NONE_MATCH=headers["ETag"]
    )

    assert status == "304 Not Modified"
    assert body == b""
    assert again["ETag"] == headers["ETag"]


def test_it_answers_304_when_not_modified_since(app):
    snapshot = _snapshot()
    write_snapshot(snapshot)

    later = formatdate(snapshot.built_at + 5, usegmt=True)
    earlier = formatdate(snapshot.built_at - 3600, usegmt=True)
    path = "/p/acme/api/v2/status.json"
    assert _get(app, path, HTTP_IF_MODIFIED_SINCE=later)[0] == "304 Not Modified"
    assert _get(app, path, HTTP_IF_MODIFIED_SINCE=earlier)[0] == "200 OK"
    assert _get(app, path, HTTP_IF_MODIFIED_SINCE="yesterday-ish")[0] == "200 OK"


def test_it_gzips_for_clients_that_accept_it(app):
    write_snapshot(_snapshot())

    _, plain_headers, _ = _get(app, "/p/acme/")
    status, headers, body = _get(app, "/p/acme/", HTTP_ACCEPT_ENCODING="br, gzip")

    assert status == "200 OK"
    assert headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(body) == PAGE_HTML
    assert headers["ETag"] != plain_headers["ETag"]
    assert "Content-Encoding" not in plain_headers


def test_it_answers_head_with_headers_only(app):
    write_snapshot(_snapshot())

    status, headers, body = _get(app, "/p/acme/", REQUEST_METHOD="HEAD")

    assert status == "200 OK"
    assert body == b""
    assert headers["Content-Length"] == str(len(PAGE_HTML))


def test_it_serves_the_page_on_its_custom_domain(app, backend):
    write_snapshot(_snapshot())

    status, _, body = _get(app, "/api/v2/status.json", HTTP_HOST="Status.Acme.test:443")

    assert status == "200 OK"
    assert body == STATUS_JSON
    assert backend.calls == 0


def test_it_shows_a_rebuild_on_the_next_request(app):
    write_snapshot(_snapshot())
    assert _get(app, "/p/acme/api/v2/status.json")[2] == STATUS_JSON

    changed = b'{"status":{"indicator":"major"}}'
    documents = {"api/v2/status.json": make_document("api/v2/status.json", changed)}
    write_snapshot(_snapshot(documents=documents))

    assert _get(app, "/p/acme/api/v2/status.json")[2] == changed


def test_it_shows_another_process_s_build_once_it_syncs(app, db):
    save_snapshot(first := _snapshot())
    store.sync()
    assert _get(app, "/p/acme/api/v2/status.json")[2] == STATUS_JSON

    # Another process builds the page: it is in the database, not in this process yet.
    changed = b'{"status":{"indicator":"major"}}'
    documents = {"api/v2/status.json": make_document("api/v2/status.json", changed)}
    save_snapshot(second := _snapshot(documents=documents))
    assert second.version > first.version
    assert _get(app, "/p/acme/api/v2/status.json")[2] == STATUS_JSON

    assert store.sync() == 1
    assert _get(app, "/p/acme/api/v2/status.json")[2] == changed


def test_an_older_version_never_replaces_a_newer_one(app):
    newer = _snapshot(documents={"api/v2/status.json": make_document("x.json", b"new")})
    newer.version = 20
    older = _snapshot()
    older.version = 10
    assert store.install(newer)

    assert not store.install(older)
    assert _get(app, "/p/acme/api/v2/status.json")[2] == b"new"


@pytest.mark.parametrize(
    "path, headers",
    [
        ("/p/acme/unknown", {}),
        ("/p/nobody/", {}),
        ("/p/acme/../pages/pg1.snap", {}),
        ("/", {"HTTP_HOST": "unknown.example"}),
        ("/", {"HTTP_HOST": "..%2fpages%2fpg1.snap"}),
        ("/api/v2/status.json", {"HTTP_HOST": "127.0.0.1"}),
        ("/p/acme/", {"REQUEST_METHOD": "POST"}),
    ],
)
def test_it_leaves_everything_else_to_django(app, backend, path, headers):
    write_snapshot(_snapshot())

    status, _, _ = _get(app, path, **headers)

    assert status.startswith("500")  # the stand-in for Django answered
    assert backend.calls == 1


def test_it_leaves_private_pages_to_django(app, backend):
    write_snapshot(_snapshot(private=True))

    _get(app, "/p/acme/")
    _get(app, "/", HTTP_HOST="status.acme.test")

    assert backend.calls == 2
    assert store.snapshot_of("pg1") is not None


def test_it_moves_with_the_slug_and_stops_serving_removed_pages(app, backend):
    write_snapshot(_snapshot())
    write_snapshot(_snapshot(slug="acme-corp", custom_domain=""))

    assert _get(app, "/p/acme-corp/api/v2/status.json")[0] == "200 OK"
    assert backend.calls == 0
    _get(app, "/p/acme/api/v2/status.json")
    _get(app, "/api/v2/status.json", HTTP_HOST="status.acme.test")
    assert backend.calls == 2

    store.forget("pg1")

    _get(app, "/p/acme-corp/api/v2/status.json")
    assert backend.calls == 3
    assert store.snapshot_of("pg1") is None


def test_it_does_not_unlink_a_slug_another_page_has_taken(app):
    write_snapshot(_snapshot())
    write_snapshot(_snapshot(page_code="pg2", custom_domain=""))  # pg2 now owns /p/acme/

    write_snapshot(_snapshot(slug="renamed", custom_domain=""))  # pg1 moves away

    assert _get(app, "/p/acme/api/v2/status.json")[0] == "200 OK"


def test_a_page_that_takes_a_slug_serves_none_of_the_former_owner_s_documents(app, backend):
    write_snapshot(_snapshot())
    assert _get(app, "/p/acme/incidents/abc123")[0] == "200 OK"

    documents = {"api/v2/status.json": make_document("api/v2/status.json", STATUS_JSON)}
    write_snapshot(_snapshot(page_code="pg2", custom_domain="", documents=documents))

    assert _get(app, "/p/acme/incidents/abc123")[0].startswith("500")  # Django was asked
    assert _get(app, "/p/acme/api/v2/status.json")[0] == "200 OK"


def test_it_serves_variants_named_by_their_query_and_ignores_other_queries(app):
    write_snapshot(_snapshot())

    assert _get(app, "/p/acme/badge.svg", QUERY_STRING="style=square")[2] == b"<svg>square</svg>"
    assert _get(app, "/p/acme/badge.svg", QUERY_STRING="style=other")[2] == b"<svg>flat</svg>"
    _, headers, body = _get(app, "/p/acme/api/v2/status.json", QUERY_STRING="cachebust=1")
    assert body == STATUS_JSON


def test_a_query_naming_another_parameter_falls_through_to_django(app, backend):
    write_snapshot(_snapshot())

    _get(app, "/p/acme/badge.svg", QUERY_STRING="label=Our+API")
    _get(app, "/p/acme/badge.svg", QUERY_STRING="style=square&label=x")
    assert backend.calls == 2
    assert _get(app, "/p/acme/badge.svg", QUERY_STRING="style=square")[2] == b"<svg>square</svg>"
    assert backend.calls == 2


def test_only_the_embed_may_be_framed(app):
    documents = {
        "": make_document("", PAGE_HTML),
        "embed": make_document("embed", b"<p>embed</p>"),
        "embed?theme=dark": make_document("embed?theme=dark", b"<p>dark</p>"),
        "api/v2/status.json": make_document("api/v2/status.json", STATUS_JSON),
    }
    write_snapshot(_snapshot(documents=documents))

    _, page_headers, _ = _get(app, "/p/acme/", HTTP_ACCEPT_ENCODING="gzip")
    assert page_headers["X-Frame-Options"] == "DENY"
    assert page_headers["Content-Security-Policy"] == "frame-ancestors 'none'"
    for query in ("", "theme=dark"):
        _, headers, _ = _get(app, "/p/acme/embed", QUERY_STRING=query)
        assert "X-Frame-Options" not in headers
        assert "Content-Security-Policy" not in headers
        assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert "X-Frame-Options" not in _get(app, "/p/acme/api/v2/status.json")[1]


@pytest.mark.parametrize("host", ["127.0.0.1:8000", "status.acme.test", "unknown.example"])
def test_it_serves_the_widget_script_on_every_host(app, backend, host):
    status, headers, body = _get(app, "/widget.js", HTTP_HOST=host, HTTP_ACCEPT_ENCODING="gzip")

    assert status == "200 OK"
    assert headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert headers["Cache-Control"] == "public, max-age=300"
    assert b"upstate-status" in gzip.decompress(body)
    again = _get(app, "/widget.js", HTTP_HOST=host, HTTP_IF_NONE_MATCH=headers["ETag"])
    assert again[0] == "304 Not Modified"
    assert backend.calls == 0


def test_a_date_shared_by_two_builds_is_not_enough_to_answer_304(app, page, monkeypatch):
    import upstate.public.snapshot as snapshots
    from upstate.pages.services import update_page

    path = "/p/acme/api/v2/summary.json"
    monkeypatch.setattr(snapshots.time, "time", lambda: 1_800_000_000.2)
    snapshots.build_snapshot(page)
    _, first, _ = _get(app, path)

    update_page(page=page, name="Acme Platform Status")
    monkeypatch.setattr(snapshots.time, "time", lambda: 1_800_000_000.7)
    snapshots.build_snapshot(page)
    _, second, body = _get(app, path)
    assert second["Last-Modified"] == first["Last-Modified"]  # the same second
    status, _, body = _get(app, path, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert status == "200 OK" and b"Acme Platform Status" in body
    assert _get(app, path, HTTP_IF_NONE_MATCH=second["ETag"])[0] == "304 Not Modified"

    monkeypatch.setattr(snapshots.time, "time", lambda: 1_800_000_002.1)
    snapshots.build_snapshot(page)
    _, third, _ = _get(app, path)
    status = _get(app, path, HTTP_IF_MODIFIED_SINCE=third["Last-Modified"])[0]
    assert status == "304 Not Modified"
