"""Severity is asked for only on pages that show it (page settings, "Show severity")."""

from __future__ import annotations

from upstate.dashboard.tests.helpers import declare, incident_url
from upstate.incidents.models import Incident
from upstate.pages.services import create_page, update_page

URL = "/dashboard/acme/incidents/new/"


def _declare(**overrides):  # noqa: ANN003, ANN202
    return {
        "title": "Checkout fails",
        "page": "acme",
        "status": "investigating",
        "impact": "major",
        "severity": "high",
        "visibility": "public",
        **overrides,
    }


def test_the_create_form_asks_for_severity_when_the_page_shows_it(client, owner, page):
    client.force_login(owner.user)
    assert 'name="severity"' in client.get(URL).content.decode()
    client.post(URL, _declare())
    assert Incident.objects.get().severity == "high"


def test_the_create_form_leaves_severity_out_when_the_page_hides_it(client, owner, page):
    update_page(page=page, show_severity=False)
    client.force_login(owner.user)
    body = client.get(URL).content.decode()
    assert 'name="severity"' not in body
    assert '<div id="create-severity"></div>' in body
    client.post(URL, _declare())
    assert Incident.objects.get().severity == ""


def test_choosing_another_page_swaps_the_severity_select(client, owner, page):
    create_page(org=owner.org, name="Internal", slug="acme-internal", show_severity=False)
    client.force_login(owner.user)
    hidden = client.get(URL + "components/", {"page": "acme-internal"}).content.decode()
    assert '<div id="create-severity" hx-swap-oob="true"></div>' in hidden
    shown = client.get(URL + "components/", {"page": "acme"}).content.decode()
    assert 'hx-swap-oob="true">' in shown
    assert 'name="severity"' in shown


def test_the_edit_form_keeps_a_hidden_severity(client, owner, page):
    incident = declare(page, "Slow search", severity="low")
    update_page(page=page, show_severity=False)
    client.force_login(owner.user)
    assert 'name="severity"' not in client.get(incident_url(incident, "edit/")).content.decode()
    data = {"title": "Slow search", "impact": "major", "visibility": "public", "severity": ""}
    assert client.post(incident_url(incident, "edit/"), data).status_code == 302
    incident.refresh_from_db()
    assert (incident.impact, incident.severity) == ("major", "low")
