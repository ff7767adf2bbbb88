"""The embeds in a real browser, on a customer's site: a page served by another HTTP server (so
another origin) that embeds the widget, the banner, the iframe, the badges and Statuspage's own
web component, all against the whole Upstate WSGI application."""

from __future__ import annotations

import functools
import gzip
import shutil
import socket
import subprocess
import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from datetime import timedelta
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from upstate.incidents.services import create_incident
from upstate.maintenance.services import post_maintenance_update, schedule_maintenance
from upstate.pages.services import create_component, create_page, update_page
from upstate.public.widget import WIDGET_FILE

NPM = Path(__file__).resolve().parents[3] / "tests" / "npm"
STATUSPAGE_WIDGET = NPM / "node_modules" / "@statuspage" / "status-widget" / "dist" / "index.js"

# The widget's colours (widget.js) as the browser computes them.
COLOURS = {
    "none": "rgb(45, 164, 78)",
    "minor": "rgb(212, 167, 44)",
    "major": "rgb(225, 111, 36)",
    "critical": "rgb(207, 34, 46)",
    "maintenance": "rgb(33, 139, 255)",
}


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002, ANN001, ANN002
        pass


@pytest.fixture
def site(tmp_path) -> Iterator[Callable[[str], str]]:
    """A customer's website on its own origin: ``site(html)`` publishes a page, returns its
    URL. Statuspage's web component is served from it too, as a customer would host it."""
    root = tmp_path / "site"
    root.mkdir()
    handler = functools.partial(_Quiet, directory=str(root))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    counter = iter(range(1000))

    def publish(body: str) -> str:
        name = f"page{next(counter)}.html"
        (root / name).write_text(f"<!doctype html><html><head><meta charset='utf-8'></head>{body}")
        return f"http://localhost:{server.server_port}/{name}"

    publish.root = root  # type: ignore[attr-defined]
    try:
        yield publish
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def live_page(transactional_db):
    from upstate.orgs.services import create_org

    org = create_org(slug="acme", name="Acme Inc")
    page = create_page(org=org, name="Acme Status", slug="acme")
    create_component(page=page, name="API")
    create_component(page=page, name="Payments")
    create_component(page=page, name="Website")
    return page


@pytest.fixture
def errors(browser: Page) -> list[str]:
    """Uncaught exceptions in the customer's page."""
    found: list[str] = []
    browser.on("pageerror", lambda error: found.append(str(error)))
    return found


def _component(page, name: str):  # noqa: ANN001, ANN202
    return page.components.get(name=name)


def _widget(base: str, *, extra: str = "") -> str:
    return (
        f'<script src="{base}/widget.js" data-page="acme" data-interval="5"{extra} async></script>'
    )


def _dot_colour(tab: Page) -> str:
    return tab.locator("upstate-status .dot").evaluate("el => getComputedStyle(el).backgroundColor")


def _make_state(page, state: str) -> str:  # noqa: ANN001
    """Put the page in ``state``; return the text the widget should show."""
    if state == "none":
        return "All Systems Operational"
    if state == "maintenance":
        now = timezone.now()
        maintenance = schedule_maintenance(
            page=page,
            title="Database upgrade",
            starts_at=now - timedelta(minutes=5),
            ends_at=now + timedelta(hours=1),
            components=[_component(page, "API")],
        )
        post_maintenance_update(maintenance=maintenance, status="in_progress")
        return "Database upgrade"
    title = f"{state.capitalize()} trouble with payments"
    create_incident(
        page=page, title=title, impact=state, components={_component(page, "Payments"): None}
    )
    return title


# --- The script widget -------------------------------------------------------------------


@pytest.mark.parametrize("state", ["none", "minor", "major", "critical", "maintenance"])
def test_the_widget_shows_the_status_in_words_and_colour(
    live_upstate, live_page, site, browser, errors, state
):
    text = _make_state(live_page, state)

    browser.goto(site(f"<body><h1>Acme shop</h1>{_widget(live_upstate)}</body>"))

    widget = browser.locator("upstate-status a")
    expect(widget.locator(".t")).to_have_text(text)
    assert _dot_colour(browser) == COLOURS[state]
    expect(widget).to_have_attribute("href", f"{live_upstate}/p/acme/")
    expect(widget).to_have_attribute("target", "_blank")
    if state == "maintenance":
        expect(widget.locator(".s")).to_have_text("In progress")
    elif state != "none":
        expect(widget.locator(".s")).to_have_text("Investigating")
    position = widget.evaluate("el => getComputedStyle(el).position")
    assert position == "fixed"
    assert errors == []


def test_the_widget_follows_a_new_incident_without_a_reload(
    live_upstate, live_page, site, browser, errors
):
    browser.goto(site(f"<body>{_widget(live_upstate)}</body>"))
    expect(browser.locator("upstate-status .t")).to_have_text("All Systems Operational")

    create_incident(
        page=live_page,
        title="Checkout errors",
        impact="critical",
        components={_component(live_page, "Payments"): None},
    )

    expect(browser.locator("upstate-status .t")).to_have_text("Checkout errors", timeout=15_000)
    assert _dot_colour(browser) == COLOURS["critical"]
    assert errors == []


def test_the_widget_opens_the_status_page(live_upstate, live_page, site, browser):
    browser.goto(site(f"<body>{_widget(live_upstate)}</body>"))

    with browser.context.expect_page() as opened:
        browser.locator("upstate-status a").click()

    status_page = opened.value
    expect(status_page.locator("#overall")).to_have_text("All Systems Operational")


def test_the_widget_renders_inline_compact_and_dark(live_upstate, live_page, site, browser):
    _make_state(live_page, "major")
    extra = ' data-target="#status" data-compact data-theme="dark"'

    browser.goto(
        site(f"<body><footer><p id='status'></p></footer>{_widget(live_upstate, extra=extra)}")
    )

    widget = browser.locator("#status upstate-status a")
    expect(widget.locator(".t")).to_have_text("Minor Service Outage")
    expect(widget.locator(".s")).to_have_count(0)
    assert widget.evaluate("el => getComputedStyle(el).position") == "static"
    assert widget.evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(22, 27, 34)"


def test_the_widget_keeps_its_styles_to_itself(live_upstate, live_page, site, browser):
    hostile = """<style>
      body { font: 40px/2 serif; color: rgb(255, 0, 0); }
      a, span, div { color: rgb(255, 0, 0) !important; font-size: 40px !important; }
      .dot { background: rgb(0, 0, 0) !important; width: 50px; }
      .w { border-radius: 0; }
    </style>"""
    mine = '<a class="w" id="mine" href="#">mine</a><span class="dot" id="my-dot">x</span>'

    browser.goto(site(f"{hostile}<body>{mine}{_widget(live_upstate)}</body>"))

    text = browser.locator("upstate-status .t")
    expect(text).to_have_text("All Systems Operational")
    assert text.evaluate("el => getComputedStyle(el).fontSize") == "14px"
    assert text.evaluate("el => getComputedStyle(el).fontFamily").startswith("system-ui")
    assert _dot_colour(browser) == COLOURS["none"]
    # ...and the widget's rules for .w and .dot do not reach the host page's own elements.
    mine_style = browser.locator("#mine").evaluate(
        "el => [getComputedStyle(el).borderRadius, getComputedStyle(el).position]"
    )
    assert mine_style == ["0px", "static"]
    assert browser.locator("#my-dot").evaluate("el => getComputedStyle(el).height") != "10px"


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_widget_is_quiet_when_upstate_is_down(upstate_server, live_page, site, browser, errors):
    server = upstate_server
    base = f"http://127.0.0.1:{server.server_port}"
    # One widget from a server that will go down, one from nowhere at all.
    nowhere = f"http://127.0.0.1:{_closed_port()}"
    body = f"<body><p id='content'>Shop</p>{_widget(base)}{_widget(nowhere)}</body>"
    browser.goto(site(body))
    expect(browser.locator("upstate-status .t")).to_have_text("All Systems Operational")

    server.shutdown()
    server.server_close()
    browser.wait_for_timeout(6_000)  # a poll or more against the closed port

    expect(browser.locator("upstate-status")).to_have_count(1)  # the last known state stays
    expect(browser.locator("upstate-status .t")).to_have_text("All Systems Operational")
    expect(browser.locator("#content")).to_have_text("Shop")
    assert errors == []


def test_a_widget_for_an_unknown_page_renders_nothing(live_upstate, site, browser, errors):
    body = f'<body><script src="{live_upstate}/widget.js" data-page="nobody" async></script></body>'

    with browser.expect_request(lambda r: "widget.json" in r.url):
        browser.goto(site(body))

    browser.wait_for_timeout(500)
    expect(browser.locator("upstate-status")).to_have_count(0)
    assert errors == []


def test_the_widget_script_is_small_and_cached(live_upstate, transactional_db):
    response = httpx.get(f"{live_upstate}/widget.js", headers={"Accept-Encoding": "gzip"})

    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert response.headers["Cache-Control"] == "public, max-age=300"
    assert len(gzip.compress(WIDGET_FILE.read_bytes(), compresslevel=6)) < 10 * 1024
    assert int(response.headers["Content-Length"]) < 10 * 1024


# --- The in-product banner -----------------------------------------------------------------


def test_the_banner_shows_only_for_the_chosen_components(
    live_upstate, live_page, site, browser, errors
):
    payments = _component(live_page, "Payments")
    create_incident(
        page=live_page,
        title="API latency",
        impact="minor",
        components={_component(live_page, "API"): None},
    )
    extra = f' data-mode="banner" data-components="{payments.code}"'
    url = site(f"<body><main>Checkout</main>{_widget(live_upstate, extra=extra)}</body>")

    with browser.expect_response(lambda r: "widget.json" in r.url):
        browser.goto(url)
    browser.wait_for_timeout(300)
    expect(browser.locator("upstate-status [role=status]")).to_have_count(0)

    incident = create_incident(
        page=live_page,
        title="Payments are delayed",
        impact="major",
        components={payments: None},
    )

    banner = browser.locator("upstate-status [role=status]")
    expect(banner).to_contain_text("Payments are delayed — Investigating", timeout=15_000)
    assert (
        banner.locator(".dot").evaluate("el => getComputedStyle(el).backgroundColor")
        == COLOURS["major"]
    )
    assert banner.evaluate("el => getComputedStyle(el).position") == "fixed"
    details = banner.get_by_role("link", name="Details")
    expect(details).to_have_attribute("href", f"{live_upstate}/p/acme/incidents/{incident.code}")

    banner.get_by_role("button", name="Dismiss").click()
    expect(banner).to_have_count(0)
    browser.reload()
    browser.wait_for_timeout(1_000)
    expect(banner).to_have_count(0)  # dismissed for this visit
    assert errors == []


def test_the_banner_follows_components_by_name_and_inline(live_upstate, live_page, site, browser):
    now = timezone.now()
    maintenance = schedule_maintenance(
        page=live_page,
        title="Card processor maintenance",
        starts_at=now - timedelta(minutes=1),
        ends_at=now + timedelta(hours=1),
        components=[_component(live_page, "Payments")],
    )
    post_maintenance_update(maintenance=maintenance, status="in_progress")
    extra = ' data-mode="banner" data-components="payments" data-target="#notice"'

    browser.goto(site(f"<body><div id='notice'></div>{_widget(live_upstate, extra=extra)}</body>"))

    banner = browser.locator("#notice upstate-status [role=status]")
    expect(banner).to_contain_text("Card processor maintenance — In progress")
    assert banner.evaluate("el => getComputedStyle(el).position") == "static"


# --- The iframe and the badges -------------------------------------------------------------


def test_the_embed_loads_in_an_iframe_and_nothing_else_does(live_upstate, live_page, site, browser):
    _make_state(live_page, "critical")
    frames = (
        f'<iframe id="embed" src="{live_upstate}/p/acme/embed" width="400" height="300"></iframe>'
        f'<iframe id="page" src="{live_upstate}/p/acme/" width="400" height="300"></iframe>'
    )

    browser.goto(site(f"<body>{frames}</body>"))

    embed = browser.frame_locator("#embed")
    expect(embed.locator("#overall")).to_have_text("Partial System Outage")
    expect(embed.get_by_role("link", name="Critical trouble with payments")).to_be_visible()
    expect(embed.locator(".components li")).to_have_count(3)
    browser.wait_for_timeout(500)
    expect(browser.frame_locator("#page").locator("#overall")).to_have_count(0)  # refused


def test_badges_load_on_another_site_and_are_valid_svg(live_upstate, live_page, site, browser):
    _make_state(live_page, "major")
    payments = _component(live_page, "Payments")
    images = "".join(
        f'<img class="badge" src="{live_upstate}/p/acme/{path}">'
        for path in (
            "badge.svg",
            "badge.svg?style=for-the-badge",
            f"components/{payments.code}/badge.svg?style=flat-square",
            "badge.svg?label=Acme+shop",
        )
    )

    browser.goto(site(f"<body>{images}</body>"))

    widths = browser.locator("img.badge").evaluate_all(
        "imgs => Promise.all(imgs.map(i => i.decode().then(() => i.naturalWidth)))"
    )
    assert all(width > 40 for width in widths)
    svg = "{http://www.w3.org/2000/svg}"
    for path, expected in [
        ("badge.svg", ["status", "minor service outage"]),
        (
            f"components/{payments.code}/badge.svg?style=for-the-badge",
            ["PAYMENTS", "PARTIAL OUTAGE"],
        ),
        ("badge.svg?label=Acme+shop&style=flat", ["Acme shop", "minor service outage"]),
    ]:
        response = httpx.get(f"{live_upstate}/p/acme/{path}")
        assert response.headers["Content-Type"] == "image/svg+xml"
        root = ET.fromstring(response.content)
        texts = [t.text for t in root.iter(f"{svg}text") if t.get("fill-opacity") is None]
        assert texts == expected, path


# --- Atlassian Statuspage's web component ----------------------------------------------------


@pytest.fixture(scope="session")
def statuspage_widget() -> Path:
    """``@statuspage/status-widget`` from npm (``make test`` installs tests/npm)."""
    if not STATUSPAGE_WIDGET.exists():
        npm = shutil.which("npm")
        if npm is None:
            pytest.skip("npm is needed to install @statuspage/status-widget (see tests/npm)")
        command = [npm, "ci", "--prefix", str(NPM), "--ignore-scripts", "--no-audit", "--no-fund"]
        subprocess.run(command, check=True, capture_output=True, timeout=300)  # noqa: S603
    return STATUSPAGE_WIDGET


@pytest.fixture
def browser_resolving_acme(browser):
    """A Chromium of its own in which status.acme.test is the loopback interface."""
    chromium = browser.context.browser.browser_type.launch(
        executable_path="/usr/bin/chromium",
        headless=True,
        args=["--no-sandbox", "--host-resolver-rules=MAP status.acme.test 127.0.0.1"],
    )
    yield chromium.new_page()
    chromium.close()


def test_statuspages_own_web_component_shows_the_status(
    live_upstate, live_page, site, browser_resolving_acme, statuspage_widget, prove_domain
):
    # It fetches /api/v2/summary.json at the root of its src: the page's (verified) custom
    # domain, which this browser resolves to the loopback interface.
    update_page(page=live_page, custom_domain="status.acme.test")
    prove_domain(live_page)
    _make_state(live_page, "critical")
    shutil.copy(statuspage_widget, site.root / "status-widget.js")  # type: ignore[attr-defined]
    port = live_upstate.rsplit(":", 1)[1]
    browser = browser_resolving_acme

    browser.goto(
        site(
            '<body><script src="status-widget.js"></script>'
            f'<statuspage-widget src="http://status.acme.test:{port}"></statuspage-widget>'
            f'<statuspage-widget src="http://status.acme.test:{port}" appearance="badge">'
            "</statuspage-widget></body>"
        )
    )

    basic = browser.locator("statuspage-widget").first
    expect(basic.locator(".status-text")).to_have_text("Partial System Outage")
    expect(basic.locator(".status-indicator")).to_have_class("status-indicator major")
    colour = basic.locator(".status-indicator").evaluate(
        "el => getComputedStyle(el).backgroundColor"
    )
    assert colour == "rgb(230, 126, 34)"  # its own orange for "major"
    badge = browser.locator("statuspage-widget").nth(1)
    expect(badge.locator(".status-indicator")).to_contain_class("major")
