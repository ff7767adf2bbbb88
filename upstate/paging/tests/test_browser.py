"""Paging in a real browser: a responder sets their number, an admin builds a team and
routes a category to it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from upstate.dashboard.tests.helpers import open_nav, sign_in
from upstate.paging.models import Profile, Route

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_responder_sets_their_phone_number(live_upstate, browser, responder):
    sign_in(browser, live_upstate, responder)
    open_nav(browser, "Profile")
    browser.get_by_label("Phone number").fill("0151 2345")
    browser.get_by_role("button", name="Save number").click()
    expect(browser.get_by_text("must be a phone number in E.164 form")).to_be_visible()

    browser.get_by_label("Phone number").fill("+44 7700 900123")
    browser.get_by_role("button", name="Save number").click()
    expect(browser.get_by_text("Your phone number is saved.")).to_be_visible()
    expect(browser.get_by_label("Phone number")).to_have_value("+447700900123")
    assert Profile.objects.get(user=responder.user).phone == "+447700900123"


def test_an_admin_routes_security_incidents_to_a_team(live_upstate, browser, owner, responder):
    sign_in(browser, live_upstate, owner)
    open_nav(browser, "Paging")
    expect(browser.get_by_text("No teams yet")).to_be_visible()

    browser.get_by_label("Name").fill("Security on-call")
    browser.get_by_label("responder@acme.test (Responder)").check()
    browser.get_by_role("button", name="Create team").click()
    expect(browser.get_by_text("Team “Security on-call” created.")).to_be_visible()

    browser.get_by_label("Category").select_option("security")
    browser.get_by_label("Team (optional)").select_option(label="Security on-call")
    browser.get_by_role("button", name="Route category").click()
    expect(
        browser.get_by_text("Security incidents now page team “Security on-call”.")
    ).to_be_visible()
    row = browser.locator("tr[data-category=security]")
    expect(row).to_contain_text("Security on-call")
    assert Route.objects.get().team.name == "Security on-call"
