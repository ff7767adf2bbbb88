"""The whole double opt-in in a real browser: the form on the public page, the confirmation
email at the SMTP server, its link, and then an incident update arriving by email."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache

from upstate.incidents.services import create_incident
from upstate.subscribers.models import Subscriber


@pytest.fixture(autouse=True)
def _fresh_limits(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    cache.clear()


def test_a_visitor_subscribes_confirms_and_gets_the_next_update(
    live_upstate, browser, smtp_sink, settings, page
):
    settings.PUBLIC_URL = live_upstate
    browser.goto(f"{live_upstate}/p/acme/")
    browser.get_by_label("Email address").fill("visitor@example.com")
    browser.get_by_role("button", name="Subscribe").click()
    browser.get_by_role("status").get_by_text("visitor@example.com").wait_for()

    assert smtp_sink.wait_for(1)
    text = smtp_sink.mails[0].part("plain")
    link = re.search(rf"{re.escape(live_upstate)}/p/acme/subscribe/confirm/\S+", text).group(0)
    browser.goto(link)
    browser.get_by_role("button", name="Confirm subscription").click()
    browser.get_by_text("You are subscribed").wait_for()
    assert Subscriber.objects.get().confirmed_at is not None

    incident = create_incident(page=page, title="Checkout is failing", message="Looking into it.")
    assert smtp_sink.wait_for(2)
    update = smtp_sink.mails[1]
    assert update.recipients == ["visitor@example.com"]
    assert update.message["Subject"] == "[Acme Status] Investigating: Checkout is failing"
    assert f"{live_upstate}/p/acme/incidents/{incident.code}" in update.part("html")

    # The email's manage link works in the browser too.
    manage = re.search(rf"{re.escape(live_upstate)}/p/acme/subscription/\S+", update.part("plain"))
    browser.goto(manage.group(0))
    browser.get_by_role("button", name="Unsubscribe").click()
    browser.get_by_text("You are unsubscribed").wait_for()
    assert Subscriber.objects.count() == 0
