"""Every endpoint against every persona: admin keys work, viewer keys read but cannot
write, responder keys cannot change pages, other organizations' keys get 404, and
requests without a valid key get 401."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone

from upstate.api.tests.helpers import Api, field_errors
from upstate.audit.models import AuditEntry
from upstate.incidents.models import Incident
from upstate.incidents.services import create_incident, save_postmortem
from upstate.maintenance.models import Maintenance
from upstate.maintenance.services import schedule_maintenance
from upstate.orgs.services import revoke_api_key
from upstate.pages.services import create_group


@dataclass
class World:
    page: str
    component: str
    group: str
    incident: str
    resolved: str
    maintenance: str


@pytest.fixture
def world(page, api_component) -> World:
    group = create_group(page=page, name="Core")
    incident = create_incident(
        page=page, title="Errors", impact="major", components={api_component: None}
    )
    resolved = create_incident(page=page, title="Blip", status="resolved")
    save_postmortem(incident=resolved, summary="A bad deploy")
    starts = timezone.now() + timedelta(days=1)
    maintenance = schedule_maintenance(
        page=page,
        title="Database upgrade",
        starts_at=starts,
        ends_at=starts + timedelta(hours=1),
        components=[api_component],
    )
    return World(
        page=page.code,
        component=api_component.code,
        group=group.code,
        incident=incident.code,
        resolved=resolved.code,
        maintenance=maintenance.code,
    )


READS = [
    "/pages/{page}",
    "/pages/{page}/components",
    "/components/{component}",
    "/pages/{page}/component-groups",
    "/component-groups/{group}",
    "/incidents/{incident}",
    "/incidents/{resolved}/postmortem",
    "/maintenances/{maintenance}",
]

# (method, path, body) of the writes only admin keys may make.
MANAGE_WRITES = [
    ("PATCH", "/pages/{page}", {"name": "Acme Status Renamed"}),
    ("DELETE", "/pages/{page}", None),
    ("POST", "/pages/{page}/components", {"name": "Email delivery"}),
    ("PATCH", "/components/{component}", {"name": "Public API"}),
    ("DELETE", "/components/{component}", None),
    ("POST", "/pages/{page}/component-groups", {"name": "Edge"}),
    ("PATCH", "/component-groups/{group}", {"name": "Edge"}),
    ("DELETE", "/component-groups/{group}", None),
]

# ... and the writes responder keys may make too.
RESPOND_WRITES = [
    ("PATCH", "/incidents/{incident}", {"title": "Elevated errors"}),
    ("DELETE", "/incidents/{incident}", None),
    ("POST", "/incidents/{incident}/updates", {"status": "identified", "message": "Found it"}),
    ("POST", "/incidents/{incident}/acknowledge", None),
    ("PUT", "/incidents/{resolved}/postmortem", {"summary": "A bad deploy, rolled back"}),
    ("POST", "/incidents/{resolved}/postmortem/publish", None),
    ("PATCH", "/maintenances/{maintenance}", {"title": "Database upgrade to 17"}),
    ("DELETE", "/maintenances/{maintenance}", None),
    ("POST", "/maintenances/{maintenance}/updates", {"status": "in_progress"}),
]

OBJECT_WRITES = MANAGE_WRITES + RESPOND_WRITES


def _label(call: tuple) -> str:
    return f"{call[0]} {call[1]}"


def _path(template: str, world: World) -> str:
    return template.format(**vars(world))


@pytest.mark.parametrize("template", READS)
def test_an_admin_key_can_read(client, owner, world, template):
    response = Api(client, owner).get(_path(template, world))
    assert response.status_code == 200, response.content


@pytest.mark.parametrize("call", OBJECT_WRITES, ids=_label)
def test_an_admin_key_can_write(client, owner, world, call):
    method, template, body = call
    response = Api(client, owner).call(method, _path(template, world), body)
    assert response.status_code in (200, 201, 204), response.content


@pytest.mark.parametrize("template", READS)
def test_a_viewer_key_can_read(client, viewer, world, template):
    assert Api(client, viewer).get(_path(template, world)).status_code == 200


@pytest.mark.parametrize("call", OBJECT_WRITES, ids=_label)
def test_a_viewer_key_cannot_write(client, viewer, world, call):
    method, template, body = call
    response = Api(client, viewer).call(method, _path(template, world), body)
    assert response.status_code == 403
    assert "viewer" in response.json()["message"]
    assert Incident.objects.get(code=world.incident).title == "Errors"
    assert Maintenance.objects.filter(code=world.maintenance).exists()


@pytest.mark.parametrize("call", MANAGE_WRITES, ids=_label)
def test_a_responder_key_cannot_change_pages_or_components(client, responder, world, call):
    method, template, body = call
    response = Api(client, responder).call(method, _path(template, world), body)
    assert response.status_code == 403


@pytest.mark.parametrize("call", RESPOND_WRITES, ids=_label)
def test_a_responder_key_can_respond(client, responder, world, call):
    method, template, body = call
    response = Api(client, responder).call(method, _path(template, world), body)
    assert response.status_code in (200, 201, 204), response.content


@pytest.mark.parametrize("template", READS)
def test_another_orgs_key_gets_404_on_reads(client, outsider, world, template):
    response = Api(client, outsider).get(_path(template, world))
    assert response.status_code == 404
    assert response.json()["message"]


@pytest.mark.parametrize("call", OBJECT_WRITES, ids=_label)
def test_another_orgs_key_gets_404_on_writes(client, outsider, world, call):
    method, template, body = call
    response = Api(client, outsider).call(method, _path(template, world), body)
    assert response.status_code == 404
    assert Incident.objects.get(code=world.incident).title == "Errors"


CREATES = [
    ("POST", "/pages", {"name": "Beta", "slug": "acme-beta"}),
    ("POST", "/incidents", {"title": "Down", "status": "investigating", "impact": "major"}),
    ("POST", "/maintenances", {"title": "Upgrade"}),
]
LISTS = ["/pages", "/incidents", "/maintenances"]


def _create_body(world: World, body: dict) -> dict:
    if "slug" in body:
        return body
    starts = timezone.now() + timedelta(days=2)
    if body["title"] == "Upgrade":
        window = {
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=1)).isoformat(),
        }
        body = {**body, **window}
    return {**body, "page_id": world.page}


@pytest.mark.parametrize("call", READS + LISTS)
def test_a_request_without_a_key_gets_401(client, world, call):
    response = Api(client).get(_path(call, world))
    assert response.status_code == 401
    assert "Bearer" in response.json()["message"]


@pytest.mark.parametrize("call", OBJECT_WRITES + CREATES, ids=_label)
def test_a_write_without_a_key_gets_401(client, world, call):
    method, template, body = call
    response = Api(client).call(method, _path(template, world), body)
    assert response.status_code == 401


def test_a_wrong_or_revoked_key_gets_401(client, owner, world):
    assert client.get("/api/v1/pages", HTTP_AUTHORIZATION="Bearer up_nope").status_code == 401
    assert client.get("/api/v1/pages", HTTP_AUTHORIZATION=owner.key).status_code == 401
    revoke_api_key(key=owner.org.api_keys.get(name="owner key"))
    assert Api(client, owner).get("/pages").status_code == 401


@pytest.mark.parametrize("call", CREATES, ids=_label)
def test_an_admin_key_can_create(client, owner, world, call):
    method, template, body = call
    response = Api(client, owner).call(method, template, _create_body(world, body))
    assert response.status_code == 201, response.content


@pytest.mark.parametrize("call", CREATES, ids=_label)
def test_a_viewer_key_cannot_create(client, viewer, world, call):
    method, template, body = call
    response = Api(client, viewer).call(method, template, _create_body(world, body))
    assert response.status_code == 403
    assert Incident.objects.count() == 2


def test_a_responder_key_cannot_create_pages(client, responder):
    response = Api(client, responder).post("/pages", {"name": "Beta", "slug": "beta"})
    assert response.status_code == 403


@pytest.mark.parametrize("template", ["/incidents", "/maintenances"])
def test_another_orgs_key_cannot_create_on_the_orgs_page(client, outsider, world, template):
    body = _create_body(world, {"title": "Upgrade", "status": "identified", "impact": "minor"})
    if template == "/incidents":
        body = {k: v for k, v in body.items() if k not in ("starts_at", "ends_at")}
    else:
        body = {k: v for k, v in body.items() if k not in ("status", "impact")}
    response = Api(client, outsider).post(template, body)
    assert response.status_code == 422
    assert "page_id" in field_errors(response)
    assert Incident.objects.count() == 2
    assert Maintenance.objects.count() == 1


@pytest.mark.parametrize("template", LISTS)
def test_another_orgs_lists_never_include_the_orgs_objects(
    client, outsider, other_page, world, template
):
    create_incident(page=other_page, title="Globex down")
    body = Api(client, outsider).get(template).json()
    items = body["items"] if isinstance(body, dict) else body
    ids = {item["id"] for item in items}
    assert not ids & set(vars(world).values())


@pytest.mark.parametrize("template", ["/incidents", "/maintenances"])
def test_another_orgs_key_cannot_filter_by_the_orgs_page(client, outsider, world, template):
    response = Api(client, outsider).get(f"{template}?page_id={world.page}")
    assert response.status_code == 422
    assert "page_id" in field_errors(response)


@pytest.mark.parametrize("template", LISTS)
def test_a_viewer_key_can_list(client, viewer, world, template):
    response = Api(client, viewer).get(template)
    assert response.status_code == 200
    body = response.json()
    items = body["items"] if isinstance(body, dict) else body
    assert items


def test_changes_made_with_a_key_are_attributed_to_it(client, owner, world):
    Api(client, owner).patch(f"/incidents/{world.incident}", {"title": "Elevated errors"})
    entry = AuditEntry.objects.filter(action="incident.changed").get()
    assert entry.api_key.name == "owner key"
    assert entry.user is None
