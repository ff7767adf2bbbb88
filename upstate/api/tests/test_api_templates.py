"""Incident templates through the REST API: fields, roles and tenant isolation."""

from __future__ import annotations

import pytest

from upstate.api.tests.helpers import Api, field_errors
from upstate.audit.models import AuditEntry
from upstate.incidents.models import IncidentTemplate
from upstate.incidents.template_services import create_template


@pytest.fixture
def api(client, responder) -> Api:
    return Api(client, responder)


@pytest.fixture
def template(org, page, api_component) -> IncidentTemplate:
    return create_template(
        org=org,
        page=page,
        name="API down",
        group="API",
        title="The API is unavailable",
        message="We are investigating errors on the API.",
        impact="major",
        components={api_component: "major_outage"},
    )


def test_it_creates_a_template_with_components(api, page, api_component, web_component):
    response = api.post(
        "/templates",
        {
            "page_id": page.code,
            "name": "Slow site",
            "group": "Web",
            "title": "The website is slow",
            "status": "identified",
            "message": "Pages take long to load.",
            "impact": "minor",
            "notify": False,
            "component_ids": [web_component.code],
            "components": {api_component.code: "degraded_performance"},
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["name"], body["group"], body["status"], body["notify"]) == (
        "Slow site",
        "Web",
        "identified",
        False,
    )
    assert body["page_id"] == page.code
    assert sorted((c["id"], c["status"]) for c in body["components"]) == sorted(
        [(web_component.code, None), (api_component.code, "degraded_performance")]
    )
    assert AuditEntry.objects.filter(action="template.created").count() == 1


def test_it_lists_reads_changes_and_deletes(api, template, page):
    listed = api.get("/templates").json()
    assert [t["id"] for t in listed["items"]] == [template.code]
    assert api.get(f"/templates/{template.code}").json()["title"] == "The API is unavailable"
    changed = api.patch(f"/templates/{template.code}", {"title": "API errors", "page_id": None})
    assert changed.status_code == 200, changed.content
    assert (changed.json()["title"], changed.json()["page_id"]) == ("API errors", None)
    assert api.delete(f"/templates/{template.code}").status_code == 204
    assert not IncidentTemplate.objects.exists()


def test_page_filter_offers_the_pages_own_and_organization_wide(api, org, template, page):
    from upstate.pages.services import create_page

    second = create_page(org=org, name="Second", slug="second")
    wide = create_template(org=org, name="Everything", title="Everything is down")
    create_template(org=org, page=second, name="Second only", title="Second page down")
    listed = api.get(f"/templates?page_id={page.code}").json()["items"]
    assert sorted(t["id"] for t in listed) == sorted([template.code, wide.code])


def test_bad_input_names_the_field(api, template, page):
    duplicate = api.post("/templates", {"name": "API down", "title": "Again"})
    assert duplicate.status_code == 422
    assert "name" in field_errors(duplicate)
    bad_status = api.post("/templates", {"name": "X", "title": "Y", "status": "postmortem"})
    assert bad_status.status_code == 422
    assert "status" in field_errors(bad_status)
    unknown = api.post(
        "/templates", {"name": "X", "title": "Y", "page_id": page.code, "component_ids": ["x"]}
    )
    assert unknown.status_code == 422
    assert "component_ids" in field_errors(unknown)
    assert IncidentTemplate.objects.count() == 1


def test_a_viewer_reads_but_cannot_change(client, viewer, template):
    api = Api(client, viewer)
    assert api.get(f"/templates/{template.code}").status_code == 200
    assert api.post("/templates", {"name": "X", "title": "Y"}).status_code == 403
    assert api.patch(f"/templates/{template.code}", {"title": "Z"}).status_code == 403
    assert api.delete(f"/templates/{template.code}").status_code == 403
    assert IncidentTemplate.objects.get().title == "The API is unavailable"


def test_another_organization_sees_nothing(client, outsider, template, page, api_component):
    api = Api(client, outsider)
    assert api.get("/templates").json()["items"] == []
    assert api.get(f"/templates/{template.code}").status_code == 404
    assert api.patch(f"/templates/{template.code}", {"title": "Z"}).status_code == 404
    assert api.delete(f"/templates/{template.code}").status_code == 404
    # Nor can it name this organization's page or components in its own templates.
    on_page = api.post("/templates", {"name": "X", "title": "Y", "page_id": page.code})
    assert on_page.status_code == 422
    parts = api.post(
        "/templates", {"name": "X", "title": "Y", "component_ids": [api_component.code]}
    )
    assert parts.status_code == 422
    assert IncidentTemplate.objects.count() == 1
