"""A bare URL in an update is a link, and a long one wraps instead of widening the page, on
the public incident page and in the dashboard, at a phone's 375 px (real Chromium)."""

from __future__ import annotations

from playwright.sync_api import expect

from upstate.dashboard.tests.helpers import declare, incident_url, sign_in
from upstate.incidents.services import post_update

PHONE = {"width": 375, "height": 812}
LONG_URL = (
    "https://status-dashboards.example.com/grafana/d/checkout-latency-and-errors/"
    "checkout?orgId=1&from=now-6h&to=now&var-region=eu-west-1&var-service=payments-gateway"
)
WIDTH = "document.scrollingElement.scrollWidth"


def test_a_long_link_wraps_on_a_phone(live_upstate, _chromium, responder, page, api_component):
    incident = declare(page, "Checkout errors", components={api_component: None})
    post_update(
        incident=incident,
        status="identified",
        message=f"Latency graphs: {LONG_URL} and averyveryverylongwordwithoutanyspacesatall"
        "thatgoesonandonandonforeverandever.",
    )
    context = _chromium.new_context(viewport=PHONE)
    tab = context.new_page()
    try:
        # The public page is a pre-rendered snapshot, rebuilt after the update's commit.
        public = f"{live_upstate}/p/acme/incidents/{incident.code}"
        link = tab.locator(f'.md a[href="{LONG_URL}"]')
        for _ in range(50):
            tab.goto(public)
            if link.count():
                break
            tab.wait_for_timeout(200)
        expect(link).to_have_attribute("rel", "noopener noreferrer nofollow")
        assert tab.evaluate(WIDTH) <= 375

        sign_in(tab, live_upstate, responder)
        tab.goto(f"{live_upstate}{incident_url(incident)}")
        link = tab.locator(f'#timeline a[href="{LONG_URL}"]')
        expect(link).to_have_attribute("rel", "noopener noreferrer nofollow")
        assert tab.evaluate(WIDTH) <= 375
    finally:
        context.close()
