"""Property-based fuzzing of every operation from the OpenAPI document (schemathesis): no
input, however odd, may make a server error."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from upstate.api.root import api
from upstate.incidents.services import create_incident, post_update, save_postmortem
from upstate.pages.services import create_group
from upstate.paging.services import create_team

# Operations that take input beyond ids: bodies, and the lists' query parameters. (Random
# ids in paths only ever find nothing: test_access covers those.)
schema = (
    schemathesis.openapi.from_dict(api.get_openapi_schema(path_prefix="/api/v1"))
    .include(method=["POST", "PUT", "PATCH"])
    .include(method="GET", path=["/api/v1/incidents", "/api/v1/maintenances"])
)
schema.app = WSGIHandler()
schema.config.phases.coverage.enabled = False  # its many boundary cases take most of a minute


@pytest.fixture
def _keep_the_test_connection():
    """The WSGI handler closes connections around each request; the test's transaction must
    survive them, as in Django's own test client."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def real_ids(page, api_component) -> dict[str, str]:
    incident = create_incident(page=page, title="Errors", components={api_component: None})
    post_update(incident=incident, status="resolved")
    save_postmortem(incident=incident, summary="A bad deploy")
    group = create_group(page=page, name="Core")
    team = create_team(org=page.org, name="Ops", members=[])
    return {
        "team_id": team.code,
        "page_id": page.code,
        "component_id": api_component.code,
        "group_id": group.code,
        "incident_id": incident.code,
    }


@schema.parametrize()
@settings(
    max_examples=5,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_request_makes_a_server_error(case, owner, real_ids, _keep_the_test_connection):
    # Requests with a body name real objects, so the fuzzed input reaches the services.
    if case.path_parameters and case.body is not None:
        for name in case.path_parameters:
            case.path_parameters[name] = real_ids.get(name, case.path_parameters[name])
    if isinstance(case.body, dict) and "page_id" in case.body:
        case.body["page_id"] = real_ids["page_id"]
    case.call_and_validate(
        headers={"Authorization": f"Bearer {owner.key}"}, checks=[not_a_server_error]
    )
