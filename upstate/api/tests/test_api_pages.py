"""Pages, components and component groups through the REST API."""

from __future__ import annotations

import json

import pytest

from upstate.api.tests.helpers import Api, field_errors
from upstate.incidents.services import create_incident
from upstate.pages.models import Component, ComponentGroup, StatusPage
from upstate.pages.services import create_component, create_group, create_page
from upstate.public import statuspage


@pytest.fixture
def api(client, owner) -> Api:
    return Api(client, owner)


def test_it_creates_a_page(api, org):
    response = api.post(
        "/pages",
        {
            "name": "Beta Status",
            "slug": "beta",
            "accent_color": "#112233",
            "time_zone": "Europe/Paris",
        },
    )
    assert response.status_code == 201
    body = response.json()
    page = StatusPage.objects.get(code=body["id"])
    assert page.org == org
    assert body["slug"] == "beta"
    assert body["accent_color"] == "#112233"
    assert body["url"].endswith("/p/beta")
    assert body["created_at"].endswith("Z")


def test_it_lists_the_orgs_pages_by_name(api, org, page):
    create_page(org=org, name="Beta Status", slug="beta")
    names = [p["name"] for p in api.get("/pages").json()]
    assert names == ["Acme Status", "Beta Status"]


@pytest.mark.parametrize(
    "body, field",
    [
        ({"name": "X", "slug": "acme"}, "slug"),  # taken by the `page` fixture
        ({"name": "X", "slug": "Not A Slug!"}, "slug"),
        ({"name": " ", "slug": "x1"}, "name"),
        ({"name": "X", "slug": "x1", "accent_color": "blue"}, "accent_color"),
        ({"name": "X", "slug": "x1", "time_zone": "Mars/Olympus"}, "time_zone"),
        ({"name": "X", "slug": "x1", "logo_url": "javascript:alert(1)"}, "logo_url"),
        ({"name": "X", "slug": "x1", "custom_domain": "not a host"}, "custom_domain"),
        ({"name": "X", "slug": "x1", "private": "maybe"}, "private"),
        ({"name": "X", "slug": "x1", "colour": "#000000"}, "colour"),
        ({"name": "X"}, "slug"),
    ],
)
def test_it_refuses_a_bad_page_naming_the_field(api, page, body, field):
    response = api.post("/pages", body)
    assert response.status_code == 422
    assert field in field_errors(response)
    assert StatusPage.objects.count() == 1


def test_it_changes_only_the_fields_sent(api, page):
    response = api.patch(f"/pages/{page.code}", {"name": "Acme Cloud Status"})
    assert response.status_code == 200
    page.refresh_from_db()
    assert page.name == "Acme Cloud Status"
    assert page.slug == "acme"


def test_it_refuses_null_for_a_required_page_field(api, page):
    response = api.patch(f"/pages/{page.code}", {"name": "Renamed", "show_severity": None})
    assert response.status_code == 422
    assert field_errors(response) == {"show_severity": "must not be null"}
    page.refresh_from_db()
    assert page.name == "Acme Status"


def test_it_clears_the_custom_domain_with_null(api, page):
    api.patch(f"/pages/{page.code}", {"custom_domain": "status.acme.test"})
    response = api.patch(f"/pages/{page.code}", {"custom_domain": None})
    assert response.json()["custom_domain"] is None


def test_it_deletes_a_page(api, page):
    assert api.delete(f"/pages/{page.code}").status_code == 204
    assert api.get(f"/pages/{page.code}").status_code == 404


def test_it_answers_404_for_a_malformed_id(api, page):
    assert api.get("/pages/not-a-code").status_code == 404
    assert api.get("/pages/%00").status_code == 404


# --- Components -----------------------------------------------------------------------------


def test_it_creates_a_component_in_a_group(api, page):
    group = create_group(page=page, name="Core")
    response = api.post(
        f"/pages/{page.code}/components",
        {
            "name": "Email delivery",
            "group_id": group.code,
            "baseline_status": "degraded_performance",
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert body["group_id"] == group.code
    assert body["page_id"] == page.code
    assert body["status"] == "degraded_performance"
    assert Component.objects.get(code=body["id"]).group == group


def test_it_refuses_a_group_of_another_page(api, org, page):
    beta = create_page(org=org, name="Beta", slug="beta")
    foreign = create_group(page=beta, name="Elsewhere")
    response = api.post(f"/pages/{page.code}/components", {"name": "X", "group_id": foreign.code})
    assert response.status_code == 422
    assert "group_id" in field_errors(response)
    assert not Component.objects.filter(name="X").exists()


@pytest.mark.parametrize(
    "body, field",
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 121}, "name"),
        ({"name": "X", "baseline_status": "on_fire"}, "baseline_status"),
        ({"name": "X", "position": -1}, "position"),
        ({"name": "X", "position": 2**40}, "position"),
        ({"name": "X", "start_date": "2026-02-30"}, "start_date"),
        ({"name": "X", "start_date": "last spring"}, "start_date"),
        ({"name": "X", "start_date": "2999-01-01"}, "start_date"),
        ({"name": "X", "keywords": "x" * 501}, "keywords"),
    ],
)
def test_it_refuses_a_bad_component_naming_the_field(api, page, body, field):
    response = api.post(f"/pages/{page.code}/components", body)
    assert response.status_code == 422
    assert field in field_errors(response)
    assert not page.components.exists()


def test_a_component_reports_its_derived_status(api, page, api_component):
    create_incident(page=page, title="Errors", impact="critical", components={api_component: None})
    listed = api.get(f"/pages/{page.code}/components").json()
    assert [(c["name"], c["status"], c["baseline_status"]) for c in listed] == [
        ("API", "major_outage", "operational")
    ]
    assert api.get(f"/components/{api_component.code}").json()["status"] == "major_outage"


def test_a_component_counts_its_uptime_from_its_start_date(api, page):
    response = api.post(
        f"/pages/{page.code}/components", {"name": "Legacy API", "start_date": "2026-01-15"}
    )
    assert response.status_code == 201
    assert response.json()["start_date"] == "2026-01-15"
    code = response.json()["id"]
    published = json.loads(statuspage.documents(page)["api/v2/components.json"])
    assert [c["start_date"] for c in published["components"]] == ["2026-01-15"]

    cleared = api.patch(f"/components/{code}", {"start_date": None})
    assert cleared.status_code == 200
    assert cleared.json()["start_date"] is None
    assert Component.objects.get(code=code).start_date is None


def test_keywords_are_kept_tidy_and_never_published(api, page):
    response = api.post(
        f"/pages/{page.code}/components",
        {"name": "Slack app", "keywords": " the bot,, workspace   app , the bot"},
    )
    assert response.status_code == 201
    assert response.json()["keywords"] == "the bot, workspace app"
    published = b"".join(v for v in statuspage.documents(page).values() if isinstance(v, bytes))
    assert b"workspace app" not in published


def test_it_ungroups_a_component_with_a_null_group(api, page):
    group = create_group(page=page, name="Core")
    component = create_component(page=page, name="API", group=group)
    response = api.patch(f"/components/{component.code}", {"group_id": None, "position": 7})
    assert response.status_code == 200
    component.refresh_from_db()
    assert component.group is None
    assert component.position == 7


def test_it_deletes_a_component(api, api_component):
    assert api.delete(f"/components/{api_component.code}").status_code == 204
    assert not Component.objects.filter(id=api_component.id).exists()


# --- Component groups -----------------------------------------------------------------------


def test_it_creates_and_lists_groups_with_their_components(api, page):
    response = api.post(f"/pages/{page.code}/component-groups", {"name": "Core"})
    assert response.status_code == 201
    group = ComponentGroup.objects.get(code=response.json()["id"])
    component = create_component(page=page, name="API", group=group)
    listed = api.get(f"/pages/{page.code}/component-groups").json()
    assert [(g["name"], g["component_ids"]) for g in listed] == [("Core", [component.code])]


def test_it_renames_a_group(api, page):
    group = create_group(page=page, name="Core")
    response = api.patch(f"/component-groups/{group.code}", {"name": "Platform"})
    assert response.json()["name"] == "Platform"


def test_it_refuses_an_empty_group_name(api, page):
    group = create_group(page=page, name="Core")
    response = api.patch(f"/component-groups/{group.code}", {"name": "  "})
    assert response.status_code == 422
    assert "name" in field_errors(response)


def test_deleting_a_group_keeps_its_components(api, page):
    group = create_group(page=page, name="Core")
    component = create_component(page=page, name="API", group=group)
    assert api.delete(f"/component-groups/{group.code}").status_code == 204
    component.refresh_from_db()
    assert component.group is None
