"""Incident templates in the dashboard: managing them, and the declare form and the update
composer filling themselves in from one (a plain GET, no JavaScript needed)."""

from __future__ import annotations

import pytest

from upstate.incidents.models import IncidentTemplate
from upstate.incidents.services import create_incident
from upstate.incidents.template_services import create_template

LIST = "/dashboard/acme/templates/"


@pytest.fixture
def template(org, page, api_component) -> IncidentTemplate:
    return create_template(
        org=org,
        page=page,
        name="API down",
        group="API",
        title="The API is unavailable",
        status="identified",
        message="We found the cause & are fixing it.",
        impact="critical",
        notify=False,
        components={api_component: "partial_outage"},
    )


def test_a_responder_creates_a_template_with_component_statuses(
    client, responder, page, api_component, web_component
):
    client.force_login(responder.user)
    response = client.post(
        f"{LIST}new/",
        {
            "name": "Slow website",
            "group": "Web",
            "page": "acme",
            "title": "The website is slow",
            "status": "investigating",
            "impact": "minor",
            "message": "Looking into it.",
            "notify": "on",
            f"component-{web_component.code}": "impact",
            f"component-{api_component.code}": "degraded_performance",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    template = IncidentTemplate.objects.get()
    assert (template.name, template.group, template.page, template.notify) == (
        "Slow website",
        "Web",
        page,
        True,
    )
    statuses = {a.component_id: a.status for a in template.affected.all()}
    assert statuses == {web_component.id: "", api_component.id: "degraded_performance"}
    listing = client.get(LIST).content.decode()
    assert "Slow website" in listing and "The website is slow" in listing


def test_it_edits_and_deletes(client, responder, template):
    client.force_login(responder.user)
    form = client.get(f"{LIST}{template.code}/").content.decode()
    assert "The API is unavailable" in form and 'name="group"' in form
    response = client.post(
        f"{LIST}{template.code}/",
        {"name": "API down", "title": "API errors", "status": "monitoring", "impact": "major"},
    )
    assert response.status_code == 302
    template.refresh_from_db()
    assert (template.title, template.status, template.page) == ("API errors", "monitoring", None)
    assert not template.affected.exists()
    assert client.post(f"{LIST}{template.code}/delete/").status_code == 302
    assert not IncidentTemplate.objects.exists()


def test_bad_input_is_shown_on_the_field(client, responder, template):
    client.force_login(responder.user)
    response = client.post(
        f"{LIST}new/",
        {"name": "API down", "title": "Again", "status": "investigating", "impact": "minor"},
    )
    assert response.status_code == 400
    assert "another template of this organization has this name" in response.content.decode()
    assert IncidentTemplate.objects.count() == 1


def test_the_declare_form_fills_in_from_a_template(client, responder, template, api_component):
    client.force_login(responder.user)
    empty = client.get("/dashboard/acme/incidents/new/").content.decode()
    assert 'name="template"' in empty and "API down" in empty
    html = client.get(f"/dashboard/acme/incidents/new/?template={template.code}").content.decode()
    assert 'value="The API is unavailable"' in html
    assert "We found the cause &amp; are fixing it." in html
    assert '<option value="critical" selected>' in html
    assert '<option value="identified" selected>' in html
    component_select = html.split(f'name="component-{api_component.code}"')[1].split("</select>")[0]
    assert '<option value="partial_outage" selected>' in component_select


def test_the_composer_fills_in_from_a_template(client, responder, page, template):
    incident = create_incident(page=page, title="Errors")
    client.force_login(responder.user)
    url = f"/dashboard/acme/incidents/{incident.code}/"
    html = client.get(f"{url}?template={template.code}").content.decode()
    composer = html.split('id="composer"')[1]
    assert "We found the cause &amp; are fixing it." in composer
    assert '<option value="identified" selected>' in composer


def test_a_viewer_sees_templates_but_cannot_change_them(client, viewer, template):
    client.force_login(viewer.user)
    listing = client.get(LIST)
    assert listing.status_code == 200 and "API down" in listing.content.decode()
    assert "New template" not in listing.content.decode()
    assert client.get(f"{LIST}new/").status_code == 403
    assert client.post(f"{LIST}{template.code}/", {"name": "X", "title": "Y"}).status_code == 403
    assert client.post(f"{LIST}{template.code}/delete/").status_code == 403
    assert IncidentTemplate.objects.get().title == "The API is unavailable"


def test_another_organization_cannot_see_or_use_them(client, outsider, template, other_page):
    client.force_login(outsider.user)
    assert client.get(f"/dashboard/globex/templates/{template.code}/").status_code == 404
    assert client.post(f"/dashboard/globex/templates/{template.code}/delete/").status_code == 404
    assert "API down" not in client.get("/dashboard/globex/templates/").content.decode()
    html = client.get(f"/dashboard/globex/incidents/new/?template={template.code}").content.decode()
    assert "The API is unavailable" not in html
    assert IncidentTemplate.objects.count() == 1
