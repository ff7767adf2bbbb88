"""The dashboard under its Content-Security-Policy (no inline script) in a real browser: the
main screens load without a single violation and their scripts still work; the API's
documentation renders with the network cut off from everything but Upstate."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from upstate.dashboard.tests.helpers import declare, incident_url, sign_in

WATCH_CSP = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__csp.push(event.violatedDirective + " " + event.blockedURI);
});
"""


@pytest.fixture(autouse=True)
def _tasks_run_at_once():
    from huey.contrib.djhuey import HUEY

    was = HUEY.immediate
    HUEY.immediate = True
    yield
    HUEY.immediate = was


@pytest.fixture
def watched(browser):
    """The browser tab, with every CSP violation and console error it meets recorded."""
    browser.add_init_script(WATCH_CSP)
    errors: list[str] = []
    browser.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    browser.csp_errors = errors  # type: ignore[attr-defined]
    return browser


def _assert_clean(tab, where: str) -> None:  # noqa: ANN001
    violations = tab.evaluate("window.__csp || []")
    assert violations == [], f"{where}: {violations}"
    policy = [e for e in tab.csp_errors if "Content Security Policy" in e]
    assert policy == [], f"{where}: {policy}"


def test_the_main_screens_run_without_a_csp_violation(
    live_upstate, watched, owner, page, api_component, dns_server, settings
):
    from upstate.pages import domains
    from upstate.pages.services import update_page

    incident = declare(page, title="Checkout errors", impact="major")
    update_page(page=page, custom_domain="status.acme.test")
    page.refresh_from_db()
    dns_server.add_txt(
        domains.challenge_name(page.custom_domain), domains.challenge_value(page.domain_token)
    )
    tab = watched
    sign_in(tab, live_upstate, owner)
    response = tab.goto(f"{live_upstate}/dashboard/acme/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    _assert_clean(tab, "overview")

    # Every screen of the navigation.
    links = tab.locator(".mainnav a").evaluate_all("links => links.map(a => a.href)")
    assert len(links) >= 4
    for link in links:
        tab.goto(link)
        _assert_clean(tab, urlsplit(link).path)

    # The composer's shortcut (a static script now) posts an update.
    tab.goto(f"{live_upstate}{incident_url(incident)}")
    message = tab.get_by_label("Message", exact=True)
    message.fill("Rolling back the deploy.")
    message.press("Control+Enter")
    expect(tab.locator("#timeline")).to_contain_text("Rolling back the deploy.")
    _assert_clean(tab, "incident")

    # The monitor form shows only the fields of the chosen kind.
    tab.goto(f"{live_upstate}/dashboard/acme/monitors/new/")
    tab.get_by_label("Kind").select_option("tcp")
    expect(tab.get_by_label("URL", exact=True)).to_be_hidden()
    _assert_clean(tab, "monitor form")

    # The embed screen's copy buttons and its live widget preview.
    tab.goto(f"{live_upstate}/dashboard/acme/pages/acme/embed/")
    button = tab.locator("[data-copy]").first
    button.click()
    expect(button).not_to_have_text("Copy")
    _assert_clean(tab, "embed")

    # Page settings: the TXT record to add, and "Check now" finds it.
    tab.goto(f"{live_upstate}/dashboard/acme/pages/acme/settings/")
    expect(tab.locator("#domain-record-name")).to_have_text("_upstate-challenge.status.acme.test")
    expect(tab.locator("#domain-status")).not_to_contain_text("Verified")
    tab.get_by_role("button", name="Check now").click()
    expect(tab.locator("#domain-status")).to_contain_text("Verified")
    expect(tab.locator("#domain-status")).to_contain_text("Last checked")
    _assert_clean(tab, "page settings")


def test_the_api_documentation_renders_with_only_upstate_reachable(live_upstate, browser):
    own = urlsplit(live_upstate).netloc
    blocked: list[str] = []

    def only_upstate(route):  # noqa: ANN001, ANN202
        if urlsplit(route.request.url).netloc == own or route.request.url.startswith("data:"):
            return route.continue_()
        blocked.append(route.request.url)
        return route.abort()

    browser.route("**/*", only_upstate)
    # Generous waits: the whole API's schema is generated on the first request.
    browser.goto(f"{live_upstate}/api/v1/docs", timeout=120_000)

    expect(browser.locator(".opblock").first).to_be_visible(timeout=120_000)
    assert browser.locator(".opblock").count() > 20
    expect(browser.locator(".info .title")).to_contain_text("Upstate API")
    assert blocked == []


def test_hsts_is_sent_when_the_public_url_is_https(client, settings, db):
    settings.PUBLIC_URL = "https://status.upstate.example"
    response = client.get("/dashboard/login/", HTTP_HOST="status.upstate.example")
    assert response["Strict-Transport-Security"] == "max-age=31536000"
    assert "script-src 'self'" in response["Content-Security-Policy"]
    settings.PUBLIC_URL = "http://status.upstate.example"
    plain = client.get("/dashboard/login/", HTTP_HOST="status.upstate.example")
    assert "Strict-Transport-Security" not in plain
