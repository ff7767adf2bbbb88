"""An admin configures Twilio and the WhatsApp Cloud API in a real browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from upstate.dashboard.tests.helpers import open_nav, sign_in
from upstate.notifications.models import ProviderConfig

pytestmark = pytest.mark.django_db(transaction=True)

SID = "AC" + "0123456789abcdef" * 2
TOKEN = "twilio-token-in-browser-4321"


def test_an_admin_sets_up_sms_and_whatsapp(live_upstate, browser, owner):
    sign_in(browser, live_upstate, owner)
    open_nav(browser, "Notification providers")
    expect(browser.get_by_role("heading", name="Notification providers")).to_be_visible()

    browser.get_by_label("Twilio Account SID").fill("AC123")
    browser.get_by_label("SMS sender").fill("+15005550006")
    browser.get_by_role("button", name="Save providers").click()
    expect(browser.get_by_text("must be AC followed by 32 hex digits")).to_be_visible()
    browser.get_by_label("Twilio Account SID").fill(SID)
    browser.get_by_role("button", name="Save providers").click()
    expect(browser.get_by_text("is needed with an Account SID")).to_be_visible()
    expect(browser.get_by_label("SMS sender")).to_have_value("+15005550006")

    browser.get_by_label("Twilio Auth Token").fill(TOKEN)
    browser.get_by_label("Send WhatsApp through").select_option("cloud")
    browser.get_by_label("WhatsApp phone number ID").fill("106540352242922")
    browser.get_by_label("WhatsApp access token").fill("EAAG-secret-token-0000")
    browser.get_by_role("button", name="Save providers").click()
    expect(browser.get_by_text("Notification providers saved.")).to_be_visible()
    expect(browser.get_by_text("through Twilio", exact=True)).to_be_visible()
    expect(browser.get_by_text("through WhatsApp Cloud API (Meta)", exact=True)).to_be_visible()

    # The token is never sent back to the browser, only a hint of it.
    assert TOKEN not in browser.content()
    token_field = browser.get_by_label("Twilio Auth Token")
    expect(token_field).to_have_value("")
    expect(token_field).to_have_attribute("placeholder", "••••4321 (stored)")
    config = ProviderConfig.objects.get()
    assert config.secret("twilio_auth_token") == TOKEN


def test_responders_do_not_see_the_providers_page(live_upstate, browser, responder):
    sign_in(browser, live_upstate, responder)
    expect(browser.get_by_role("link", name="Notification providers")).to_have_count(0)
    response = browser.goto(f"{live_upstate}/dashboard/acme/providers/")
    assert response.status == 403
