"""The OpenAPI document and the interactive docs."""

from __future__ import annotations

EXPECTED_PATHS = {
    "/api/v1/pages": {"get", "post"},
    "/api/v1/pages/{page_id}": {"get", "patch", "delete"},
    "/api/v1/pages/{page_id}/components": {"get", "post"},
    "/api/v1/components/{component_id}": {"get", "patch", "delete"},
    "/api/v1/pages/{page_id}/component-groups": {"get", "post"},
    "/api/v1/component-groups/{group_id}": {"get", "patch", "delete"},
    "/api/v1/incidents": {"get", "post"},
    "/api/v1/incidents/{incident_id}": {"get", "patch", "delete"},
    "/api/v1/incidents/{incident_id}/updates": {"post"},
    "/api/v1/incidents/{incident_id}/acknowledge": {"post"},
    "/api/v1/incidents/{incident_id}/postmortem": {"get", "put"},
    "/api/v1/incidents/{incident_id}/postmortem/publish": {"post"},
    "/api/v1/maintenances": {"get", "post"},
    "/api/v1/maintenances/{maintenance_id}": {"get", "patch", "delete"},
    "/api/v1/maintenances/{maintenance_id}/updates": {"post"},
    "/api/v1/pages/{page_id}/subscribers": {"get", "post"},
    "/api/v1/subscribers/{subscriber_id}": {"get", "delete"},
    "/api/v1/match": {"post"},
    "/api/v1/incidents/{incident_id}/conversations": {"get", "post"},
    "/api/v1/hooks/conversations": {"post"},
    "/api/v1/hooks/conversations/secret": {"post"},
    "/api/v1/pages/{page_id}/match-key": {"post"},
    "/api/v1/monitors": {"get", "post"},
    "/api/v1/monitors/{monitor_id}": {"get", "patch", "delete"},
    "/api/v1/monitors/{monitor_id}/results": {"get"},
    "/api/v1/incidents/{incident_id}/notifications": {"get"},
    "/api/v1/incidents/{incident_id}/deliveries": {"get"},
    "/api/v1/subscribers/{subscriber_id}/deliveries": {"get"},
    "/api/v1/members": {"get"},
    "/api/v1/teams": {"get", "post"},
    "/api/v1/teams/{team_id}": {"get", "patch", "delete"},
    "/api/v1/routes": {"get"},
    "/api/v1/routes/{category}": {"put"},
    "/api/v1/providers": {"get", "patch"},
    "/api/v1/response-targets": {"get", "patch"},
    "/api/v1/teams/{team_id}/rotation": {"get", "put", "delete"},
    "/api/v1/teams/{team_id}/oncall": {"get"},
    "/api/v1/teams/{team_id}/overrides": {"get", "post"},
    "/api/v1/teams/{team_id}/overrides/{override_id}": {"get", "patch", "delete"},
    "/api/v1/templates": {"get", "post"},
    "/api/v1/templates/{template_id}": {"get", "patch", "delete"},
    "/api/v1/pages/{page_id}/custom-domain/check": {"post"},
    "/api/v1/tasks": {"get"},
    "/api/v1/tasks/{task_id}": {"get", "patch"},
}
# Signed with the organization's hook secret (X-Upstate-Signature) instead of a bearer key.
SIGNED_PATHS = {"/api/v1/hooks/conversations"}


def test_the_openapi_document_lists_every_endpoint(client, db):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["info"]["title"] == "Upstate API"
    assert {path: set(ops) for path, ops in document["paths"].items()} == EXPECTED_PATHS


def test_every_operation_requires_a_bearer_key(client, db):
    document = client.get("/api/v1/openapi.json").json()
    schemes = document["components"]["securitySchemes"]
    assert {s["scheme"] for s in schemes.values()} == {"bearer"}
    for path, operations in document["paths"].items():
        for operation in operations.values():
            if path in SIGNED_PATHS:
                continue
            assert operation["security"], operation["operationId"]


def test_the_schemas_follow_the_in_patch_out_families(client, db):
    names = set(client.get("/api/v1/openapi.json").json()["components"]["schemas"])
    for noun in ("Page", "Component", "ComponentGroup", "Incident", "Maintenance", "Monitor"):
        assert {f"{noun}In", f"{noun}Patch", f"{noun}Out"} <= names


def test_the_docs_page_loads(client, db):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    assert b"openapi.json" in response.content


def test_it_answers_unknown_endpoints_in_the_api_error_shape(client, viewer):
    response = client.get("/api/v1/no-such-thing", **viewer.auth)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert "/api/v1/no-such-thing" in response.json()["message"]
