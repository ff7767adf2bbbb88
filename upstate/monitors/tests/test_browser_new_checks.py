"""In a real browser: an HTTP monitor with a JSON value and a redirect limit, tested before
saving against a local server; a heartbeat's last ping with its body, shown as text."""

from __future__ import annotations

import json

import httpx
import pytest
from playwright.sync_api import expect

from upstate.dashboard.tests.helpers import sign_in
from upstate.monitors.models import Monitor
from upstate.monitors.services import create_monitor
from upstate.monitors.tests.test_redirects_and_json import Routes

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


def test_a_json_check_with_redirects_from_the_form(live_upstate, browser, owner, page, settings):
    settings.ALLOW_PRIVATE_TARGETS = True
    routes = Routes()
    routes.routes = {
        "/health": (302, {"Location": "/status.json"}, b""),
        "/status.json": (200, {}, json.dumps({"status": {"indicator": "minor"}}).encode()),
    }
    try:
        sign_in(browser, live_upstate, owner)
        browser.goto(f"{live_upstate}/dashboard/acme/monitors/new/")
        browser.get_by_label("Name").fill("Status JSON")
        browser.get_by_label("URL").fill(routes.url("/health"))
        expect(browser.get_by_text("e.g. status.indicator or checks[0].ok")).to_be_visible()
        browser.get_by_label("JSON path").fill("status.indicator")
        browser.get_by_label("Expected JSON value").fill("none")
        expect(browser.get_by_label("Follow redirects")).to_be_checked()
        browser.locator("#id_page").select_option(label="Acme Status")

        browser.get_by_role("button", name="Test now").click()
        expect(browser.locator(".test-result")).to_contain_text(
            'status.indicator is "minor", expected none'
        )
        browser.get_by_label("Redirect limit").fill("0")
        browser.get_by_role("button", name="Test now").click()
        expect(browser.locator(".test-result")).to_contain_text("more than 0 redirects")
        browser.get_by_label("Redirect limit").fill("2")
        browser.get_by_label("Expected JSON value").fill("minor")
        browser.get_by_role("button", name="Test now").click()
        expect(browser.locator(".test-result")).to_contain_text("Passed")

        browser.get_by_role("button", name="Create monitor").click()
        expect(browser.get_by_role("heading", name="Status JSON")).to_be_visible()
        monitor = Monitor.objects.get()
        assert (monitor.json_path, monitor.json_expected) == ("status.indicator", "minor")
        assert (monitor.follow_redirects, monitor.max_redirects) == (True, 2)
    finally:
        routes.close()


def test_a_heartbeats_last_ping_shows_its_body_as_text(live_upstate, browser, owner, org):
    backup = create_monitor(
        org=org,
        name="Nightly backup",
        kind="heartbeat",
        interval_seconds=3600,
        create_incident=False,
    )
    base = f"{live_upstate}/api/v1/heartbeat/{backup.token}"
    assert httpx.get(f"{base}/start").status_code == 200
    body = "<img src=x onerror=alert(1)>\nbackup failed: disk full"
    assert httpx.post(f"{base}/2", content=body.encode()).status_code == 200

    sign_in(browser, live_upstate, owner)
    browser.goto(f"{live_upstate}/dashboard/acme/monitors/{backup.code}/")
    expect(browser.locator("#last-ping-kind")).to_have_text("exit code 2 (failure)")
    expect(browser.locator("#last-ping-body")).to_have_text(body)
    expect(browser.locator("#last-ping-body img")).to_have_count(0)
    expect(browser.locator("#results")).to_contain_text("the job exited with code 2")
