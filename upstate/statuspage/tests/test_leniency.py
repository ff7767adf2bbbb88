"""What old and strict clients send and expect: `.json` suffixes, form bodies, JSON without a
Content-Type, a form Content-Type on empty requests, "" for absent values, string booleans;
JSON errors for unknown paths and methods."""

from __future__ import annotations

import json

from upstate.incidents.models import Incident
from upstate.statuspage.bodies import parse_form
from upstate.statuspage.tests.conftest import BASE


def test_bracket_form_fields_nest_like_rails():
    parsed = parse_form(
        "incident[name]=A+b&incident[component_ids][]=x1&incident[component_ids][]=x2"
        "&incident[components][x1]=major_outage&incident[deliver_notifications]=false"
    )
    assert parsed == {
        "incident": {
            "name": "A b",
            "component_ids": ["x1", "x2"],
            "components": {"x1": "major_outage"},
            "deliver_notifications": "false",
        }
    }


def test_every_path_takes_a_json_suffix(sp, page, api_component):
    for path in (
        "/pages.json",
        f"/pages/{page.code}.json",
        f"/pages/{page.code}/components.json",
        f"/pages/{page.code}/components/{api_component.code}.json",
        f"/pages/{page.code}/incidents.json",
        f"/pages/{page.code}/incidents/unresolved.json",
        f"/pages/{page.code}/subscribers.json",
        f"/pages/{page.code}/incident_templates.json",
    ):
        assert sp.get(path).status_code == 200, path


def test_json_without_content_type_and_empty_form_requests(client, owner, page, api_component):
    headers = {"HTTP_AUTHORIZATION": f"OAuth {owner.key}"}
    # The Terraform provider's Go SDK: JSON, no Content-Type, Go's zero values for the rest.
    body = json.dumps(
        {
            "incident": {
                "name": "From Go",
                "status": "investigating",
                "impact_override": "",
                "scheduled_for": "",
                "components": None,
                "deliver_notifications": "true",
            }
        }
    )
    created = client.generic(
        "POST", f"{BASE}/pages/{page.code}/incidents", body, content_type="", **headers
    )
    assert created.status_code == 201, created.content
    assert created.json()["scheduled_for"] is None and created.json()["impact"] == "none"
    # A form Content-Type on a GET and a DELETE with no body.
    listed = client.generic(
        "GET",
        f"{BASE}/pages/{page.code}/incidents",
        "",
        content_type="application/x-www-form-urlencoded",
        **headers,
    )
    assert listed.status_code == 200 and len(listed.json()) == 1
    gone = client.generic(
        "DELETE",
        f"{BASE}/pages/{page.code}/incidents/{created.json()['id']}",
        "",
        content_type="application/x-www-form-urlencoded",
        **headers,
    )
    assert gone.status_code == 200 and not Incident.objects.exists()


def test_unknown_paths_and_methods_answer_json(sp, page):
    for response, status in (
        (sp.get("/nothing/here"), 404),
        (sp.get(f"/pages/{page.code}/metrics"), 404),
        (sp.get("/pages/zzzzzzzzzzzz"), 404),
        (sp.delete(f"/pages/{page.code}/incidents"), 405),
        (sp.post(f"/pages/{page.code}"), 405),
    ):
        assert response.status_code == status
        assert response["Content-Type"] == "application/json"
        assert set(response.json()) == {"error", "message"}
    unsupported = sp.get(f"/pages/{page.code}/components/abc/uptime")
    assert unsupported.status_code == 404 and "uptime" in unsupported.json()["message"]


def test_a_body_over_the_limit_gets_a_json_413(sp, page, settings):
    settings.MAX_REQUEST_BYTES = settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = sp.post(f"/pages/{page.code}/incidents", {"incident": {"name": "x" * 2000}})
    assert response.status_code == 413
    assert response.json()["message"].startswith("body") and "error" in response.json()
    assert not Incident.objects.exists()


def test_a_custom_domain_serves_no_management_api(client, owner, page):
    from django.utils import timezone

    from upstate.pages.models import StatusPage

    domain = "status.acme.test"
    StatusPage.objects.filter(id=page.id).update(
        custom_domain=domain, domain_verified_at=timezone.now()
    )
    headers = {"HTTP_AUTHORIZATION": f"OAuth {owner.key}"}
    assert client.get(f"{BASE}/pages", HTTP_HOST=domain, **headers).status_code == 404
    assert client.get(f"{BASE}/pages", **headers).status_code == 200
