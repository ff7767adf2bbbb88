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
