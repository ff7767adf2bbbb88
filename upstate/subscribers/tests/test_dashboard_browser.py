"""The subscribers screens in headless Chromium, as a responder uses them: import a CSV (see
the errors, fix the file, see the preview, import), filter, open a delivery log, remove one,
and look at the email previews."""

from __future__ import annotations

import pytest

from upstate.dashboard.tests.helpers import sign_in
from upstate.notifications.tests.helpers import subscribe
from upstate.subscribers.models import Subscriber


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


@pytest.fixture
def tab(browser):
    browser.set_default_timeout(10_000)
    return browser


def _choose(tab, text: str, tmp_path) -> None:
    path = tmp_path / "subscribers.csv"
    path.write_text(text)
    tab.get_by_label("CSV file").set_input_files(str(path))
    tab.get_by_role("button", name="Check the file").click()


def test_a_responder_imports_subscribers_from_csv(
    live_upstate, tab, responder, page, api_component, smtp_sink, tmp_path
):
    sign_in(tab, live_upstate, responder)
    tab.goto(f"{live_upstate}/dashboard/acme/pages/acme/subscribers/")
    tab.get_by_role("link", name="Import CSV").click()
    _choose(tab, "channel,address,components\nemail,ann@example.com,Billing\n", tmp_path)
    alert = tab.get_by_role("alert")
    assert "Nothing was imported" in alert.inner_text()
    row = alert.get_by_role("row").nth(1).inner_text()
    assert "2" in row and "components" in row and "no component 'Billing'" in row
    assert tab.get_by_role("button", name="Import").count() == 0

    tab.get_by_role("link", name="Choose another file").click()
    _choose(
        tab,
        "channel,address,components\nemail,ann@example.com,API\n"
        "discord,https://discord.com/api/webhooks/1/x,\n",
        tmp_path,
    )
    tab.get_by_role("cell", name="ann@example.com").wait_for()
    assert Subscriber.objects.count() == 0  # a preview writes nothing
    tab.get_by_role("button", name="Import 2 subscribers").click()
    tab.get_by_text("Imported 2 subscribers.").wait_for()
    assert sorted(Subscriber.objects.values_list("channel", flat=True)) == ["discord", "email"]
    assert smtp_sink.wait_for(1)  # ann's confirmation
    assert smtp_sink.mails[0].recipients == ["ann@example.com"]


def test_filter_inspect_and_remove(live_upstate, tab, responder, page, smtp_sink):
    subscribe(page, "ann@example.com")
    subscribe(page, "carl@example.com", confirmed=False)
    sign_in(tab, live_upstate, responder)
    tab.goto(f"{live_upstate}/dashboard/acme/pages/acme/subscribers/")
    tab.get_by_label("State").select_option("unconfirmed")
    tab.get_by_role("button", name="Filter").click()
    tab.wait_for_url("**state=unconfirmed**")
    assert tab.locator("tr[data-subscriber]").count() == 1
    tab.get_by_role("link", name="carl@example.com", exact=True).click()
    tab.get_by_text("Nothing was sent to this subscriber yet.").wait_for()
    tab.get_by_role("link", name="Remove subscriber").click()
    tab.get_by_role("button", name="Remove subscriber").click()
    tab.get_by_text("Removed carl@example.com.").wait_for()
    assert list(Subscriber.objects.values_list("address", flat=True)) == ["ann@example.com"]


def test_the_email_previews_render(live_upstate, tab, responder, page, api_component):
    sign_in(tab, live_upstate, responder)
    tab.goto(f"{live_upstate}/dashboard/acme/pages/acme/subscribers/")
    tab.get_by_role("link", name="Email previews").click()
    tab.get_by_role("link", name="Incident resolved").click()
    frame = tab.frame_locator("iframe[title='HTML part of the email']")
    frame.get_by_text("This incident is resolved.").wait_for()
    assert frame.get_by_role("link", name="Unsubscribe").count() == 1
    assert (
        "Resolved: Sample: elevated error rates"
        in tab.get_by_role("definition").nth(2).inner_text()
    )
