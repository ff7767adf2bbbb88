"""HTTP monitors follow redirects hop by hop (each hop's address checked again, never to a
link-local address) and can check one value of a JSON body."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from upstate.lib.outbound import OutboundError
from upstate.monitors.checks import Spec, check_http, new_client
from upstate.monitors.tests.conftest import run


class Routes:
    """A real local HTTP server answering each path as `routes` says: (status, headers, body)."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, dict[str, str], bytes]] = {}
        self.seen: list[tuple[str, str, str]] = []  # (method, path, Authorization)
        routes = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self) -> None:
                routes.seen.append((self.command, self.path, self.headers.get("Authorization", "")))
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                status, headers, body = routes.routes.get(self.path, (404, {}, b"no"))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value.replace("{port}", str(routes.port)))
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer  # noqa: N815

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_port
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def routes():
    server = Routes()
    yield server
    server.close()


def check(spec: Spec, *, allow_private: bool = True):
    async def once():
        async with new_client(concurrency=1) as client:
            return await check_http(spec, client, allow_private=allow_private)

    return run(once())


def spec(url: str, **extra) -> Spec:
    return Spec(id=1, kind="http", interval=30, timeout=3.0, url=url, **extra)


def test_redirects_are_followed_to_the_end(routes):
    routes.routes = {
        "/old": (301, {"Location": "/middle"}, b""),
        "/middle": (302, {"Location": "http://localhost:{port}/health"}, b""),
        "/health": (200, {}, b"all good"),
    }
    outcome = check(spec(routes.url("/old"), keyword="all good"))
    assert outcome.ok, outcome.reason
    assert outcome.status_code == 200
    assert [path for _, path, _ in routes.seen] == ["/old", "/middle", "/health"]


def test_a_redirect_is_judged_as_it_is_when_following_is_off(routes):
    routes.routes = {"/old": (301, {"Location": "/health"}, b""), "/health": (200, {}, b"ok")}
    outcome = check(spec(routes.url("/old"), follow_redirects=False))
    assert not outcome.ok
    assert outcome.reason == "HTTP 301, expected 200-299"
    allowed = check(spec(routes.url("/old"), follow_redirects=False, expected_statuses="301"))
    assert allowed.ok
    assert len(routes.seen) == 2  # never the target


def test_too_many_redirects_fail_with_the_limit_named(routes):
    routes.routes = {"/loop": (302, {"Location": "/loop"}, b"")}
    outcome = check(spec(routes.url("/loop"), max_redirects=3))
    assert not outcome.ok
    assert outcome.reason == "more than 3 redirects (last to /loop)"
    assert len(routes.seen) == 4


def test_a_redirect_never_leads_to_a_link_local_address(routes):
    # Even where private targets are allowed (as here), a cloud's metadata service is not.
    routes.routes = {
        "/health": (302, {"Location": "http://169.254.169.254/latest/meta-data/"}, b"")
    }
    outcome = check(spec(routes.url("/health")))
    assert not outcome.ok
    assert outcome.reason.startswith("redirected to http://169.254.169.254/latest/meta-data/:")
    assert "link-local address (169.254.169.254)" in outcome.reason


def test_each_hop_goes_through_the_address_policy(routes):
    """A redirect to a private address is refused where private targets are not allowed:
    the hop is resolved and checked like the first URL (here straight through the policy,
    since a first hop to a public address cannot be served on this machine)."""
    from upstate.lib.outbound import pinned_async

    with pytest.raises(OutboundError, match="private or loopback address"):
        run(pinned_async("http://127.0.0.1:9/x", allow_private=False, link_local=False))
    with pytest.raises(OutboundError, match="link-local"):
        run(pinned_async("http://[fe80::1]/x", allow_private=True, link_local=False))
    # A public literal passes the same policy (nothing is connected to).
    pinned, host, _ = run(pinned_async("http://192.0.2.1/x", allow_private=True, link_local=False))
    assert (pinned, host) == ("http://192.0.2.1:80/x", "192.0.2.1")


def test_credentials_do_not_follow_a_redirect_to_another_host(routes):
    routes.routes = {
        "/a": (302, {"Location": "/b"}, b""),
        "/b": (302, {"Location": "http://localhost:{port}/c"}, b""),
        "/c": (200, {}, b"ok"),
    }
    outcome = check(spec(routes.url("/a"), headers={"Authorization": "Bearer s3cret"}))
    assert outcome.ok
    assert [auth for _, _, auth in routes.seen] == ["Bearer s3cret", "Bearer s3cret", ""]


def test_a_post_becomes_a_get_after_a_303(routes):
    routes.routes = {"/submit": (303, {"Location": "/done"}, b""), "/done": (200, {}, b"ok")}
    assert check(spec(routes.url("/submit"), method="POST")).ok
    assert [method for method, _, _ in routes.seen] == ["POST", "GET"]


STATUS = {"status": {"indicator": "none"}, "checks": [{"ok": True, "latency": 12}], "n": 3}


@pytest.mark.parametrize(
    ("path", "expected", "reason"),
    [
        ("status.indicator", "none", None),
        ("status.indicator", '"none"', None),
        ("checks[0].ok", "true", None),
        ("n", "3", None),
        ("checks[0].latency", "", None),  # only needs to exist
        ("status.indicator", "major", 'status.indicator is "none", expected major'),
        ("checks[0].ok", "false", "checks[0].ok is true, expected false"),
        ("checks[1].ok", "true", "checks[1] is missing (a list of 1)"),
        ("status.page", "x", "status.page is missing (status is an object without it)"),
    ],
)
def test_a_json_value_is_checked(routes, path, expected, reason):
    routes.routes = {"/status.json": (200, {}, json.dumps(STATUS).encode())}
    outcome = check(spec(routes.url("/status.json"), json_path=path, json_expected=expected))
    assert outcome.ok is (reason is None), outcome.reason
    if reason is not None:
        assert outcome.reason == reason


def test_a_body_that_is_not_json_says_so(routes):
    routes.routes = {"/status.json": (200, {}, b"<html>maintenance</html>")}
    outcome = check(spec(routes.url("/status.json"), json_path="status.indicator"))
    assert not outcome.ok
    assert outcome.reason == "the body is not valid JSON, so status.indicator cannot be read"


def test_the_json_check_runs_through_the_scheduler_path(routes, org, settings):
    from upstate.monitors.services import check_and_record, create_monitor

    settings.ALLOW_PRIVATE_TARGETS = True
    routes.routes = {
        "/s": (302, {"Location": "/status.json"}, b""),
        "/status.json": (200, {}, json.dumps(STATUS).encode()),
    }
    monitor = create_monitor(
        org=org,
        name="Status JSON",
        kind="http",
        url=routes.url("/s"),
        json_path="status.indicator",
        json_expected="minor",
        create_incident=False,
    )
    outcome = check_and_record(monitor)
    assert outcome.reason == 'status.indicator is "none", expected minor'
    assert monitor.last_reason == outcome.reason


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"json_path": "a..b"}, "json_path", "cannot read '..b'"),
        ({"json_expected": "x"}, "json_expected", "needs json_path"),
        ({"max_redirects": 21}, "max_redirects", "must be between 0 and 20"),
        ({"follow_redirects": "yes"}, "follow_redirects", "must be true or false"),
    ],
)
def test_bad_settings_name_the_field(org, fields, field, message):
    from upstate.lib.errors import InvalidInput
    from upstate.monitors.services import create_monitor

    with pytest.raises(InvalidInput) as raised:
        create_monitor(
            org=org,
            name="X",
            kind="http",
            url="https://example.test/",
            create_incident=False,
            **fields,
        )
    assert raised.value.field == field
    assert message in raised.value.message


def test_the_api_sets_and_shows_the_new_fields_to_its_org_only(client, owner, outsider, page):
    from upstate.api.tests.helpers import Api

    api = Api(client, owner)
    created = api.post(
        "/monitors",
        {
            "name": "Status JSON",
            "kind": "http",
            "url": "https://status.acme.test/api/v2/status.json",
            "json_path": "status.indicator",
            "json_expected": "none",
            "max_redirects": 2,
            "alert_policy": {"page_id": page.code},
        },
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["json_path"], body["json_expected"]) == ("status.indicator", "none")
    assert (body["follow_redirects"], body["max_redirects"]) == (True, 2)
    code = body["id"]
    bad = api.patch(f"/monitors/{code}", {"json_path": "checks[x]"})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "json_path"
    too_many = api.patch(f"/monitors/{code}", {"max_redirects": 99})
    assert too_many.status_code == 422
    assert too_many.json()["errors"][0]["field"] == "max_redirects"
    changed = api.patch(f"/monitors/{code}", {"follow_redirects": False})
    assert changed.json()["follow_redirects"] is False

    other = Api(client, outsider)
    assert other.get(f"/monitors/{code}").status_code == 404
    assert other.patch(f"/monitors/{code}", {"json_path": "x"}).status_code == 404
    assert api.get(f"/monitors/{code}").json()["json_path"] == "status.indicator"
