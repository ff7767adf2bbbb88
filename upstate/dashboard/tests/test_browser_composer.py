"""The composer in a real browser: refusals swapped in place by htmx, keyboard shortcuts, and
the edit and severity controls around it."""

from __future__ import annotations

from playwright.sync_api import expect

from upstate.dashboard.tests.helpers import declare, incident_url, sign_in
from upstate.incidents.models import Incident
from upstate.incidents.services import MAX_MESSAGE


def _open(browser, base_url: str, incident) -> None:  # noqa: ANN001
    browser.goto(base_url + incident_url(incident))
    # A marker that survives htmx swaps but not a full page load.
    browser.evaluate("window.__samePage = true")


def test_a_refused_update_is_shown_inline_without_a_reload(live_upstate, browser, owner, page):
    incident = declare(page, "Search is slow")
    sign_in(browser, live_upstate, owner)
    _open(browser, live_upstate, incident)

    too_long = "x" * (MAX_MESSAGE + 1)
    browser.get_by_label("Message", exact=True).fill(too_long)
    browser.get_by_label("Status").select_option("monitoring")
    browser.get_by_role("button", name="Post update").click()

    error = browser.locator("#composer .has-error .error")
    expect(error).to_have_text(f"Must be at most {MAX_MESSAGE} characters")
    assert browser.evaluate("window.__samePage") is True
    # What was typed is kept, and nothing was posted.
    expect(browser.get_by_label("Status")).to_have_value("monitoring")
    assert len(browser.get_by_label("Message", exact=True).input_value()) == MAX_MESSAGE + 1
    expect(browser.locator("#incident-status")).to_have_text("Investigating")
    assert Incident.objects.get(id=incident.id).updates.count() == 1

    # Fixing it posts in place too.
    browser.get_by_label("Message", exact=True).fill("Back to normal speed; watching.")
    browser.get_by_role("button", name="Post update").click()
    expect(browser.locator("#incident-status")).to_have_text("Monitoring")
    expect(browser.locator("#composer .error")).to_have_count(0)
    assert browser.evaluate("window.__samePage") is True


def test_cmd_enter_posts_from_the_message_box(live_upstate, browser, owner, page):
    incident = declare(page, "Webhooks delayed")
    sign_in(browser, live_upstate, owner)
    _open(browser, live_upstate, incident)
    expect(browser.get_by_label("Status")).to_have_value("identified")
    message = browser.get_by_label("Message", exact=True)
    message.fill("A stuck queue consumer; restarting it.")
    message.press("Meta+Enter")
    expect(browser.locator("#incident-status")).to_have_text("Identified")
    expect(browser.locator("#timeline")).to_contain_text("A stuck queue consumer")
    # Enter alone is a new line, not a post.
    browser.get_by_label("Message", exact=True).fill("line one")
    browser.get_by_label("Message", exact=True).press("Enter")
    expect(browser.get_by_label("Message", exact=True)).to_have_value("line one\n")
    assert Incident.objects.get(id=incident.id).updates.count() == 2
    assert browser.evaluate("window.__samePage") is True


def test_edit_the_details_of_a_declared_incident(live_upstate, browser, owner, page):
    incident = declare(page, "Search slow", impact="minor")
    sign_in(browser, live_upstate, owner)
    browser.goto(live_upstate + incident_url(incident))
    browser.get_by_role("link", name="Edit details").click()
    browser.get_by_label("Title").fill("")
    browser.get_by_role("button", name="Save details").click()
    expect(browser.locator("#id_title_error")).to_have_text("This field is required.")
    browser.get_by_label("Title").fill("Search is slow for large accounts")
    browser.get_by_label("Impact").select_option("major")
    browser.get_by_label("Severity").select_option("medium")
    browser.get_by_role("button", name="Save details").click()
    expect(browser.get_by_role("heading", level=1)).to_have_text(
        "Search is slow for large accounts"
    )
    expect(browser.locator(".page-head")).to_contain_text("Impact: Major")
    expect(browser.locator(".page-head")).to_contain_text("Severity: Medium")


def test_the_severity_select_follows_the_chosen_page(live_upstate, browser, owner, page):
    from upstate.pages.services import create_page

    create_page(org=owner.org, name="Internal tools", slug="acme-tools", show_severity=False)
    sign_in(browser, live_upstate, owner)
    browser.goto(f"{live_upstate}/dashboard/acme/incidents/new/?page=acme")
    expect(browser.get_by_label("Severity")).to_be_visible()
    browser.get_by_label("Page", exact=True).select_option("acme-tools")
    expect(browser.get_by_label("Severity")).to_have_count(0)
    browser.get_by_label("Page", exact=True).select_option("acme")
    expect(browser.get_by_label("Severity")).to_be_visible()
