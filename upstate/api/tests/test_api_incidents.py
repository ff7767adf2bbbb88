"""Incidents, their timeline and postmortems through the REST API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from upstate.api.tests.helpers import Api, field_errors
from upstate.incidents.models import Incident, IncidentUpdate, Postmortem
from upstate.incidents.services import (
    create_incident,
    post_update,
    publish_postmortem,
    save_postmortem,
)
from upstate.pages.health import component_statuses
from upstate.pages.models import ComponentStatus
from upstate.pages.services import create_component, create_page


@pytest.fixture
def api(client, responder) -> Api:
    return Api(client, responder)


def _declare(api: Api, page, **fields) -> dict:
    body = {"page_id": page.code, "title": "Errors", "status": "investigating", "impact": "major"}
    response = api.post("/incidents", {**body, **fields})
    assert response.status_code == 201, response.content
    return response.json()


def test_it_declares_an_incident(api, page, api_component):
    body = _declare(
        api,
        page,
        component_ids=[api_component.code],
        message="We are looking into elevated errors.",
        severity="high",
        category="outage",
    )
    incident = Incident.objects.get(code=body["id"])
    assert body["page_id"] == page.code
    assert (body["status"], body["impact"], body["severity"], body["category"]) == (
        "investigating",
        "major",
        "high",
        "outage",
    )
    assert body["source"] == "api"
    assert body["components"] == [
        {"id": api_component.code, "name": "API", "status": "partial_outage"}
    ]
    assert [u["message"] for u in body["updates"]] == ["We are looking into elevated errors."]
    assert body["public_url"].endswith(f"/p/acme/incidents/{incident.code}")
    assert body["postmortem_url"] is None
    assert body["resolved_at"] is None
    assert component_statuses(page)[api_component.id] == ComponentStatus.PARTIAL_OUTAGE


def test_a_per_component_status_overrides_the_impact(api, page, api_component, web_component):
    body = _declare(
        api,
        page,
        component_ids=[api_component.code],
        components={web_component.code: "degraded_performance"},
    )
    assert {c["name"]: c["status"] for c in body["components"]} == {
        "API": "partial_outage",
        "Website": "degraded_performance",
    }


def test_it_backfills_a_resolved_incident(api, page):
    started = timezone.now() - timedelta(days=3)
    body = _declare(
        api,
        page,
        started_at=started.isoformat(),
        resolved_at=(started + timedelta(hours=2)).isoformat(),
        notify=False,
    )
    assert body["status"] == "resolved"
    assert body["backfilled"] is True
    assert body["resolved_at"] is not None


def test_a_time_without_an_offset_is_utc(api, page):
    body = _declare(api, page, started_at="2024-05-01T10:00:00")
    assert body["started_at"] == "2024-05-01T10:00:00.000Z"
    incident = Incident.objects.get(code=body["id"])
    assert incident.started_at == datetime(2024, 5, 1, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    "fields, field, message",
    [
        ({"impact": "huge"}, "impact", "must be one of none, minor, major, critical"),
        ({"status": "exploded"}, "status", None),
        ({"status": "postmortem"}, "status", None),
        ({"severity": "sev1"}, "severity", None),
        ({"category": "weather"}, "category", None),
        ({"visibility": "secret"}, "visibility", None),
        ({"title": ""}, "title", "must not be empty"),
        ({"title": "x" * 256}, "title", "must be at most 255 characters"),
        (
            {"title": "nul \x00 byte"},
            "title",
            "must not contain control characters (U+0000 at position 5); "
            "only tab and newline are allowed",
        ),
        ({"message": "x" * 25_001}, "message", None),
        ({"started_at": "yesterday"}, "started_at", None),
        ({"started_at": "2999-01-01T00:00:00Z"}, "started_at", "must not be in the future"),
        (
            {"started_at": "2024-05-01T10:00:00Z", "resolved_at": "2024-05-01T09:00:00Z"},
            "resolved_at",
            "must be after started_at",
        ),
        ({"component_ids": ["nosuchcompnt"]}, "component_ids", None),
        ({"components": {"nosuchcompnt": "major_outage"}}, "components", None),
        ({"component_ids": "abc"}, "component_ids", "must be a list"),
        ({"notify": "perhaps"}, "notify", "must be true or false"),
        ({"page_id": "nosuchpage00"}, "page_id", None),
        ({"owner": "someone"}, "owner", "is not a known field"),
    ],
)
def test_it_refuses_a_bad_incident_naming_the_field(api, page, fields, field, message):
    body = {"page_id": page.code, "title": "Errors", "status": "investigating", "impact": "major"}
    response = api.post("/incidents", {**body, **fields})
    assert response.status_code == 422
    errors = field_errors(response)
    assert field in errors
    if message:
        assert errors[field] == message
    assert not Incident.objects.exists()


def test_it_names_every_missing_field(api):
    response = api.post("/incidents", {})
    assert response.status_code == 422
    assert field_errors(response) == {
        "page_id": "is required",
        "title": "is required",
    }  # status defaults to investigating, impact to minor (or the severity's word)


def test_it_refuses_a_body_that_is_not_json(api):
    response = api.post("/incidents", "{'title': ")
    assert response.status_code == 400
    assert field_errors(response) == {"body": "is not valid JSON"}


def test_it_refuses_a_component_of_another_page(api, org, page, api_component):
    beta = create_page(org=org, name="Beta", slug="beta")
    foreign = create_component(page=beta, name="Beta API")
    response = api.post(
        "/incidents",
        {
            "page_id": page.code,
            "title": "Errors",
            "status": "investigating",
            "impact": "major",
            "component_ids": [api_component.code, foreign.code],
        },
    )
    assert response.status_code == 422
    assert "component_ids" in field_errors(response)
    assert not Incident.objects.exists()


def test_it_refuses_a_component_of_another_org(api, page, other_page):
    foreign = create_component(page=other_page, name="Globex API")
    response = api.post(
        "/incidents",
        {
            "page_id": page.code,
            "title": "Errors",
            "status": "investigating",
            "impact": "major",
            "components": {foreign.code: "major_outage"},
        },
    )
    assert response.status_code == 422
    assert "components" in field_errors(response)


# --- Reading --------------------------------------------------------------------------------


def test_it_lists_incidents_newest_first(api, page):
    now = timezone.now()
    create_incident(page=page, title="Old", started_at=now - timedelta(days=2))
    create_incident(page=page, title="New", started_at=now - timedelta(hours=1))
    body = api.get("/incidents").json()
    assert body["count"] == 2
    assert [i["title"] for i in body["items"]] == ["New", "Old"]


def test_it_filters_incidents_by_state_and_page(api, org, page):
    open_one = create_incident(page=page, title="Open")
    closed = create_incident(page=page, title="Closed")
    post_update(incident=closed, status="resolved")
    beta = create_page(org=org, name="Beta", slug="beta")
    create_incident(page=beta, title="Beta open")

    def titles(query: str) -> list[str]:
        return sorted(i["title"] for i in api.get(f"/incidents?{query}").json()["items"])

    assert titles("state=active") == ["Beta open", "Open"]
    assert titles("state=resolved") == ["Closed"]
    assert titles(f"page_id={page.code}&state=active") == [open_one.title]


def test_it_pages_through_incidents(api, page):
    for n in range(3):
        create_incident(page=page, title=f"Incident {n}")
    body = api.get("/incidents?limit=2&offset=2").json()
    assert body["count"] == 3
    assert len(body["items"]) == 1


@pytest.mark.parametrize(
    "query, field",
    [
        ("state=sideways", "state"),
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("offset=-1", "offset"),
    ],
)
def test_it_refuses_bad_list_parameters(api, query, field):
    response = api.get(f"/incidents?{query}")
    assert response.status_code == 422
    assert field in field_errors(response)


def _busy_incident(page, components, n: int) -> None:
    incident = create_incident(
        page=page, title=f"Incident {n}", impact="minor", components={c: None for c in components}
    )
    post_update(incident=incident, status="identified", message="Found it")


def test_listing_incidents_takes_the_same_queries_for_one_or_many(
    api, page, api_component, web_component, django_assert_num_queries
):
    _busy_incident(page, [api_component], 0)
    api.get("/pages")  # the key's first use is recorded; later uses within a minute are not
    # key, count, incidents with page/owner/postmortem, components, updates, update changes
    with django_assert_num_queries(6) as one:
        assert len(api.get("/incidents").json()["items"]) == 1
    for n in range(1, 6):
        _busy_incident(page, [api_component, web_component], n)
    with django_assert_num_queries(len(one.captured_queries)):
        assert len(api.get("/incidents").json()["items"]) == 6


def test_it_shows_updates_newest_first(api, page):
    incident = create_incident(page=page, title="Errors", message="Looking")
    post_update(incident=incident, status="identified", message="Found it")
    body = api.get(f"/incidents/{incident.code}").json()
    assert [(u["status"], u["message"]) for u in body["updates"]] == [
        ("identified", "Found it"),
        ("investigating", "Looking"),
    ]


# --- Changing -------------------------------------------------------------------------------


def test_patching_the_status_to_resolved_posts_a_resolving_update(api, page, api_component):
    incident = create_incident(
        page=page, title="Errors", impact="major", components={api_component: None}
    )
    response = api.patch(f"/incidents/{incident.code}", {"status": "resolved", "message": "Fixed"})
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "resolved"
    assert body["resolved_at"] is not None
    assert body["updates"][0]["message"] == "Fixed"
    assert body["updates"][0]["component_changes"] == [
        {
            "id": api_component.code,
            "name": "API",
            "old_status": "partial_outage",
            "new_status": "operational",
        }
    ]
    assert component_statuses(page)[api_component.id] == ComponentStatus.OPERATIONAL


def test_patching_details_does_not_post_an_update(api, page):
    incident = create_incident(page=page, title="Errors", severity="low", category="bug")
    response = api.patch(
        f"/incidents/{incident.code}",
        {
            "title": "Elevated errors",
            "impact": "critical",
            "severity": None,
            "visibility": "internal",
        },
    )
    body = response.json()
    assert (body["title"], body["impact"], body["severity"], body["category"]) == (
        "Elevated errors",
        "critical",
        None,
        "bug",
    )
    assert body["public_url"] is None  # internal incidents are not on the public page
    assert len(body["updates"]) == 1


def test_a_bad_status_in_a_patch_changes_nothing(api, page):
    incident = create_incident(page=page, title="Errors")
    response = api.patch(
        f"/incidents/{incident.code}", {"title": "Renamed", "status": "postmortem"}
    )
    assert response.status_code == 422
    assert "status" in field_errors(response)
    incident.refresh_from_db()
    assert incident.title == "Errors"
    assert incident.updates.count() == 1


def test_a_message_without_a_status_is_refused(api, page):
    incident = create_incident(page=page, title="Errors")
    response = api.patch(f"/incidents/{incident.code}", {"message": "Hello"})
    assert response.status_code == 422
    assert "message" in field_errors(response)


def test_started_at_cannot_move_past_resolved_at(api, page):
    started = timezone.now() - timedelta(days=1)
    incident = create_incident(
        page=page, title="Old", started_at=started, resolved_at=started + timedelta(hours=1)
    )
    later = (started + timedelta(hours=2)).isoformat()
    response = api.patch(f"/incidents/{incident.code}", {"started_at": later})
    assert response.status_code == 422
    assert "started_at" in field_errors(response)


def test_it_posts_an_update_with_component_statuses(api, page, api_component, web_component):
    incident = create_incident(
        page=page, title="Errors", impact="major", components={api_component: None}
    )
    response = api.post(
        f"/incidents/{incident.code}/updates",
        {
            "status": "monitoring",
            "message": "A fix is rolling out",
            "components": {api_component.code: "degraded_performance"},
            "notify": False,
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "monitoring"
    assert body["monitoring_at"] is not None
    assert body["updates"][0]["notify"] is False
    assert component_statuses(page)[api_component.id] == ComponentStatus.DEGRADED_PERFORMANCE


def test_the_answer_to_an_update_is_the_incident_as_stored(api, page, api_component):
    incident = create_incident(
        page=page, title="Errors", impact="major", components={api_component: None}
    )
    post_update(incident=incident, status="identified", message="Found it")
    response = api.post(
        f"/incidents/{incident.code}/updates",
        {"status": "monitoring", "components": {api_component.code: "degraded_performance"}},
    )
    assert response.status_code == 201
    # The same as a fresh read: status, timeline with its component changes, components.
    assert response.json() == api.get(f"/incidents/{incident.code}").json()
    assert [u["status"] for u in response.json()["updates"]] == [
        "monitoring",
        "identified",
        "investigating",
    ]


def test_an_update_reads_the_incident_once_and_locks_it_once(api, page):
    from django.db import connection

    incident = create_incident(page=page, title="Errors", impact="major")
    reads: list[str] = []

    def spy(execute, sql, params, many, context):  # noqa: ANN001, ANN202
        if sql.startswith("SELECT") and 'FROM "incidents_incident"' in sql:
            reads.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(spy):
        response = api.post(f"/incidents/{incident.code}/updates", {"status": "identified"})
    assert response.status_code == 201
    assert len(response.json()["updates"]) == 2
    # The caller's incident, then its row locked for the change: not read back for the answer.
    assert len(reads) == 2


def test_an_update_naming_a_foreign_component_writes_nothing(api, org, page):
    beta = create_page(org=org, name="Beta", slug="beta")
    foreign = create_component(page=beta, name="Beta API")
    incident = create_incident(page=page, title="Errors")
    response = api.post(
        f"/incidents/{incident.code}/updates",
        {"status": "identified", "component_ids": [foreign.code]},
    )
    assert response.status_code == 422
    assert "component_ids" in field_errors(response)
    assert IncidentUpdate.objects.filter(incident=incident).count() == 1


def test_acknowledging_records_the_first_time_only(api, page):
    incident = create_incident(page=page, title="Errors")
    first = api.post(f"/incidents/{incident.code}/acknowledge").json()["acknowledged_at"]
    assert first is not None
    second = api.post(f"/incidents/{incident.code}/acknowledge").json()["acknowledged_at"]
    assert second == first


def test_deleting_an_incident_removes_it_and_its_updates(api, page):
    incident = create_incident(page=page, title="Errors")
    assert api.delete(f"/incidents/{incident.code}").status_code == 204
    assert api.get(f"/incidents/{incident.code}").status_code == 404
    assert not IncidentUpdate.objects.exists()


# --- Postmortems ----------------------------------------------------------------------------


@pytest.fixture
def resolved(page):
    incident = create_incident(page=page, title="Errors")
    post_update(incident=incident, status="resolved")
    return incident


def test_a_missing_postmortem_is_404(api, resolved):
    assert api.get(f"/incidents/{resolved.code}/postmortem").status_code == 404


def test_it_writes_a_postmortem_with_action_items(api, resolved, responder):
    response = api.put(
        f"/incidents/{resolved.code}/postmortem",
        {
            "title": "Errors on 1 May",
            "summary": "A bad deploy.",
            "root_cause": "A missing index.",
            "action_items": [
                {
                    "title": "Add the index",
                    "assignee": "responder@acme.test",
                    "due_date": "2030-01-31",
                },
                {"title": "Alert on slow queries", "state": "done"},
            ],
        },
    )
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "draft"
    assert body["url"] is None
    assert [
        (a["title"], a["assignee"], a["due_date"], a["state"], a["done"])
        for a in body["action_items"]
    ] == [
        ("Add the index", "responder@acme.test", "2030-01-31", "open", False),
        ("Alert on slow queries", None, None, "done", True),
    ]
    assert api.get(f"/incidents/{resolved.code}/postmortem").json() == body


def test_putting_a_postmortem_replaces_it(api, resolved):
    save_postmortem(incident=resolved, summary="First", action_items=[{"title": "Old item"}])
    body = api.put(f"/incidents/{resolved.code}/postmortem", {"root_cause": "Second"}).json()
    assert (body["summary"], body["root_cause"], body["action_items"]) == ("", "Second", [])


def test_an_active_incident_has_no_postmortem_yet(api, page):
    incident = create_incident(page=page, title="Errors")
    response = api.put(f"/incidents/{incident.code}/postmortem", {"summary": "Too early"})
    assert response.status_code == 422
    assert "incident" in field_errors(response)
    assert not Postmortem.objects.exists()


@pytest.mark.parametrize(
    "body, field",
    [
        ({"action_items": [{"title": ""}]}, "action_items.0.title"),
        ({"action_items": [{"title": "X", "due_date": "someday"}]}, "action_items.0.due_date"),
        (
            {"action_items": [{"title": "X", "assignee": "nobody@x.test"}]},
            "action_items.0.assignee",
        ),
        ({"action_items": [{"title": "X", "owner": "Sam"}]}, "action_items.0.owner"),
        ({"summary": 42}, "summary"),
    ],
)
def test_it_refuses_a_bad_postmortem_naming_the_field(api, resolved, body, field):
    response = api.put(f"/incidents/{resolved.code}/postmortem", body)
    assert response.status_code == 422
    assert field in field_errors(response)
    assert not Postmortem.objects.exists()


def test_it_publishes_a_postmortem(api, resolved):
    save_postmortem(incident=resolved, summary="A bad deploy.")
    response = api.post(f"/incidents/{resolved.code}/postmortem/publish")
    assert response.status_code == 200
    assert response.json()["status"] == "published"
    assert response.json()["url"].endswith(f"/incidents/{resolved.code}/postmortem")
    incident = api.get(f"/incidents/{resolved.code}").json()
    assert incident["status"] == "postmortem"
    assert incident["postmortem_url"] == response.json()["url"]


def test_publishing_an_empty_postmortem_is_refused(api, resolved):
    save_postmortem(incident=resolved, title="Only a title")
    response = api.post(f"/incidents/{resolved.code}/postmortem/publish")
    assert response.status_code == 422
    assert "summary" in field_errors(response)


def test_publishing_without_a_postmortem_is_refused(api, resolved):
    response = api.post(f"/incidents/{resolved.code}/postmortem/publish")
    assert response.status_code == 422
    assert "postmortem" in field_errors(response)


def test_publishing_twice_is_harmless(api, resolved):
    save_postmortem(incident=resolved, summary="A bad deploy.")
    publish_postmortem(incident=resolved)
    assert api.post(f"/incidents/{resolved.code}/postmortem/publish").status_code == 200
    assert resolved.updates.filter(status="postmortem").count() == 1
