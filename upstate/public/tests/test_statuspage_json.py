"""The Statuspage-compatible ``api/v2/*.json`` documents, checked against statuspage-api.md."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from upstate.incidents.services import create_incident, delete_incident, post_update
from upstate.lib.timefmt import iso_ms
from upstate.maintenance.services import post_maintenance_update, schedule_maintenance
from upstate.pages.services import create_component, create_group
from upstate.public import links, statuspage
from upstate.public.tests.scene import Scene, build_scene

PAGE_KEYS = {"id", "name", "url", "time_zone", "updated_at"}
COMPONENT_KEYS = {
    "id",
    "name",
    "status",
    "created_at",
    "updated_at",
    "position",
    "description",
    "showcase",
    "start_date",
    "group_id",
    "page_id",
    "group",
    "only_show_if_degraded",
}
GROUP_KEYS = COMPONENT_KEYS | {"components"}
INCIDENT_KEYS = {
    "id",
    "name",
    "status",
    "created_at",
    "updated_at",
    "monitoring_at",
    "resolved_at",
    "impact",
    "shortlink",
    "started_at",
    "page_id",
    "incident_updates",
    "components",
}
MAINTENANCE_KEYS = INCIDENT_KEYS | {"scheduled_for", "scheduled_until"}
UPDATE_KEYS = {
    "id",
    "status",
    "body",
    "incident_id",
    "created_at",
    "updated_at",
    "display_at",
    "affected_components",
    "deliver_notifications",
    "custom_tweet",
    "tweet_id",
}
AFFECTED_KEYS = {"code", "name", "old_status", "new_status"}

COMPONENT_STATUSES = {
    "operational",
    "degraded_performance",
    "partial_outage",
    "major_outage",
    "under_maintenance",
}
INCIDENT_STATUSES = {"investigating", "identified", "monitoring", "resolved", "postmortem"}
MAINTENANCE_STATUSES = {"scheduled", "in_progress", "verifying", "completed"}
IMPACTS = {"none", "minor", "major", "critical", "maintenance"}

# Chicago is at -06:00 in winter and -05:00 in summer.
CHICAGO_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}-0[56]:00$")
UTC_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
TIME_KEYS = {"scheduled_for", "scheduled_until"}

ALL_PATHS = {
    "api/v2/summary.json",
    "api/v2/status.json",
    "api/v2/components.json",
    "api/v2/incidents.json",
    "api/v2/incidents/unresolved.json",
    "api/v2/scheduled-maintenances.json",
    "api/v2/scheduled-maintenances/upcoming.json",
    "api/v2/scheduled-maintenances/active.json",
}


@pytest.fixture
def scene(page) -> Scene:
    return build_scene(page)


def read(page, path: str) -> dict[str, Any]:
    return json.loads(statuspage.documents(page)[f"api/v2/{path}"])


def by_id(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {item["id"]: item for item in items}


def timestamps(value: Any, key: str = "") -> list[str]:
    """Every non-null timestamp in a document, wherever it is nested."""
    if isinstance(value, dict):
        return [t for k, v in value.items() for t in timestamps(v, k)]
    if isinstance(value, list):
        return [t for v in value for t in timestamps(v, key)]
    if value is not None and (key.endswith("_at") or key in TIME_KEYS):
        return [value]
    return []


def test_it_builds_every_statuspage_document(scene):
    documents = statuspage.documents(scene.page)
    assert set(documents) == ALL_PATHS
    for body in documents.values():
        assert set(json.loads(body)) >= {"page"}


def test_documents_are_compact_utf8_json(scene):
    create_component(page=scene.page, name="Café")
    body = statuspage.documents(scene.page)["api/v2/components.json"]
    assert "Café".encode() in body
    assert body == json.dumps(json.loads(body), separators=(",", ":"), ensure_ascii=False).encode()


def test_summary_has_the_statuspage_top_level_keys_in_order(scene):
    summary = read(scene.page, "summary.json")
    assert list(summary) == ["page", "components", "incidents", "scheduled_maintenances", "status"]
    assert list(read(scene.page, "status.json")) == ["page", "status"]
    assert list(read(scene.page, "components.json")) == ["page", "components"]
    assert list(read(scene.page, "incidents.json")) == ["page", "incidents"]
    assert list(read(scene.page, "incidents/unresolved.json")) == ["page", "incidents"]
    for path in ("", "/upcoming", "/active"):
        document = read(scene.page, f"scheduled-maintenances{path}.json")
        assert list(document) == ["page", "scheduled_maintenances"]


def test_empty_page_still_has_every_summary_list(page):
    summary = read(page, "summary.json")
    assert summary["components"] == []
    assert summary["incidents"] == []
    assert summary["scheduled_maintenances"] == []
    assert summary["status"] == {"indicator": "none", "description": "All Systems Operational"}


def test_page_object_names_the_page(scene):
    page_obj = read(scene.page, "status.json")["page"]
    assert set(page_obj) == PAGE_KEYS
    assert page_obj["id"] == scene.page.code
    assert page_obj["name"] == "Acme Status"
    assert page_obj["url"] == links.page_url(scene.page)
    assert page_obj["time_zone"] == "America/Chicago"


def test_page_updated_at_is_the_newest_change(scene):
    summary = read(scene.page, "summary.json")
    newest = max(
        [c["updated_at"] for c in summary["components"]]
        + [i["updated_at"] for i in summary["incidents"]]
        + [m["updated_at"] for m in summary["scheduled_maintenances"]]
    )
    # Same zone and format everywhere, so the strings compare like the times.
    assert summary["page"]["updated_at"] >= newest


def test_components_have_exact_keys_and_groups_list_their_children(scene):
    components = read(scene.page, "components.json")["components"]
    items = by_id(components)
    assert len(components) == 5
    for item in components:
        assert set(item) == (GROUP_KEYS if item["group"] else COMPONENT_KEYS)
        assert item["status"] in COMPONENT_STATUSES
        assert item["page_id"] == scene.page.code
    group = items[scene.infrastructure.code]
    assert group["group"] is True
    assert group["group_id"] is None
    assert group["components"] == [scene.database.code, scene.cache.code]
    assert items[scene.database.code]["group_id"] == scene.infrastructure.code
    assert items[scene.api.code]["group_id"] is None
    assert items[scene.api.code]["description"] == "REST API"
    assert items[scene.website.code]["description"] is None
    assert items[scene.api.code]["showcase"] is True
    assert items[scene.api.code]["only_show_if_degraded"] is False
    assert items[scene.api.code]["start_date"] is None


def test_positions_restart_within_each_group_and_the_list_is_sorted_by_position(scene):
    components = read(scene.page, "components.json")["components"]
    items = by_id(components)
    top = [scene.api, scene.infrastructure, scene.website]
    assert [items[c.code]["position"] for c in top] == [1, 2, 3]
    assert [items[c.code]["position"] for c in (scene.database, scene.cache)] == [1, 2]
    positions = [c["position"] for c in components]
    assert positions == sorted(positions)
    assert read(scene.page, "summary.json")["components"] == components


def test_component_statuses_are_derived_and_groups_show_the_worst_child(scene):
    items = by_id(read(scene.page, "components.json")["components"])
    assert items[scene.api.code]["status"] == "partial_outage"
    assert items[scene.database.code]["status"] == "operational"
    assert items[scene.cache.code]["status"] == "under_maintenance"
    assert items[scene.infrastructure.code]["status"] == "under_maintenance"
    # The internal incident would make the website a major outage; it must not show.
    assert items[scene.website.code]["status"] == "operational"


def test_rollup_indicator_follows_the_statuspage_rules(scene):
    status = read(scene.page, "status.json")["status"]
    assert status == {"indicator": "minor", "description": "Minor Service Outage"}
    post_update(incident=scene.active, status="resolved", message="Fixed.")
    status = read(scene.page, "summary.json")["status"]
    assert status == {"indicator": "maintenance", "description": "Service Under Maintenance"}


def test_a_component_under_maintenance_shows_under_maintenance(page, api_component):
    now = timezone.now()
    maintenance = schedule_maintenance(
        page=page,
        title="Upgrade",
        starts_at=now,
        ends_at=now + timedelta(hours=1),
        components=[api_component],
    )
    assert by_id(read(page, "components.json")["components"])[api_component.code]["status"] == (
        "operational"
    )
    post_maintenance_update(maintenance=maintenance, status="in_progress")
    summary = read(page, "summary.json")
    assert summary["components"][0]["status"] == "under_maintenance"
    assert summary["status"]["indicator"] == "maintenance"
    assert summary["scheduled_maintenances"][0]["components"][0]["status"] == "under_maintenance"


def test_incidents_have_exact_keys_and_enum_values(scene):
    incidents = read(scene.page, "incidents.json")["incidents"]
    assert [i["id"] for i in incidents] == [scene.active.code, scene.resolved.code]
    for incident in incidents:
        assert set(incident) == INCIDENT_KEYS
        assert incident["status"] in INCIDENT_STATUSES
        assert incident["impact"] in IMPACTS
        assert incident["page_id"] == scene.page.code
        for component in incident["components"]:
            assert set(component) == COMPONENT_KEYS
        for update in incident["incident_updates"]:
            assert set(update) == UPDATE_KEYS
            assert update["status"] in INCIDENT_STATUSES
            assert update["incident_id"] == incident["id"]
            assert update["custom_tweet"] is None and update["tweet_id"] is None
            for change in update["affected_components"] or []:
                assert set(change) == AFFECTED_KEYS
                assert {change["old_status"], change["new_status"]} <= COMPONENT_STATUSES


def test_an_incident_carries_its_timeline_newest_first(scene):
    active = read(scene.page, "incidents/unresolved.json")["incidents"][0]
    assert active["name"] == "Elevated API errors"
    assert active["status"] == "monitoring"
    assert active["impact"] == "minor"
    assert active["shortlink"] == links.incident_url(scene.active)
    assert active["resolved_at"] is None
    assert active["monitoring_at"] is not None
    updates = active["incident_updates"]
    assert [u["status"] for u in updates] == ["monitoring", "identified", "investigating"]
    assert updates[0]["body"] == "Rolled back; **watching**."
    assert updates[0]["display_at"] == updates[0]["created_at"]
    created = [u["created_at"] for u in updates]
    assert created == sorted(created, reverse=True)
    assert [c["id"] for c in active["components"]] == [scene.api.code]
    assert active["components"][0]["status"] == "partial_outage"


def test_affected_components_record_the_real_transition(scene):
    active = by_id(read(scene.page, "incidents.json")["incidents"])[scene.active.code]
    monitoring, identified, investigating = active["incident_updates"]
    assert monitoring["affected_components"] is None
    assert identified["affected_components"] == [
        {
            "code": scene.api.code,
            "name": "API",
            "old_status": "degraded_performance",
            "new_status": "partial_outage",
        }
    ]
    assert investigating["affected_components"][0]["new_status"] == "degraded_performance"
    resolved = by_id(read(scene.page, "incidents.json")["incidents"])[scene.resolved.code]
    assert resolved["incident_updates"][0]["affected_components"] == [
        {
            "code": scene.database.code,
            "name": "Infrastructure - Database",
            "old_status": "degraded_performance",
            "new_status": "operational",
        }
    ]


def test_unresolved_lists_only_active_incidents(scene):
    unresolved = read(scene.page, "incidents/unresolved.json")["incidents"]
    assert [i["id"] for i in unresolved] == [scene.active.code]
    summary = read(scene.page, "summary.json")
    assert [i["id"] for i in summary["incidents"]] == [scene.active.code]
    resolved = by_id(read(scene.page, "incidents.json")["incidents"])[scene.resolved.code]
    assert resolved["status"] == "resolved"
    assert resolved["resolved_at"] is not None


def test_internal_incidents_never_appear(scene):
    for path, body in statuspage.documents(scene.page).items():
        assert scene.internal.code.encode() not in body, path
        assert b"Internal disk alarm" not in body, path


def test_a_deleted_incident_vanishes(scene):
    code = scene.active.code
    delete_incident(incident=scene.active)
    for path, body in statuspage.documents(scene.page).items():
        assert code.encode() not in body, path
    assert read(scene.page, "status.json")["status"]["indicator"] == "maintenance"


def test_incidents_json_holds_the_50_most_recent(page, api_component):
    now = timezone.now()
    for n in range(52):
        create_incident(
            page=page,
            title=f"Old {n}",
            started_at=now - timedelta(days=60 - n),
            resolved_at=now - timedelta(days=60 - n, hours=-1),
        )
    incidents = read(page, "incidents.json")["incidents"]
    assert len(incidents) == 50
    assert incidents[0]["name"] == "Old 51"
    assert incidents[-1]["name"] == "Old 2"
    # backfilled: dated when they happened, not when they were entered
    assert incidents[0]["created_at"] == incidents[0]["started_at"]
    assert incidents[0]["created_at"] < incidents[0]["resolved_at"]


def test_maintenance_has_the_scheduled_maintenance_shape(scene):
    maintenances = read(scene.page, "scheduled-maintenances.json")["scheduled_maintenances"]
    assert [m["id"] for m in maintenances] == [scene.upcoming.code, scene.underway.code]
    for maintenance in maintenances:
        assert set(maintenance) == MAINTENANCE_KEYS
        assert maintenance["status"] in MAINTENANCE_STATUSES
        assert maintenance["impact"] == "maintenance"
        for update in maintenance["incident_updates"]:
            assert set(update) == UPDATE_KEYS
            assert update["status"] in MAINTENANCE_STATUSES
            for change in update["affected_components"]:
                assert set(change) == AFFECTED_KEYS
    underway = by_id(maintenances)[scene.underway.code]
    assert underway["status"] == "in_progress"
    assert underway["scheduled_for"] == iso_ms(scene.underway.starts_at, "America/Chicago")
    assert [u["status"] for u in underway["incident_updates"]] == ["in_progress", "scheduled"]
    started, scheduled = underway["incident_updates"]
    assert started["affected_components"] == [
        {
            "code": scene.cache.code,
            "name": "Infrastructure - Cache",
            "old_status": "operational",
            "new_status": "under_maintenance",
        }
    ]
    assert scheduled["body"] == "Upgrading the cache cluster."
    assert [c["id"] for c in underway["components"]] == [scene.cache.code]


def test_maintenance_endpoints_filter_by_status(scene):
    done = schedule_maintenance(
        page=scene.page,
        title="Finished work",
        starts_at=timezone.now() - timedelta(days=1),
        ends_at=timezone.now() - timedelta(hours=23),
    )
    post_maintenance_update(maintenance=done, status="completed")

    def ids(path: str) -> list[str]:
        return [m["id"] for m in read(scene.page, path)["scheduled_maintenances"]]

    assert ids("scheduled-maintenances/upcoming.json") == [scene.upcoming.code]
    assert ids("scheduled-maintenances/active.json") == [scene.underway.code]
    assert ids("summary.json") == [scene.underway.code, scene.upcoming.code]
    assert ids("scheduled-maintenances.json") == [
        scene.upcoming.code,
        scene.underway.code,
        done.code,
    ]
    completed = by_id(read(scene.page, "scheduled-maintenances.json")["scheduled_maintenances"])
    assert completed[done.code]["status"] == "completed"
    assert completed[done.code]["resolved_at"] is not None


def test_timestamps_have_milliseconds_and_the_page_offset(scene):
    documents = statuspage.documents(scene.page)
    found = [t for body in documents.values() for t in timestamps(json.loads(body))]
    assert len(found) > 50
    for value in found:
        assert CHICAGO_TIME.match(value), value


def test_utc_pages_write_z(page, api_component):
    create_incident(page=page, title="Blip", components={api_component: None})
    found = timestamps(json.loads(statuspage.documents(page)["api/v2/summary.json"]))
    assert found
    for value in found:
        assert UTC_TIME.match(value), value


def test_it_loads_everything_in_a_constant_number_of_queries(scene, django_assert_num_queries):
    with django_assert_num_queries(13):
        statuspage.documents(scene.page)
    group = create_group(page=scene.page, name="More")
    for n in range(5):
        component = create_component(page=scene.page, name=f"Extra {n}", group=group)
        incident = create_incident(
            page=scene.page, title=f"Extra {n}", components={component: "major_outage"}
        )
        post_update(incident=incident, status="identified", message="Found it.")
        schedule_maintenance(
            page=scene.page,
            title=f"Extra work {n}",
            starts_at=timezone.now() + timedelta(days=n + 1),
            ends_at=timezone.now() + timedelta(days=n + 2),
            components=[component],
        )
    with django_assert_num_queries(13):
        statuspage.documents(scene.page)
