"""An admin sets up a team's rotation and an override in a real browser; the team screen and
the overview show who is on call."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from playwright.sync_api import expect

from upstate.dashboard.tests.helpers import sign_in
from upstate.orgs.models import Membership
from upstate.paging.services import create_team


def test_an_admin_sets_up_who_is_on_call(live_upstate, browser, owner, responder, page):
    members = list(Membership.objects.filter(user__in=[owner.user, responder.user]))
    create_team(org=owner.org, name="Payments", members=members)
    sign_in(browser, live_upstate, owner)

    browser.get_by_role("link", name="On call").click()
    expect(browser.locator("#oncall-teams")).to_contain_text("No rotation")
    browser.get_by_role("link", name="Payments").click()
    expect(browser.get_by_role("heading", level=1)).to_have_text("Payments")

    today = datetime.now(UTC).date()
    browser.get_by_label("Members in order").fill("responder@acme.test\nowner@acme.test")
    browser.get_by_label("Period", exact=True).select_option("daily")
    browser.get_by_label("Handover time").fill("00:00")
    browser.get_by_label("Time zone").fill("UTC")
    browser.get_by_label("Starts on").fill(today.isoformat())
    browser.get_by_role("button", name="Save rotation").click()

    expect(browser.locator("#oncall-now")).to_contain_text("responder@acme.test")
    expect(browser.locator("#oncall-next")).to_contain_text("owner@acme.test")
    expect(browser.locator("#rotation-members li")).to_have_text(
        ["responder@acme.test", "owner@acme.test"]
    )

    # The owner covers the rest of today.
    now = datetime.now(UTC)
    browser.get_by_label("Member", exact=True).select_option(label="owner@acme.test")
    browser.get_by_label("From", exact=True).fill(
        (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    )
    browser.get_by_label("Until", exact=True).fill(
        (now + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    )
    browser.get_by_role("button", name="Add override").click()
    expect(browser.locator("#oncall-now")).to_contain_text("owner@acme.test")
    expect(browser.locator("#oncall-now")).to_contain_text("Override")
    expect(browser.locator("#oncall-next")).to_contain_text("responder@acme.test")

    browser.get_by_role("link", name="Overview").click()
    expect(browser.locator("#oncall-overview")).to_contain_text("Payments")
    expect(browser.locator("#oncall-overview")).to_contain_text("owner@acme.test")
