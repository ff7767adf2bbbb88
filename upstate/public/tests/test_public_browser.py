"""The public page in a real browser, served by the whole WSGI application from its snapshot."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import expect

from upstate.incidents.services import create_incident, publish_postmortem, save_postmortem
from upstate.public.publish import rebuild_now
from upstate.public.tests.scene import Scene, build_scene


@pytest.fixture
def live_scene(live_upstate, transactional_db) -> Scene:  # noqa: ANN001
    from upstate.orgs.services import create_org
    from upstate.pages.services import create_page

    org = create_org(slug="acme", name="Acme Inc")
    page = create_page(org=org, name="Acme Status", slug="acme")
    scene = build_scene(page)
    save_postmortem(
        incident=scene.resolved,
        title="Slow database: what happened",
        summary="A missing **index**.",
        action_items=[{"title": "Add the index", "done": True}],
    )
    publish_postmortem(incident=scene.resolved)
    rebuild_now(page.id)
    return scene


@pytest.fixture
def no_js(browser):  # noqa: ANN001
    context = browser.context.browser.new_context(java_script_enabled=False)
    yield context.new_page()
    context.close()


@pytest.fixture
def phone(browser):  # noqa: ANN001
    context = browser.context.browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    yield context.new_page()
    context.close()


def _component(tab, name: str):  # noqa: ANN001, ANN202
    return tab.locator(".component").filter(has=tab.locator(".name", has_text=name)).first


def test_it_shows_the_current_status(live_upstate, live_scene, browser):
    browser.goto(f"{live_upstate}/p/acme/")
    expect(browser).to_have_title("Acme Status")
    expect(browser.locator("#overall")).to_have_text("Minor Service Outage")
    for role in ("banner", "main", "contentinfo"):
        expect(browser.get_by_role(role)).to_have_count(1)
    active = browser.get_by_role("region", name="Active incidents")
    expect(active.get_by_role("heading", name="Elevated API errors")).to_be_visible()
    expect(active.get_by_text("Rolled back; watching.")).to_be_visible()
    expect(_component(browser, "API").locator(".status")).to_have_text("Partial outage")
    expect(_component(browser, "Cache").locator(".status")).to_have_text("Under maintenance")
    expect(_component(browser, "Website").locator(".status")).to_have_text("Operational")
    bars = _component(browser, "API").locator(".bars > li")
    expect(bars).to_have_count(90)
    # A day's text is there for screen readers, and shown to the eye on hover only.
    day = bars.last.locator("span")
    expect(day).to_contain_text(":")
    assert day.bounding_box()["width"] <= 1
    bars.last.hover()
    assert day.bounding_box()["width"] > 50
    expect(browser.get_by_role("link", name="Cache upgrade")).to_be_visible()
    expect(browser.get_by_text("Internal disk alarm")).to_have_count(0)


def test_it_navigates_to_incidents_history_and_postmortems(live_upstate, live_scene, browser):
    browser.goto(f"{live_upstate}/p/acme/")
    browser.get_by_role("link", name="Elevated API errors").click()
    expect(browser).to_have_url(f"{live_upstate}/p/acme/incidents/{live_scene.active.code}")
    expect(browser.get_by_role("heading", level=1)).to_have_text("Elevated API errors")
    expect(browser.get_by_text("API: Degraded performance → Partial outage")).to_be_visible()

    browser.get_by_role("navigation", name="Acme Status").get_by_role(
        "link", name="History"
    ).click()
    expect(browser).to_have_url(f"{live_upstate}/p/acme/history")
    expect(browser.get_by_role("heading", level=1)).to_have_text("Incident history")
    browser.get_by_role("link", name="Slow database").click()
    expect(browser).to_have_url(f"{live_upstate}/p/acme/incidents/{live_scene.resolved.code}")

    browser.get_by_role("link", name="Read the postmortem").click()
    expect(browser).to_have_url(
        f"{live_upstate}/p/acme/incidents/{live_scene.resolved.code}/postmortem"
    )
    expect(browser.get_by_role("heading", level=1)).to_have_text("Slow database: what happened")
    expect(browser.get_by_role("list", name="Action items")).to_contain_text("Done")
    browser.get_by_role("link", name="Back to the incident").click()
    browser.get_by_role("link", name="Current status").click()
    expect(browser).to_have_url(f"{live_upstate}/p/acme/")

    browser.get_by_role("link", name="Cache upgrade").click()
    expect(browser).to_have_url(f"{live_upstate}/p/acme/maintenances/{live_scene.underway.code}")
    expect(browser.get_by_role("heading", level=1)).to_have_text("Cache upgrade")


def test_it_works_without_javascript(live_upstate, live_scene, no_js):
    no_js.goto(f"{live_upstate}/p/acme/")
    expect(no_js.locator("#overall")).to_have_text("Minor Service Outage")
    # Times stay in the page's zone, and the footer says which.
    expect(no_js.locator("time[data-local]").first).to_have_text(re.compile(r"C[SD]T$"))
    expect(no_js.get_by_text("Times are shown in America/Chicago.")).to_be_visible()
    # Groups still open and close.
    group = no_js.locator("details.group").first
    expect(group).to_have_attribute("open", "")
    group.locator("summary").click()
    expect(_component(no_js, "Cache")).to_be_hidden()
    no_js.get_by_role("link", name="History", exact=True).click()
    no_js.get_by_role("link", name="Slow database").click()
    no_js.get_by_role("link", name="Read the postmortem").click()
    expect(no_js.get_by_role("heading", level=1)).to_have_text("Slow database: what happened")


def test_it_shows_times_in_the_visitors_zone_with_javascript(live_upstate, live_scene, browser):
    context = browser.context.browser.new_context(timezone_id="Europe/Berlin")
    tab = context.new_page()
    try:
        tab.goto(f"{live_upstate}/p/acme/incidents/{live_scene.active.code}")
        first = tab.locator("time[data-local]").first
        expect(first).to_have_text(re.compile(r"GMT\+1$|CET$|CEST$|GMT\+2$"))
        expect(first).to_have_attribute("title", re.compile(r"C[SD]T \(America/Chicago\)$"))
        expect(tab.locator("[data-tz-note]")).to_contain_text("your time zone (Europe/Berlin)")
    finally:
        context.close()


def test_it_fits_a_phone(live_upstate, live_scene, phone):
    phone.goto(f"{live_upstate}/p/acme/")
    expect(phone.locator("#overall")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    bars = _component(phone, "API").locator(".bars > li")
    assert bars.evaluate_all("els => els.filter(e => e.offsetWidth > 0).length") == 30
    expect(_component(phone, "API").locator(".d30")).to_have_text("30 days ago")
    phone.get_by_role("link", name="Elevated API errors").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Elevated API errors")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390


def test_it_refreshes_itself_every_minute(live_upstate, live_scene, browser):
    browser.clock.install()
    browser.goto(f"{live_upstate}/p/acme/")
    expect(browser.get_by_text("Queue backlog")).to_have_count(0)
    create_incident(page=live_scene.page, title="Queue backlog", components={live_scene.api: None})
    # What the next poll will fetch: the new snapshot is served before the minute is up.
    assert "Queue backlog" in httpx.get(f"{live_upstate}/p/acme/").text
    browser.clock.run_for(61_000)
    # The poll's fetch runs on the real clock; a loaded machine can take a while to answer.
    expect(browser.get_by_role("heading", name="Queue backlog")).to_be_visible(timeout=20_000)
