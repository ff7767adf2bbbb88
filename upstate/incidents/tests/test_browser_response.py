"""The response state in a real browser: declaring acknowledges by default (the checkbox), the
list shows and filters triggered incidents, the incident shows its state."""

from __future__ import annotations

from playwright.sync_api import expect

from upstate.dashboard.tests.helpers import declare, sign_in


def test_declaring_acknowledges_unless_the_box_is_unticked(live_upstate, browser, owner, page):
    sign_in(browser, live_upstate, owner)
    browser.goto(f"{live_upstate}/dashboard/acme/incidents/new/")
    box = browser.get_by_label("I am on it (acknowledge)")
    expect(box).to_be_checked()
    browser.get_by_label("Title").fill("Search is slow")
    browser.get_by_role("button", name="Declare incident").click()
    expect(browser.get_by_role("heading", level=1)).to_have_text("Search is slow")
    expect(browser.locator("#incident-response")).to_have_text("Acknowledged")
    expect(browser.locator("dl.meta")).to_contain_text("owner@acme.test")

    browser.goto(f"{live_upstate}/dashboard/acme/incidents/new/")
    browser.get_by_label("Title").fill("Logins fail")
    browser.get_by_label("I am on it (acknowledge)").uncheck()
    browser.get_by_role("button", name="Declare incident").click()
    expect(browser.get_by_role("heading", level=1)).to_have_text("Logins fail")
    expect(browser.locator("#incident-response")).to_have_text("Triggered")
    browser.get_by_role("button", name="Acknowledge").click()
    expect(browser.locator("#incident-response")).to_have_text("Acknowledged")


def test_the_list_shows_and_filters_the_response_state(live_upstate, browser, owner, page):
    declare(page, "Nobody has this")
    declare(page, "Someone has this", acknowledge=True, author=owner.user)
    declare(page, "Long over", status="resolved")
    sign_in(browser, live_upstate, owner)
    browser.goto(f"{live_upstate}/dashboard/acme/incidents/")
    rows = browser.locator("#incident-results tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.filter(has_text="Nobody has this")).to_contain_text("Triggered")
    expect(rows.filter(has_text="Someone has this")).to_contain_text("Acknowledged")
    expect(rows.filter(has_text="Long over")).to_contain_text("Resolved")

    browser.get_by_label("Response").select_option("triggered")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Nobody has this")
    assert "response=triggered" in browser.url
