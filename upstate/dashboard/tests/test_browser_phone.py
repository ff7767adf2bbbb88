"""Every main dashboard screen fits a phone: no horizontal scrolling at 390 px, with the demo's
realistic data (long titles, tables, timelines)."""

from __future__ import annotations

from pathlib import Path

import pytest

from upstate.incidents.models import Incident, IncidentStatus
from upstate.maintenance.models import Maintenance

PHONE = {"width": 390, "height": 844}
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"


@pytest.fixture
def demo_login(transactional_db):  # noqa: ANN201
    from upstate.demo import ADMIN_EMAIL, load_demo

    return ADMIN_EMAIL, load_demo().password


def _screens() -> list[str]:
    base = "/dashboard/acme/"
    active = Incident.objects.filter(status=IncidentStatus.INVESTIGATING).first() or (
        Incident.objects.exclude(status=IncidentStatus.POSTMORTEM).first()
    )
    with_postmortem = Incident.objects.filter(status=IncidentStatus.POSTMORTEM).first()
    maintenance = Maintenance.objects.first()
    return [
        base,
        f"{base}incidents/",
        f"{base}incidents/new/",
        f"{base}incidents/{active.code}/",
        f"{base}incidents/{active.code}/edit/",
        f"{base}incidents/{with_postmortem.code}/",
        f"{base}incidents/{with_postmortem.code}/postmortem/",
        f"{base}incidents/{active.code}/delete/",
        f"{base}maintenance/",
        f"{base}maintenance/new/",
        f"{base}maintenance/{maintenance.code}/",
        f"{base}maintenance/{maintenance.code}/edit/",
        f"{base}pages/acme/components/",
        f"{base}pages/acme/components/new/",
        f"{base}pages/acme/settings/",
        f"{base}pages/new/",
        f"{base}members/",
        f"{base}api-keys/",
        f"{base}audit/",
        f"{base}tasks/",
        f"{base}postmortem-template/",
        "/dashboard/acme/no-such-screen/",
    ]


def test_every_main_screen_fits_a_phone(live_upstate, _chromium, demo_login):
    email, password = demo_login
    context = _chromium.new_context(viewport=PHONE)
    tab = context.new_page()
    try:
        tab.goto(f"{live_upstate}/dashboard/login/")
        assert tab.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        tab.get_by_label("Email").fill(email)
        tab.get_by_label("Password").fill(password)
        tab.get_by_role("button", name="Sign in").click()
        tab.wait_for_url(f"{live_upstate}/dashboard/acme/")
        too_wide = {}
        for path in _screens():
            tab.goto(live_upstate + path)
            # Open the disclosure widgets too: their content must fit as well.
            tab.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
            width = tab.evaluate("document.documentElement.scrollWidth")
            if width > PHONE["width"]:
                too_wide[path] = width
                ARTIFACTS.mkdir(exist_ok=True)
                tab.screenshot(path=str(ARTIFACTS / f"phone{path.replace('/', '_')}.png"))
        assert not too_wide, too_wide
    finally:
        context.close()
