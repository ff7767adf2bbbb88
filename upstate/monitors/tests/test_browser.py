"""The monitor screens in a real browser: create with "test now", the detail page with its
chart, uptime and checks, and the list."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from upstate.dashboard.tests.helpers import sign_in
from upstate.monitors.models import Monitor, MonitorStatus
from upstate.monitors.services import check_and_record, roll_up

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


def test_create_test_and_watch_a_monitor(
    live_upstate, browser, owner, page, api_component, http_target, tcp_target
):
    sign_in(browser, live_upstate, owner)
    browser.get_by_role("link", name="Monitors").click()
    expect(browser.get_by_text("No monitors yet.")).to_be_visible()
    browser.get_by_role("link", name="New monitor").click()

    browser.get_by_label("Name").fill("Database port")
    browser.get_by_label("Kind").select_option("tcp")
    # Only the fields of the chosen kind are shown.
    expect(browser.get_by_label("URL")).to_be_hidden()
    browser.get_by_label("Host").fill("127.0.0.1")
    browser.get_by_label("Port").fill(str(tcp_target.port))
    browser.locator("#id_page").select_option(label="Acme Status")
    browser.get_by_label("Component").select_option(label="Acme Status – API")

    browser.get_by_role("button", name="Test now").click()
    expect(browser.locator(".test-result")).to_contain_text("Passed")
    expect(browser.locator(".test-result")).to_contain_text("connected")
    tcp_target.close()
    browser.get_by_role("button", name="Test now").click()
    expect(browser.locator(".test-result")).to_contain_text("Connection refused")
    tcp_target.open()

    browser.get_by_label("Interval (seconds)").fill("5")
    browser.get_by_role("button", name="Create monitor").click()
    expect(browser.get_by_text("Ensure this value is greater than or equal to 10.")).to_be_visible()
    browser.get_by_label("Interval (seconds)").fill("30")
    browser.get_by_role("button", name="Create monitor").click()
    expect(browser.get_by_role("heading", name="Database port")).to_be_visible()

    monitor = Monitor.objects.get()
    check_and_record(monitor)
    roll_up()
    browser.reload()
    expect(browser.locator("#monitor-status")).to_have_text("Up")
    expect(browser.locator("#uptime")).to_contain_text("100.00 %")
    expect(browser.locator("svg.chart polyline")).to_have_count(1)
    expect(browser.locator("#results")).to_contain_text("connected")
    browser.get_by_role("button", name="Test now").click()
    expect(browser.locator("#test-result")).to_contain_text("Passed")

    browser.get_by_role("link", name="Monitors").click()
    row = browser.get_by_role("row", name="Database port")
    expect(row).to_contain_text("Up")
    expect(row).to_contain_text("100.00 %")
    assert monitor.status == MonitorStatus.UP
