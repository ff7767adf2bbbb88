"""The full subscribe form and the manage page in headless Chromium with JavaScript off: every
channel the page offers, validation messages naming the field, whole page or chosen components,
then changing components and unsubscribing from the manage link."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from upstate.notifications.services import configure_providers
from upstate.notifications.tests.providers import provider_server  # noqa: F401
from upstate.subscribers.models import Subscriber

CHANNELS = ["Email", "Webhook", "Slack", "Microsoft Teams", "Discord", "SMS", "WhatsApp"]
SID = "AC" + "fedcba9876543210" * 2


@pytest.fixture(autouse=True)
def _fresh_limits(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    cache.clear()


@pytest.fixture
def tab(_chromium):
    """A browser tab with JavaScript disabled: the form must work without it."""
    context = _chromium.new_context(
        java_script_enabled=False, viewport={"width": 900, "height": 900}
    )
    tab = context.new_page()
    tab.set_default_timeout(10_000)
    yield tab
    context.close()


@pytest.fixture
def twilio(page, provider_server):  # noqa: F811
    provider_server.twilio[SID] = "token"
    configure_providers(
        org=page.org,
        twilio_account_sid=SID,
        twilio_auth_token="token",
        twilio_sms_from="+15005550006",
        twilio_whatsapp_from="+14155238886",
        whatsapp_via="twilio",
    )
    return provider_server


def test_every_channel_is_offered_and_errors_name_the_field(
    live_upstate, tab, page, api_component, web_component, twilio
):
    tab.goto(f"{live_upstate}/p/acme/")
    tab.get_by_role("link", name="More ways to subscribe").click()
    for name in CHANNELS:
        assert tab.get_by_role("radio", name=name, exact=True).count() == 1
    assert tab.get_by_role("radio", name="Email", exact=True).is_checked()

    tab.get_by_role("radio", name="Discord").check()
    tab.get_by_label("Address").fill("discord.example.com/hook")
    tab.get_by_role("button", name="Subscribe").click()
    alert = tab.get_by_role("alert")
    assert "Address: must be an http or https URL" in alert.inner_text()
    # What was typed and chosen is kept for the correction.
    assert tab.get_by_role("radio", name="Discord").is_checked()
    assert tab.get_by_label("Address").input_value() == "discord.example.com/hook"

    tab.get_by_role("radio", name="SMS").check()
    tab.get_by_label("Address").fill("0151 2345")
    tab.get_by_role("radio", name="Only the components below").check()
    tab.get_by_role("button", name="Subscribe").click()
    text = tab.get_by_role("alert").inner_text()
    assert "Address: must be a phone number in E.164 form" in text
    assert "Components: choose at least one" in text
    assert Subscriber.objects.count() == 0


def test_a_slack_subscription_for_one_component_then_managed(
    live_upstate, tab, page, api_component, web_component, settings
):
    settings.PUBLIC_URL = live_upstate
    tab.goto(f"{live_upstate}/p/acme/subscribe")
    tab.get_by_role("radio", name="Slack").check()
    tab.get_by_label("Address").fill("https://hooks.slack.com/services/T0/B0/secret")
    tab.get_by_role("radio", name="Only the components below").check()
    tab.get_by_role("checkbox", name="API").check()
    tab.get_by_role("button", name="Subscribe").click()
    tab.get_by_role("status").get_by_text("Slack").wait_for()

    subscriber = Subscriber.objects.get()
    assert (subscriber.channel, subscriber.state) == ("slack", "active")
    assert list(subscriber.components.all()) == [api_component]

    # The manage link shown on the confirmation page.
    manage = f"{live_upstate}/p/acme/subscription/{subscriber.token}"
    tab.get_by_role("link", name=manage).click()
    assert tab.get_by_role("checkbox", name="API").is_checked()
    assert not tab.get_by_role("checkbox", name="Website").is_checked()
    tab.get_by_role("checkbox", name="API").uncheck()
    tab.get_by_role("checkbox", name="Website").check()
    tab.get_by_role("button", name="Save").click()
    tab.get_by_text("Your choice is saved").wait_for()
    assert list(subscriber.components.all()) == [web_component]
    assert tab.get_by_role("checkbox", name="Website").is_checked()

    tab.get_by_role("button", name="Unsubscribe").click()
    tab.get_by_text("You are unsubscribed").wait_for()
    assert not Subscriber.objects.exists()


def test_an_email_subscription_for_the_whole_page_waits_for_confirmation(
    live_upstate, tab, page, api_component, smtp_sink, settings
):
    settings.PUBLIC_URL = live_upstate
    tab.goto(f"{live_upstate}/p/acme/subscribe")
    tab.get_by_label("Address").fill("ann@example.com")
    tab.get_by_role("button", name="Subscribe").click()
    tab.get_by_role("status").get_by_text("ann@example.com").wait_for()
    subscriber = Subscriber.objects.get()
    assert subscriber.state == "unconfirmed"
    assert not subscriber.components.exists()
    assert smtp_sink.wait_for(1)
    assert smtp_sink.mails[0].recipients == ["ann@example.com"]


def test_a_phone_confirms_by_the_link_in_a_text(live_upstate, tab, page, twilio, settings):
    settings.PUBLIC_URL = live_upstate
    tab.goto(f"{live_upstate}/p/acme/subscribe")
    tab.get_by_role("radio", name="SMS").check()
    tab.get_by_label("Address").fill("+1 415 555 0100")
    tab.get_by_role("button", name="Subscribe").click()
    assert "a text with a confirmation link" in tab.get_by_role("status").inner_text()

    subscriber = Subscriber.objects.get()
    assert (subscriber.address, subscriber.state) == ("+14155550100", "unconfirmed")
    [text] = twilio.accepted("twilio")
    assert text.form["To"] == "+14155550100"
    assert text.form["From"] == "+15005550006"
    link = text.form["Body"].split(" at ")[1].split(" ")[0]
    assert link.startswith(f"{live_upstate}/p/acme/subscribe/confirm/")

    tab.goto(link)
    tab.get_by_role("button", name="Confirm subscription").click()
    tab.get_by_role("heading", name="You are subscribed").wait_for()
    subscriber.refresh_from_db()
    assert subscriber.state == "active"
