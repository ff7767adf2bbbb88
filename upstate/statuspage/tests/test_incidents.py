"""Incidents through Statuspage's management API: created, updated, listed and deleted as
Statuspage's clients do it (JSON and form-encoded), with the same effects as everywhere else
in Upstate: notifications, the public documents, the audit log."""

from __future__ import annotations

import json
from datetime import timedelta

from django.utils import timezone

from upstate.audit.models import AuditEntry
from upstate.incidents.models import Incident, Source
from upstate.incidents.services import create_incident
from upstate.maintenance.models import Maintenance
from upstate.notifications.models import Event, EventKind
from upstate.pages.health import component_statuses
from upstate.public import statuspage as public_v2

SOON = (timezone.now() + timedelta(days=2)).replace(microsecond=0)


def _url(page, rest: str = "") -> str:
    return f"/pages/{page.code}/incidents{rest}"


def test_it_creates_a_realtime_incident_as_documented(sp, page, api_component, web_component):
    response = sp.post(
        _url(page),
        {
            "incident": {
                "name": "Elevated API error rates",
                "status": "investigating",
                "impact_override": "major",
                "body": "We are investigating.",
                "component_ids": [web_component.code],
                "components": {api_component.code: "partial_outage"},
                "deliver_notifications": True,
                "metadata": {"port": {"runId": "r_123"}},
            }
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    incident = Incident.objects.get(code=body["id"])
    assert (incident.title, incident.status, incident.impact, incident.source) == (
        "Elevated API error rates",
        "investigating",
        "major",
        Source.API,
    )
    assert (body["status"], body["impact"], body["name"]) == (
        "investigating",
        "major",
        "Elevated API error rates",
    )
    # The named component without a status keeps its own, as on Statuspage.
    statuses = component_statuses(page)
    assert statuses[api_component.id] == "partial_outage"
    assert statuses[web_component.id] == "operational"
    assert {c["id"]: c["status"] for c in body["components"]} == {
        api_component.code: "partial_outage",
        web_component.code: "operational",
    }
    assert body["incident_updates"][0]["body"] == "We are investigating."
    assert Event.objects.filter(incident=incident, kind=EventKind.INCIDENT_CREATED).count() == 1
    assert AuditEntry.objects.filter(action="incident.created", target_code=incident.code).exists()


def test_impact_is_calculated_from_the_components_without_an_override(sp, page, api_component):
    body = sp.post(
        _url(page),
        {"incident": {"name": "Down", "components": {api_component.code: "major_outage"}}},
    ).json()
    assert (body["impact"], body["status"]) == ("critical", "investigating")


def test_deliver_notifications_false_notifies_nobody(sp, page, api_component):
    created = sp.post(
        _url(page), {"incident": {"name": "Quiet", "deliver_notifications": False}}
    ).json()
    sp.patch(
        _url(page, f"/{created['id']}"),
        {"incident": {"status": "resolved", "body": "Done", "deliver_notifications": "false"}},
    )
    assert Incident.objects.get(code=created["id"]).status == "resolved"
    assert not Event.objects.exists()


def test_a_legacy_form_encoded_client_creates_and_resolves(sp, page, api_component, web_component):
    form = (
        "incident[name]=Checkout+fails&incident[status]=identified"
        "&incident[message]=Card+payments+fail&incident[impact_override]=minor"
        f"&incident[component_ids][]={web_component.code}"
        f"&incident[components][{api_component.code}]=degraded_performance"
        "&incident[wants_twitter_update]=f"
    )
    created = sp.post(_url(page) + ".json", form, form=True)
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["status"], body["impact"]) == ("identified", "minor")
    assert body["incident_updates"][0]["body"] == "Card payments fail"
    assert component_statuses(page)[api_component.id] == "degraded_performance"
    resolved = sp.put(
        _url(page, f"/{body['id']}.json"),
        "incident[status]=resolved&incident[message]=Fixed",
        form=True,
    )
    assert resolved.status_code == 200, resolved.content
    assert [u["status"] for u in resolved.json()["incident_updates"]] == ["resolved", "identified"]
    assert component_statuses(page)[api_component.id] == "operational"


def test_patch_changes_details_and_appends_updates(sp, page, api_component):
    incident = create_incident(page=page, title="Errors", impact="minor")
    url = _url(page, f"/{incident.code}")
    renamed = sp.patch(url, {"incident": {"name": "API errors", "impact_override": "critical"}})
    assert renamed.status_code == 200
    assert (renamed.json()["name"], renamed.json()["impact"]) == ("API errors", "critical")
    assert len(renamed.json()["incident_updates"]) == 1  # details only: no timeline entry
    updated = sp.patch(
        url,
        {
            "incident": {
                "status": "monitoring",
                "body": "Fix deployed",
                "components": {api_component.code: "operational"},
            }
        },
    ).json()
    assert updated["status"] == "monitoring" and updated["monitoring_at"] is not None
    assert updated["incident_updates"][0]["body"] == "Fix deployed"
    assert Event.objects.filter(kind=EventKind.INCIDENT_UPDATED).count() == 1


def test_it_schedules_maintenance_as_a_scheduled_incident(sp, page, api_component):
    response = sp.post(
        _url(page),
        {
            "incident": {
                "name": "DB upgrade",
                "status": "scheduled",
                "scheduled_for": SOON.isoformat(),
                "scheduled_until": (SOON + timedelta(hours=2)).isoformat(),
                "scheduled_remind_prior": True,
                "scheduled_auto_in_progress": True,
                "scheduled_auto_completed": "true",
                "auto_transition_to_maintenance_state": True,
                "auto_transition_to_operational_state": True,
                "component_ids": [api_component.code],
                "body": "We will be undergoing scheduled maintenance.",
            }
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    maintenance = Maintenance.objects.get(code=body["id"])
    assert (maintenance.auto_start, maintenance.auto_complete) == (True, True)
    assert maintenance.starts_at == SOON
    assert (body["status"], body["impact"], body["scheduled_auto_in_progress"]) == (
        "scheduled",
        "maintenance",
        True,
    )
    assert Event.objects.filter(kind=EventKind.MAINTENANCE_SCHEDULED).count() == 1
    started = sp.patch(_url(page, f"/{body['id']}"), {"incident": {"status": "in_progress"}})
    assert started.json()["status"] == "in_progress"
    assert component_statuses(page)[api_component.id] == "under_maintenance"
    assert [i["id"] for i in sp.get(_url(page, "/active_maintenance")).json()] == [body["id"]]


def test_lists_filter_page_and_search(sp, page):
    for n in range(3):
        create_incident(
            page=page, title=f"Outage {n}", started_at=timezone.now() - timedelta(hours=3 - n)
        )
    create_incident(page=page, title="Resolved one", status="resolved")
    later = timezone.now() + timedelta(days=1)
    from upstate.maintenance.services import schedule_maintenance

    maintenance = schedule_maintenance(
        page=page, title="Window", starts_at=later, ends_at=later + timedelta(hours=1)
    )
    everything = sp.get(_url(page)).json()
    assert len(everything) == 5
    first = sp.get(_url(page, "?limit=2&page=1")).json()
    second = sp.get(_url(page, "?limit=2&page=2")).json()
    third = sp.get(_url(page, "?limit=2&page=3")).json()
    assert [i["id"] for i in first + second + third] == [i["id"] for i in everything]
    assert sp.get(_url(page, "?limit=2&page=4")).json() == []
    assert [i["name"] for i in sp.get(_url(page, "?q=outage+1")).json()] == ["Outage 1"]
    assert len(sp.get(_url(page, "/unresolved")).json()) == 3
    assert [i["id"] for i in sp.get(_url(page, "/scheduled")).json()] == [maintenance.code]
    assert [i["id"] for i in sp.get(_url(page, "/upcoming")).json()] == [maintenance.code]
    assert sp.get(_url(page, "/active_maintenance")).json() == []
    too_many = sp.get(_url(page, "?limit=500"))
    assert too_many.status_code == 400 and "limit" in too_many.json()["message"]


def test_delete_answers_with_the_deleted_incident(sp, page):
    incident = create_incident(page=page, title="Mistake")
    response = sp.delete(_url(page, f"/{incident.code}"))
    assert response.status_code == 200
    assert response.json()["id"] == incident.code and response.json()["name"] == "Mistake"
    assert not Incident.objects.exists()
    assert sp.get(_url(page, f"/{incident.code}")).status_code == 404


def test_editing_an_update_changes_its_body(sp, page):
    incident = create_incident(page=page, title="Errors", message="Typo hre")
    update = incident.updates.get()
    response = sp.patch(
        _url(page, f"/{incident.code}/incident_updates/{update.code}"),
        {"incident_update": {"body": "Typo here", "deliver_notifications": False}},
    )
    assert response.status_code == 200, response.content
    assert (response.json()["id"], response.json()["body"]) == (update.code, "Typo here")
    update.refresh_from_db()
    assert update.message == "Typo here"


def test_the_public_documents_agree_with_the_answer(sp, page, api_component):
    body = sp.post(
        _url(page),
        {
            "incident": {
                "name": "Errors",
                "status": "identified",
                "components": {api_component.code: "partial_outage"},
            }
        },
    ).json()
    summary = json.loads(public_v2.documents(page)["api/v2/summary.json"])
    public = next(i for i in summary["incidents"] if i["id"] == body["id"])
    for key in ("name", "status", "impact", "shortlink", "page_id"):
        assert public[key] == body[key], key
    assert [c["status"] for c in summary["components"] if c["id"] == api_component.code] == [
        "partial_outage"
    ]


def test_bad_input_is_refused_whole(sp, page, api_component, other_page):
    from upstate.pages.services import create_component

    foreign = create_component(page=other_page, name="Theirs")
    cases = [
        ({"incident": {"status": "investigating"}}, 422, "name"),
        ({"incident": {"name": "X", "status": "exploded"}}, 422, "status"),
        ({"incident": {"name": "X", "impact_override": "huge"}}, 422, "impact_override"),
        (
            {"incident": {"name": "X", "components": {api_component.code: "on_fire"}}},
            422,
            "components",
        ),
        ({"incident": {"name": "X", "component_ids": [foreign.code]}}, 422, "component_ids"),
        ({"incident": {"name": "X", "status": "scheduled"}}, 422, "scheduled_for"),
        (
            {"incident": {"name": "X", "scheduled_for": "tomorrow", "scheduled_until": "later"}},
            422,
            "scheduled_for",
        ),
        (
            {"incident": {"name": "X", "backfilled": True, "component_ids": [api_component.code]}},
            422,
            "components",
        ),
        ({"incident": "nope"}, 400, "incident"),
        ({"incident": {"name": "Bell\u0007"}}, 422, "name"),
        ({"incident": {"name": "X", "body": "a\u0000b"}}, 422, "body"),
    ]
    for body, status, field in cases:
        response = sp.post(_url(page), body)
        assert response.status_code == status, (body, response.content)
        assert response.json()["message"].startswith(field), response.json()
        assert response.json()["error"] == response.json()["message"]
    broken = sp.client.post(
        "/statuspage/v1" + _url(page), "{not json", content_type="application/json", **sp.headers
    )
    assert broken.status_code == 400 and "body" in broken.json()["error"]
    assert not Incident.objects.exists() and not Maintenance.objects.exists()


def test_a_backfilled_incident_is_recorded_resolved_without_notifying(sp, page):
    day = (timezone.now() - timedelta(days=3)).date().isoformat()
    body = sp.post(
        _url(page),
        {
            "incident": {
                "name": "Old outage",
                "backfilled": True,
                "backfill_date": day,
                "body": "It was down",
            }
        },
    ).json()
    assert (body["status"], body["backfilled"]) == ("resolved", True)
    assert body["created_at"].startswith(day)
    assert not Event.objects.exists()


def test_realtime_and_scheduled_statuses_do_not_mix(sp, page):
    incident = create_incident(page=page, title="Errors")
    response = sp.patch(_url(page, f"/{incident.code}"), {"incident": {"status": "completed"}})
    assert response.status_code == 422 and "status" in response.json()["message"]
    assert Incident.objects.get().status == "investigating"


def test_form_line_endings_are_stored_as_newlines(sp, page):
    body = sp.post(_url(page), "incident[name]=X&incident[body]=one%0D%0Atwo", form=True).json()
    assert body["incident_updates"][0]["body"] == "one\ntwo"
