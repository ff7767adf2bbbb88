"""Personas every endpoint is tested with: an owner, a responder, a read-only member and an
outsider from another organization, each with a user and an API key."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest

os.environ.setdefault("UPSTATE_TASKS_IMMEDIATE", "True")


@dataclass
class Persona:
    user: object
    key: str
    org: object

    @property
    def auth(self) -> dict[str, str]:
        return {"HTTP_AUTHORIZATION": f"Bearer {self.key}"}


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Real hashing is deliberately slow; every persona would pay for it in every test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _snapshot_dir(settings, tmp_path):
    from upstate.public import store

    # What this process serves outlives a test's database: start every test with nothing.
    store.clear()
    settings.SNAPSHOT_DIR = tmp_path / "snapshots"
    yield settings.SNAPSHOT_DIR
    store.clear()


@pytest.fixture(scope="session")
def _dns_server():
    from tests.dnsserver import TxtServer

    server = TxtServer()
    yield server
    server.close()


@pytest.fixture(autouse=True)
def dns_server(_dns_server, settings):
    """The DNS server custom-domain checks ask (no test reaches the real DNS); a test adds the
    TXT records it needs with ``dns_server.add_txt(name, value)``."""
    _dns_server.reset()
    settings.DNS_RESOLVER = _dns_server.address
    return _dns_server


@pytest.fixture
def prove_domain(dns_server):
    """Publish the TXT record of a page's claimed custom domain and run the worker's check:
    the page is then served at its domain. Returns the page as the check left it."""

    def prove(page):
        from upstate.pages import domains

        page.refresh_from_db()
        name = domains.challenge_name(page.custom_domain)
        dns_server.add_txt(name, domains.challenge_value(page.domain_token))
        return domains.check_domain(page_id=page.id)

    return prove


def _persona(org, email: str, role: str) -> Persona:
    from upstate.orgs.services import add_member, create_api_key

    membership = add_member(org=org, email=email, role=role, password="correct-horse-9")
    key_role = "admin" if role == "owner" else role
    _, key = create_api_key(org=org, role=key_role, name=f"{role} key")
    return Persona(user=membership.user, key=key, org=org)


@pytest.fixture
def org(db):
    from upstate.orgs.services import create_org

    return create_org(slug="acme", name="Acme Inc")


@pytest.fixture
def other_org(db):
    from upstate.orgs.services import create_org

    return create_org(slug="globex", name="Globex")


@pytest.fixture
def owner(org) -> Persona:
    return _persona(org, "owner@acme.test", "owner")


@pytest.fixture
def responder(org) -> Persona:
    return _persona(org, "responder@acme.test", "responder")


@pytest.fixture
def viewer(org) -> Persona:
    return _persona(org, "viewer@acme.test", "viewer")


@pytest.fixture
def outsider(other_org) -> Persona:
    return _persona(other_org, "owner@globex.test", "owner")


@pytest.fixture
def page(org):
    from upstate.pages.services import create_page

    return create_page(org=org, name="Acme Status", slug="acme")


@pytest.fixture
def other_page(other_org):
    from upstate.pages.services import create_page

    return create_page(org=other_org, name="Globex Status", slug="globex")


@pytest.fixture
def api_component(page):
    from upstate.pages.services import create_component

    return create_component(page=page, name="API")


@pytest.fixture
def web_component(page):
    from upstate.pages.services import create_component

    return create_component(page=page, name="Website")


# --- A real server and a real browser -------------------------------------------------------

# Playwright's sync API runs an event loop in the test's thread; the ORM calls the tests make
# around it are still synchronous, so Django's async guard must stand aside.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True

    def process_request_thread(self, request, client_address):  # noqa: ANN001
        from django.db import connections

        try:
            super().process_request_thread(request, client_address)
        finally:
            # Each request runs in its own thread; leave no connection behind to block the
            # test database's teardown.
            connections.close_all()


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002, ANN001, ANN002
        pass


@pytest.fixture
def upstate_server(transactional_db):
    """The whole WSGI application (snapshot fast path + Django) on a free loopback port: the
    server itself, which a test may shut down to play an outage of Upstate. It shares the
    test database, so objects created by the test (and committed: this fixture implies
    ``transactional_db``) are visible to it."""
    from upstate.wsgi import application

    server = make_server("127.0.0.1", 0, application, _ThreadingWSGIServer, _QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()  # returns at once when the test shut it down already
        server.server_close()


@pytest.fixture
def live_upstate(upstate_server):
    """The base URL of `upstate_server`, e.g. ``http://127.0.0.1:41234``."""
    return f"http://127.0.0.1:{upstate_server.server_port}"


@pytest.fixture(scope="session")
def _chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
        )
        yield browser
        browser.close()


@pytest.fixture
def browser(_chromium, request):
    """A fresh browser context's page in headless Chromium; a screenshot of it is saved under
    ``test-artifacts/`` when the test fails."""
    context = _chromium.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    yield tab
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        tab.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


ARTIFACTS = Path(__file__).parent / "test-artifacts"


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
