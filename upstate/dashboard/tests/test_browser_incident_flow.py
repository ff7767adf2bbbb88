"""A responder walks an incident from declared to postmortem in a real browser."""

from __future__ import annotations

import re
import urllib.request

from playwright.sync_api import expect

from upstate.dashboard.tests.helpers import sign_in


def _public(base_url: str, path: str) -> str:
    with urllib.request.urlopen(f"{base_url}{path}", timeout=10) as response:
        return response.read().decode()


def test_declare_update_resolve_and_publish_a_postmortem(
    live_upstate, browser, owner, page, api_component, web_component
):
    sign_in(browser, live_upstate, owner)

    # Declare, with two components: one following the impact, one set by hand.
    browser.get_by_role("link", name="Declare incident").click()
    browser.get_by_label("Title").fill("Checkout fails for card payments")
    browser.get_by_label("Impact").select_option("major")
    browser.get_by_label("Severity").select_option("high")
    browser.get_by_label("API").select_option("impact")
    browser.get_by_label("Website").select_option("degraded_performance")
    browser.get_by_label("First message").fill("We are **investigating** failed payments.")
    expect(browser.locator("#create-preview .prose strong")).to_have_text("investigating")
    browser.get_by_label("I am on it (acknowledge)").uncheck()  # acknowledged further down
    browser.get_by_role("button", name="Declare incident").click()

    expect(browser.get_by_role("heading", level=1)).to_have_text("Checkout fails for card payments")
    expect(browser.locator("#incident-status")).to_have_text("Investigating")
    affected = browser.locator("#affected")
    expect(affected).to_contain_text("API Partial outage")
    expect(affected).to_contain_text("Website Degraded performance")
    public = _public(live_upstate, "/p/acme/")
    assert "Checkout fails for card payments" in public

    # The composer suggests the next status; Ctrl+Enter posts without reloading the page.
    status = browser.get_by_label("Status")
    expect(status).to_have_value("identified")
    message = browser.get_by_label("Message", exact=True)
    message.fill("A bad deploy; rolling back.")
    expect(browser.locator("#composer-preview")).to_contain_text("A bad deploy; rolling back.")
    message.press("Control+Enter")
    expect(browser.locator("#incident-status")).to_have_text("Identified")
    expect(browser.locator("#timeline")).to_contain_text("A bad deploy; rolling back.")
    expect(browser.get_by_label("Status")).to_have_value("monitoring")

    browser.get_by_label("Message", exact=True).fill("Rolled back, watching error rates.")
    browser.get_by_role("button", name="Post update").click()
    expect(browser.locator("#incident-status")).to_have_text("Monitoring")
    expect(browser.get_by_label("Status")).to_have_value("resolved")

    browser.get_by_role("button", name="Acknowledge").click()
    # The page after the acknowledgement has no such button: wait for it, since the owner's
    # name may show already (who declares owns) and a click on the old page would be lost.
    expect(browser.get_by_role("button", name="Acknowledge")).to_have_count(0)
    expect(browser.locator("dl.meta")).to_contain_text("owner@acme.test")
    expect(browser.locator("dl.meta")).not_to_contain_text("not yet")

    # Resolve: the components return to operational.
    browser.get_by_role("button", name="Resolve incident").click()
    expect(browser.locator("#incident-status")).to_have_text("Resolved")
    expect(affected).to_contain_text("API Operational")
    expect(affected).to_contain_text("Website Operational")

    # Postmortem: save a draft with an action item, then publish.
    browser.get_by_role("link", name="Write postmortem").click()
    browser.get_by_label("Summary").fill("A deploy without its migration broke checkout.")
    browser.get_by_label("Root cause").fill("The migration step was skipped.")
    expect(browser.locator("#id_pm-summary_preview")).to_contain_text("without its migration")
    row = browser.locator(".action-item").first
    row.get_by_label("Title").fill("Block deploys with pending migrations")
    # An action item is a task: its assignee is one of the organization's members.
    row.get_by_label("Assignee").select_option("owner@acme.test")
    row.get_by_label("Due date").fill("2030-01-31")
    browser.get_by_role("button", name="Save draft").click()
    expect(browser.locator(".messages")).to_contain_text("Postmortem saved")
    expect(browser.locator(".action-item").first.get_by_label("Title")).to_have_value(
        "Block deploys with pending migrations"
    )
    expect(browser.locator(".action-item").first.get_by_label("Assignee")).to_have_value(
        "owner@acme.test"
    )
    browser.get_by_role("button", name="Publish").click()
    expect(browser.locator("#incident-status")).to_have_text("Postmortem")
    expect(browser.locator("#timeline")).to_contain_text("A postmortem for this incident")

    public = _public(live_upstate, "/p/acme/")
    assert "Checkout fails for card payments" in public
    assert re.search(r"postmortem", public, re.IGNORECASE)


def test_a_viewer_sees_no_write_controls_in_the_browser(live_upstate, browser, viewer, page):
    from upstate.dashboard.tests.helpers import declare

    incident = declare(page, "Slow search")
    sign_in(browser, live_upstate, viewer)
    browser.goto(f"{live_upstate}/dashboard/acme/incidents/{incident.code}/")
    expect(browser.get_by_role("heading", level=1)).to_have_text("Slow search")
    expect(browser.get_by_role("button", name="Post update")).to_have_count(0)
    expect(browser.get_by_role("button", name="Resolve incident")).to_have_count(0)
    expect(browser.get_by_role("link", name="Declare incident")).to_have_count(0)


def test_the_incident_list_filters_as_you_type(live_upstate, browser, owner, page):
    from upstate.dashboard.tests.helpers import declare

    declare(page, "Checkout slow")
    declare(page, "Login broken")
    sign_in(browser, live_upstate, owner)
    browser.get_by_role("link", name="Incidents", exact=True).click()
    results = browser.locator("#incident-results")
    expect(results).to_contain_text("Login broken")
    browser.get_by_label("Search titles").fill("check")
    expect(results).not_to_contain_text("Login broken")
    expect(results).to_contain_text("Checkout slow")
    assert "q=check" in browser.url


def test_it_fits_a_phone_screen(live_upstate, browser, owner, page):
    browser.set_viewport_size({"width": 390, "height": 844})
    sign_in(browser, live_upstate, owner)
    browser.goto(f"{live_upstate}/dashboard/acme/incidents/new/")
    width = browser.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
