"""/api/v1/monitors: create, read, change, delete, results; tenant isolation and roles."""

from __future__ import annotations

import pytest

from upstate.api.tests.helpers import Api, field_errors
from upstate.monitors.models import Monitor, MonitorStatus
from upstate.monitors.services import check_and_record, create_monitor


@pytest.fixture
def api(client, owner):
    return Api(client, owner)


def body(page, component, **extra):
    return {
        "name": "Public API",
        "kind": "http",
        "url": "https://api.acme.test/health",
        "interval_seconds": 30,
        "keyword": "ok",
        "headers": {"X-Probe": "upstate"},
        "alert_policy": {
            "page_id": page.code,
            "component_id": component.code,
            "impact": "critical",
            "severity": "high",
            "failures_before_open": 2,
        },
        **extra,
    }


def test_it_creates_reads_lists_changes_and_deletes(api, page, api_component, web_component):
    response = api.post("/monitors", body(page, api_component))
    assert response.status_code == 201, response.json()
    created = response.json()
    assert created["name"] == "Public API"
    assert created["status"] == "pending"
    assert created["ping_url"] is None
    assert created["headers"] == {"X-Probe": "upstate"}
    assert created["alert_policy"] == {
        "create_status_page_incident": True,
        "page_id": page.code,
        "component_id": api_component.code,
        "impact": "critical",
        "severity": "high",
        "failures_before_open": 2,
        "successes_before_resolve": 2,
        "post_updates_while_down": False,
        "page_responders": False,
        "message_template": "{monitor} is failing its checks: {reason}",
    }
    code = created["id"]
    assert api.get(f"/monitors/{code}").json() == created
    assert [m["id"] for m in api.get("/monitors").json()["items"]] == [code]

    patch = {"interval_seconds": 60, "alert_policy": {"component_id": web_component.code}}
    changed = api.patch(f"/monitors/{code}", patch).json()
    assert changed["interval_seconds"] == 60
    assert changed["alert_policy"]["component_id"] == web_component.code
    assert changed["alert_policy"]["impact"] == "critical"  # untouched

    assert api.delete(f"/monitors/{code}").status_code == 204
    assert api.get(f"/monitors/{code}").status_code == 404


def test_a_heartbeat_gets_its_ping_url(api, settings):
    settings.PUBLIC_URL = "https://status.acme.test"
    response = api.post(
        "/monitors",
        {
            "name": "Backup",
            "kind": "heartbeat",
            "alert_policy": {"create_status_page_incident": False},
        },
    )
    assert response.status_code == 201, response.json()
    token = Monitor.objects.get().token
    assert response.json()["ping_url"] == f"https://status.acme.test/api/v1/heartbeat/{token}"


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"interval_seconds": 5}, "interval_seconds", "must be at least 10"),
        ({"url": ""}, "url", "is required for an HTTP monitor"),
        ({"url": "ftp://x"}, "url", "must be an http or https URL"),
        ({"timeout_seconds": 60, "interval_seconds": 30}, "timeout_seconds", "must not be longer"),
        ({"expected_statuses": "2xx"}, "expected_statuses", "is not a status code"),
        ({"headers": {"Bad Name": "x"}}, "headers", "is not a valid header name"),
        ({"method": "BREW"}, "method", "must be one of"),
        ({"kind": "ping"}, "kind", "must be one of"),
        ({"surprise": 1}, "surprise", "is not a known field"),
    ],
)
def test_bad_input_names_the_field(api, page, api_component, change, field, message):
    response = api.post("/monitors", {**body(page, api_component), **change})
    assert response.status_code == 422
    assert message in field_errors(response)[field]
    assert not Monitor.objects.exists()


def test_bad_policies_name_the_policy_field(api, page, api_component, other_page):
    from upstate.pages.services import create_component

    cases = [
        ({"message_template": "{oops}"}, "alert_policy.message_template", "unknown placeholder"),
        ({"page_id": other_page.code}, "alert_policy.page_id", "no page with id"),
        ({"failures_before_open": 0}, "alert_policy.failures_before_open", "at least 1"),
        (
            {"page_id": None, "component_id": None},
            "alert_policy.page_id",
            "is required to open incidents",
        ),
    ]
    foreign = create_component(page=other_page, name="Theirs")
    cases.append(({"component_id": foreign.code}, "alert_policy.component_id", "no component"))
    for policy, field, message in cases:
        payload = body(page, api_component)
        payload["alert_policy"] = {**payload["alert_policy"], **policy}
        response = api.post("/monitors", payload)
        assert response.status_code == 422, (policy, response.json())
        assert message in field_errors(response)[field], (policy, response.json())
    assert not Monitor.objects.exists()


def test_results_are_listed_newest_first(api, org, page, http_target):
    monitor = create_monitor(
        org=org, name="API", kind="http", url=http_target.url(), create_incident=False
    )
    check_and_record(monitor)
    http_target.mode = "error"
    check_and_record(monitor)
    results = api.get(f"/monitors/{monitor.code}/results").json()["items"]
    assert [r["ok"] for r in results] == [False, True]
    assert results[0]["status_code"] == 500
    assert results[0]["reason"] == "HTTP 500, expected 200-299"
    failed = api.get(f"/monitors/{monitor.code}/results?ok=false").json()["items"]
    assert len(failed) == 1


def test_outsiders_get_404_everywhere(client, org, page, api_component, outsider):
    monitor = create_monitor(org=org, name="API", kind="tcp", host="db", port=5432, page=page)
    api = Api(client, outsider)
    assert api.get("/monitors").json()["items"] == []
    for method, path, payload in [
        ("GET", f"/monitors/{monitor.code}", None),
        ("PATCH", f"/monitors/{monitor.code}", {"name": "Mine"}),
        ("DELETE", f"/monitors/{monitor.code}", None),
        ("GET", f"/monitors/{monitor.code}/results", None),
    ]:
        assert api.call(method, path, payload).status_code == 404, (method, path)
    # Naming another organization's page or component is bad input, not a way in.
    response = api.post("/monitors", body(page, api_component))
    assert response.status_code == 422
    monitor.refresh_from_db()
    assert monitor.name == "API"


@pytest.mark.parametrize("persona", ["viewer", "responder"])
def test_only_admins_change_monitors(client, org, page, api_component, persona, request):
    monitor = create_monitor(org=org, name="API", kind="tcp", host="db", port=5432, page=page)
    api = Api(client, request.getfixturevalue(persona))
    assert api.get(f"/monitors/{monitor.code}").status_code == 200
    assert api.post("/monitors", body(page, api_component)).status_code == 403
    assert api.patch(f"/monitors/{monitor.code}", {"name": "x"}).status_code == 403
    assert api.delete(f"/monitors/{monitor.code}").status_code == 403
    assert Monitor.objects.get().name == "API"


def test_heartbeat_pings_over_http(client, org, page):
    monitor = create_monitor(
        org=org, name="Backup", kind="heartbeat", interval_seconds=60, create_incident=False
    )
    assert client.get(f"/api/v1/heartbeat/{monitor.token}").status_code == 200
    assert client.post(f"/api/v1/heartbeat/{monitor.token}").status_code == 200
    monitor.refresh_from_db()
    assert monitor.status == MonitorStatus.UP
    assert monitor.results.count() == 2
    response = client.get("/api/v1/heartbeat/not-a-token")
    assert response.status_code == 404
    assert response.json()["message"] == "No active heartbeat monitor has this token"


def test_moving_the_policy_to_another_page_drops_the_old_component(api, org, page, api_component):
    from upstate.pages.services import create_page

    code = api.post("/monitors", body(page, api_component)).json()["id"]
    status = create_page(org=org, name="Internal", slug="acme-internal")
    moved = api.patch(f"/monitors/{code}", {"alert_policy": {"page_id": status.code}})
    assert moved.status_code == 200, moved.json()
    assert moved.json()["alert_policy"]["page_id"] == status.code
    assert moved.json()["alert_policy"]["component_id"] is None


def test_clearing_the_page_of_a_policy_that_opens_incidents_is_refused(api, page, api_component):
    code = api.post("/monitors", body(page, api_component)).json()["id"]
    # The component alone names its page, so both must go.
    cleared = {"alert_policy": {"page_id": None, "component_id": None}}
    response = api.patch(f"/monitors/{code}", cleared)
    assert response.status_code == 422
    assert field_errors(response) == {
        "alert_policy.page_id": "is required to open incidents on a status page"
    }
    off = {
        "alert_policy": {
            "page_id": None,
            "component_id": None,
            "create_status_page_incident": False,
        }
    }
    assert api.patch(f"/monitors/{code}", off).json()["alert_policy"]["page_id"] is None
