"""The Tasks screen in a real browser: from the navigation, filtered to mine, a task moved
along and done, and a phone-width layout that does not scroll sideways."""

from __future__ import annotations

from playwright.sync_api import expect

from upstate.dashboard.tests.helpers import sign_in


def test_a_responder_follows_a_task_through(live_upstate, _chromium, responder, tasks):
    context = _chromium.new_context(viewport={"width": 375, "height": 812})
    tab = context.new_page()
    try:
        sign_in(tab, live_upstate, responder)
        tab.get_by_role("link", name="Tasks", exact=True).click()
        rows = tab.locator("#tasks > li")
        expect(rows).to_have_count(3)
        assert tab.evaluate("document.scrollingElement.scrollWidth") <= 375

        tab.get_by_label("Mine").check()
        tab.get_by_role("button", name="Filter").click()
        expect(rows).to_have_count(1)
        row = rows.first
        expect(row).to_contain_text("Add a deploy check")
        expect(row).to_contain_text("Overdue")

        row.get_by_label("State").select_option("in_progress")
        row.get_by_role("button", name="Save").click()
        expect(tab.get_by_role("status")).to_contain_text("Saved “Add a deploy check”.")
        expect(rows.first.locator(".badge").first).to_have_text("In progress")
        assert "mine=1" in tab.url  # back where it was, filters kept

        rows.first.get_by_label("State").select_option("done")
        rows.first.get_by_role("button", name="Save").click()
        expect(tab.locator(".empty")).to_have_text("No tasks match these filters.")
        tasks["Add a deploy check"].refresh_from_db()
        assert tasks["Add a deploy check"].state == "done"
    finally:
        context.close()


def test_a_viewer_sees_tasks_without_controls(live_upstate, browser, viewer, tasks):
    sign_in(browser, live_upstate, viewer)
    browser.goto(f"{live_upstate}/dashboard/acme/tasks/")
    expect(browser.locator("#tasks > li")).to_have_count(3)
    expect(browser.get_by_role("button", name="Save")).to_have_count(0)
