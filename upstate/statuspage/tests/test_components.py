"""Pages, components and component groups through Statuspage's management API."""

from __future__ import annotations

from upstate.audit.models import AuditEntry
from upstate.pages.health import component_statuses
from upstate.pages.models import Component, ComponentGroup
from upstate.pages.services import create_group, update_component


def test_a_monitoring_script_sets_a_component_status(sp, page, api_component):
    response = sp.patch(
        f"/pages/{page.code}/components/{api_component.code}",
        {"component": {"status": "major_outage"}},
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "major_outage"
    assert component_statuses(page)[api_component.id] == "major_outage"
    assert AuditEntry.objects.filter(action="component.updated").exists()
    back = sp.put(
        f"/pages/{page.code}/components/{api_component.code}.json",
        "component[status]=operational&component[name]=Public+API",
        form=True,
    )
    assert (back.json()["status"], back.json()["name"]) == ("operational", "Public API")


def test_it_creates_reads_and_deletes_components(sp, page):
    created = sp.post(
        f"/pages/{page.code}/components",
        {
            "component": {
                "name": "Search",
                "description": "Full-text search",
                "status": "degraded_performance",
                "only_show_if_degraded": "true",
                "start_date": "2024-01-31",
                "showcase": True,
            }
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["name"], body["status"], body["only_show_if_degraded"], body["start_date"]) == (
        "Search",
        "degraded_performance",
        True,
        "2024-01-31",
    )
    assert sp.get(f"/pages/{page.code}/components/{body['id']}").json()["id"] == body["id"]
    deleted = sp.delete(f"/pages/{page.code}/components/{body['id']}")
    assert deleted.status_code == 204 and deleted.content == b""
    assert not Component.objects.filter(code=body["id"]).exists()
    assert sp.get(f"/pages/{page.code}/components/{body['id']}").status_code == 404


def test_component_errors_name_the_field(sp, page, api_component):
    blank = sp.post(f"/pages/{page.code}/components", {"component": {"description": "x"}})
    assert blank.status_code == 422 and blank.json()["message"].startswith("name")
    bad = sp.patch(
        f"/pages/{page.code}/components/{api_component.code}", {"component": {"status": "sad"}}
    )
    assert bad.status_code == 422 and bad.json()["message"].startswith("status")
    api_component.refresh_from_db()
    assert api_component.baseline_status == "operational"


def test_groups_wrapped_or_unwrapped(sp, page, api_component, web_component):
    created = sp.post(
        f"/pages/{page.code}/component-groups",
        {
            "description": "Servers",
            "component_group": {"name": "Backend", "components": [api_component.code]},
        },
    )
    assert created.status_code == 201, created.content
    group = created.json()
    assert (group["name"], group["description"], group["components"]) == (
        "Backend",
        "Servers",
        [api_component.code],
    )
    api_component.refresh_from_db()
    assert api_component.group.code == group["id"]
    # The Terraform provider's SDK sends updates unwrapped.
    updated = sp.patch(
        f"/pages/{page.code}/component-groups/{group['id']}",
        {"name": "Core", "components": [web_component.code]},
    )
    assert (updated.json()["name"], updated.json()["components"]) == ("Core", [web_component.code])
    api_component.refresh_from_db()
    assert api_component.group is None
    listed = sp.get(f"/pages/{page.code}/component-groups").json()
    assert [g["id"] for g in listed] == [group["id"]]
    deleted = sp.delete(f"/pages/{page.code}/component-groups/{group['id']}")
    assert deleted.status_code == 200 and deleted.json()["id"] == group["id"]
    assert not ComponentGroup.objects.exists()
    web_component.refresh_from_db()
    assert web_component.group is None


def test_a_group_needs_components(sp, page):
    response = sp.post(
        f"/pages/{page.code}/component-groups", {"component_group": {"name": "Empty"}}
    )
    assert response.status_code == 422 and response.json()["message"].startswith("components")
    assert not ComponentGroup.objects.exists()


def test_null_group_id_removes_a_component_from_its_group(sp, page, api_component):
    group = create_group(page=page, name="G")
    update_component(component=api_component, group=group)
    response = sp.patch(
        f"/pages/{page.code}/components/{api_component.code}", {"component": {"group_id": "null"}}
    )
    assert response.json()["group_id"] is None


def test_pages_list_read_and_update(sp, page, other_page):
    assert [p["id"] for p in sp.get("/pages").json()] == [page.code]
    response = sp.patch(
        f"/pages/{page.code}",
        {
            "page": {
                "name": "Acme Cloud",
                "time_zone": "America/Chicago",
                "url": "https://status.acme.test/",
            }
        },
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["name"], body["time_zone"], body["domain"]) == (
        "Acme Cloud",
        "America/Chicago",
        "status.acme.test",
    )
    page.refresh_from_db()
    assert (page.name, page.time_zone, page.custom_domain) == (
        "Acme Cloud",
        "America/Chicago",
        "status.acme.test",
    )
    bad = sp.put(f"/pages/{page.code}", {"page": {"time_zone": "Mars/Olympus"}})
    assert bad.status_code == 422 and bad.json()["message"].startswith("time_zone")
    unsupported = sp.patch(f"/pages/{page.code}", {"page": {"headline": "Hi"}})
    assert unsupported.status_code == 400 and "headline" in unsupported.json()["message"]
