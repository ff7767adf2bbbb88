"""Two people have the same incident open: what one does appears on the other's screen
without a reload, and what the other is typing in the composer stays (real Chromium)."""

from __future__ import annotations

from playwright.sync_api import expect

from upstate.dashboard.tests.helpers import declare, incident_url, sign_in

# The room polls every 5 s; allow a few polls on a busy machine.
WAIT_MS = 20_000


def test_an_update_and_an_acknowledgement_appear_in_the_other_room(
    live_upstate, _chromium, owner, responder, page, api_component
):
    incident = declare(page, "Checkout errors", components={api_component: None})
    url = f"{live_upstate}{incident_url(incident)}"
    contexts = [_chromium.new_context(viewport={"width": 1280, "height": 900}) for _ in range(2)]
    try:
        alice, bob = (context.new_page() for context in contexts)
        sign_in(alice, live_upstate, owner)
        sign_in(bob, live_upstate, responder)
        alice.goto(url)
        bob.goto(url)
        bob.evaluate("window.notReloaded = true")
        # Bob starts typing an update of his own.
        bob.get_by_label("Message", exact=True).fill("Half-written note")

        alice.get_by_label("Message", exact=True).fill("Rolling back the deploy.")
        alice.get_by_role("button", name="Post update").click()
        expect(alice.locator("#timeline")).to_contain_text("Rolling back the deploy.")

        expect(bob.locator("#timeline")).to_contain_text(
            "Rolling back the deploy.", timeout=WAIT_MS
        )
        expect(bob.locator("#incident-status")).to_have_text("Identified")

        alice.get_by_role("button", name="Acknowledge").click()
        expect(alice.get_by_role("button", name="Acknowledge")).to_have_count(0)
        details = bob.locator("#incident-details")
        expect(details).not_to_contain_text("not yet", timeout=WAIT_MS)
        expect(details).to_contain_text("owner@acme.test")
        expect(bob.get_by_role("button", name="Acknowledge")).to_have_count(0)

        # Nothing was reloaded: the flag survives and Bob's draft is still there.
        assert bob.evaluate("window.notReloaded") is True
        expect(bob.get_by_label("Message", exact=True)).to_have_value("Half-written note")
    finally:
        for context in contexts:
            context.close()


def test_the_room_keeps_its_content_while_nothing_changes(
    live_upstate, browser, responder, page, api_component
):
    incident = declare(page, "Checkout errors", components={api_component: None})
    sign_in(browser, live_upstate, responder)
    browser.goto(f"{live_upstate}{incident_url(incident)}")

    def is_poll(response) -> bool:  # noqa: ANN001
        return "if-none-match" in response.request.headers

    for _ in range(2):
        with browser.expect_response(is_poll, timeout=WAIT_MS) as poll:
            pass
        assert poll.value.status == 304
    expect(browser.locator("#timeline")).to_contain_text("Investigating")
    expect(browser.locator("#incident-head h1")).to_have_text("Checkout errors")
