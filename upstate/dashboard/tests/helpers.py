"""Helpers for dashboard tests, client and browser."""

from __future__ import annotations

PASSWORD = "correct-horse-9"


def sign_in(browser, base_url: str, persona) -> None:  # noqa: ANN001
    """Sign in through the real form in a Playwright page."""
    browser.goto(f"{base_url}/dashboard/login/")
    browser.get_by_label("Email").fill(persona.user.email)
    browser.get_by_label("Password").fill(PASSWORD)
    browser.get_by_role("button", name="Sign in").click()
    browser.wait_for_url(f"{base_url}/dashboard/{persona.org.slug}/")


def declare(page, title: str = "API errors", **kwargs):  # noqa: ANN001, ANN201
    """An incident made through the service, as a test's starting point."""
    from upstate.incidents.services import create_incident

    return create_incident(page=page, title=title, **kwargs)


def incident_url(incident, suffix: str = "") -> str:  # noqa: ANN001
    return f"/dashboard/{incident.org.slug}/incidents/{incident.code}/{suffix}"


def open_nav(browser, name: str) -> None:  # noqa: ANN001
    """Follow a navigation link, opening the menu (Status page, Settings) that holds it."""
    # A closed menu's links are hidden, so found by their text rather than their role.
    menu = browser.locator(f'details.nav-menu:has(a:text-is("{name}"))')
    if menu.count() and menu.first.get_attribute("open") is None:
        menu.first.locator("summary").click()
    browser.locator("nav").get_by_role("link", name=name, exact=True).first.click()
