"""The admin screens in a real browser: maintenance, components, members, API keys,
overview and audit log, signed in through the login form."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from upstate.dashboard.tests.helpers import open_nav, sign_in
from upstate.maintenance.models import Maintenance, MaintenanceStatus
from upstate.orgs.models import ApiKey, Membership
from upstate.orgs.services import authenticate_api_key
from upstate.pages.models import Component

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _mailbox(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def test_schedule_and_run_a_maintenance(live_upstate, browser, owner, page, api_component):
    sign_in(browser, live_upstate, owner)
    browser.get_by_role("link", name="Maintenance").click()
    browser.get_by_role("link", name="Schedule maintenance").click()

    browser.get_by_label("Title").fill("Database upgrade")
    browser.get_by_label("Starts").fill("2031-06-01T22:00")
    browser.get_by_label("Ends").fill("2031-06-01T21:00")  # before the start: refused
    browser.get_by_label("API").check()
    browser.get_by_role("button", name="Schedule").click()
    expect(browser.get_by_text("must be after starts_at")).to_be_visible()
    expect(browser.get_by_label("Title")).to_have_value("Database upgrade")

    browser.get_by_label("Ends").fill("2031-06-01T23:30")
    browser.get_by_role("button", name="Schedule").click()
    expect(browser.get_by_role("heading", name="Database upgrade")).to_be_visible()
    maintenance = Maintenance.objects.get()
    assert list(maintenance.components.all()) == [api_component]

    browser.get_by_label("Status").select_option("in_progress")
    browser.get_by_role("button", name="Post update").click()
    expect(browser.get_by_text("Maintenance is now in progress.")).to_be_visible()
    maintenance.refresh_from_db()
    assert maintenance.status == MaintenanceStatus.IN_PROGRESS


def test_manage_a_component(live_upstate, browser, owner, page, api_component):
    base = f"{live_upstate}/dashboard/acme/pages/acme/components/"
    sign_in(browser, live_upstate, owner)
    open_nav(browser, "Components")
    expect(browser).to_have_url(base)

    form = browser.locator("form", has=browser.get_by_role("button", name="Add component"))
    form.get_by_label("Name").fill("Webhooks")
    form.get_by_role("button", name="Add component").click()
    expect(browser.get_by_text("Added “Webhooks”.")).to_be_visible()

    browser.get_by_role("button", name="Move Webhooks up").click()  # htmx swap
    expect(browser.locator("tr[data-component]").first).to_contain_text("Webhooks")
    assert list(Component.objects.values_list("name", flat=True)) == ["Webhooks", "API"]

    browser.get_by_role("link", name="Edit Webhooks").click()
    browser.get_by_label("Name").fill("Outgoing webhooks")
    browser.get_by_label("Baseline status").select_option("degraded_performance")
    browser.get_by_role("button", name="Save component").click()
    row = browser.locator("tr", has_text="Outgoing webhooks")
    expect(row).to_contain_text("Degraded performance")


def test_invite_a_member(live_upstate, browser, owner):
    from django.core import mail

    sign_in(browser, live_upstate, owner)
    open_nav(browser, "Members")

    browser.get_by_label("Email").fill("new.person@acme.test")
    browser.get_by_label("Role", exact=True).select_option("responder")
    browser.get_by_role("button", name="Send invitation").click()

    expect(
        browser.get_by_text(re.compile("Added new.person@acme.test as responder"))
    ).to_be_visible()
    expect(browser.locator("tr[data-member='new.person@acme.test']")).to_contain_text(
        "no password yet"
    )
    assert Membership.objects.get(user__email="new.person@acme.test").role == "responder"
    assert mail.outbox[0].to == ["new.person@acme.test"]


def test_create_and_revoke_an_api_key(live_upstate, browser, owner):
    sign_in(browser, live_upstate, owner)
    open_nav(browser, "API keys")

    browser.get_by_label("Name").fill("deploy bot")
    browser.get_by_role("button", name="Create key").click()
    plain = browser.locator("#plain-key").inner_text()
    assert authenticate_api_key(plain).name == "deploy bot"

    browser.get_by_role("link", name="Revoke deploy bot").click()
    browser.get_by_role("button", name="Revoke key").click()
    expect(browser.get_by_text("Revoked the key “deploy bot”.")).to_be_visible()
    assert authenticate_api_key(plain) is None
    assert ApiKey.objects.get(name="deploy bot").revoked_at is not None


def test_overview_and_audit_log(live_upstate, browser, owner, page, api_component):
    from upstate.incidents.services import create_incident

    create_incident(
        page=page, title="Login errors", severity="high", components={api_component: None}
    )
    sign_in(browser, live_upstate, owner)

    expect(browser.get_by_role("heading", name="Unacknowledged")).to_be_visible()
    expect(browser.get_by_text("Login errors").first).to_be_visible()
    expect(browser.locator("svg.chart")).to_have_count(4)

    open_nav(browser, "Audit log")
    expect(browser.locator("tbody code", has_text="incident.created")).to_be_visible()
    browser.get_by_label("Action").select_option("incident.created")
    browser.get_by_role("button", name="Filter").click()
    expect(browser).to_have_url(re.compile(r"action=incident.created"))
    expect(browser.locator("tbody tr")).to_have_count(1)


def test_a_viewer_sees_no_admin_controls(live_upstate, browser, viewer, page, api_component):
    sign_in(browser, live_upstate, viewer)

    expect(browser.get_by_role("link", name="Maintenance")).to_be_visible()
    expect(browser.get_by_role("link", name="Audit log")).to_have_count(0)
    browser.goto(f"{live_upstate}/dashboard/acme/maintenance/")
    expect(browser.get_by_role("link", name="Schedule maintenance")).to_have_count(0)
    browser.goto(f"{live_upstate}/dashboard/acme/pages/acme/components/")
    expect(browser.get_by_role("button", name="Move API up")).to_have_count(0)
