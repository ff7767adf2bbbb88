"""Incident templates in a real browser: a responder saves one, then declares an incident
and posts an update from it."""

from __future__ import annotations

from playwright.sync_api import expect

from upstate.dashboard.tests.helpers import sign_in
from upstate.incidents.models import Incident
from upstate.pages.health import component_statuses


def test_a_responder_saves_a_template_and_declares_from_it(
    live_upstate, browser, responder, page, api_component
):
    sign_in(browser, live_upstate, responder)
    browser.goto(f"{live_upstate}/dashboard/acme/")
    browser.get_by_role("link", name="Templates").click()
    browser.get_by_role("link", name="New template").click()
    browser.get_by_label("Name", exact=True).fill("API down")
    browser.get_by_label("Group").fill("API")
    browser.get_by_label("Title").fill("The API is unavailable")
    browser.get_by_label("Impact").select_option("critical")
    browser.get_by_label("Message").fill("We are investigating errors on the API.")
    browser.locator(f"select[name=component-{api_component.code}]").select_option("partial_outage")
    browser.get_by_role("button", name="Save template").click()
    expect(browser.locator("table")).to_contain_text("The API is unavailable")

    browser.goto(f"{live_upstate}/dashboard/acme/incidents/new/")
    browser.get_by_label("Start from a template").select_option(label="API down")
    browser.get_by_role("button", name="Use template").click()
    expect(browser.get_by_label("Title")).to_have_value("The API is unavailable")
    expect(browser.locator("#id_message")).to_have_value("We are investigating errors on the API.")
    browser.get_by_role("button", name="Declare incident").click()
    expect(browser.get_by_role("heading", level=1)).to_have_text("The API is unavailable")
    incident = Incident.objects.get()
    assert incident.impact == "critical"
    assert component_statuses(page)[api_component.id] == "partial_outage"

    # The composer fills in from the template too.
    browser.get_by_label("Start from a template").select_option(label="API down")
    browser.get_by_role("button", name="Use template").click()
    expect(browser.locator("#composer textarea")).to_have_value(
        "We are investigating errors on the API."
    )
