"""Incident awareness in a real browser: linking a possible match with a click in the
dashboard (htmx), and the public page's box with JavaScript turned off."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from upstate.awareness.models import ConversationLink
from upstate.awareness.services import ConversationRef, record_conversation
from upstate.dashboard.tests.helpers import incident_url, sign_in
from upstate.incidents.services import create_incident


@pytest.fixture
def live_login_incident(page):
    # Committed (live_upstate's transactional database): the worker path indexes it.
    return create_incident(
        page=page,
        title="Authentication latency degraded",
        message="Some users may see timeouts when logging in.",
        notify=False,
    )


def test_a_possible_match_is_linked_with_a_click(
    live_upstate, browser, owner, org, live_login_incident
):
    record_conversation(
        org=org,
        ref=ConversationRef(source="zendesk", external_id="77"),
        text="your login keeps timing out, i cannot sign in",
    )
    sign_in(browser, live_upstate, owner)
    browser.goto(live_upstate + incident_url(live_login_incident))
    browser.evaluate("window.__samePage = true")
    panel = browser.locator("#conversations")
    expect(panel.locator("#linked-count")).to_have_text("0")
    possible = panel.locator("#possible-matches li")
    expect(possible).to_have_count(1)
    expect(possible).to_contain_text("zendesk #77")
    expect(possible.locator(".badge")).to_have_text(re.compile(r"\d+%"))

    possible.get_by_role("button", name="Link zendesk #77").click()

    expect(panel.locator("#linked-count")).to_have_text("1")
    expect(panel.locator("#linked-conversations")).to_contain_text("zendesk #77")
    expect(panel.locator("#possible-matches")).to_have_count(0)
    assert browser.evaluate("window.__samePage") is True
    assert ConversationLink.objects.get().linked_via == "dashboard"


def test_the_public_box_works_without_javascript(live_upstate, _chromium, live_login_incident):
    context = _chromium.new_context(java_script_enabled=False)
    tab = context.new_page()
    try:
        tab.goto(f"{live_upstate}/p/acme/")
        tab.get_by_label("What is not working for you?").fill("your login keeps timing out")
        tab.get_by_role("button", name="Check").click()
        expect(tab.get_by_role("heading", name="This looks like a known problem")).to_be_visible()
        tab.get_by_role("link", name="Authentication latency degraded").click()
        expect(tab).to_have_url(f"{live_upstate}/p/acme/incidents/{live_login_incident.code}")

        tab.goto(f"{live_upstate}/p/acme/")
        tab.get_by_label("What is not working for you?").fill("how do I change my avatar?")
        tab.get_by_role("button", name="Check").click()
        expect(tab.get_by_role("heading", name="Nothing we know of")).to_be_visible()
        expect(tab.get_by_role("button", name="Subscribe")).to_be_visible()
    finally:
        context.close()
