"""GET|PATCH /api/v1/tasks: lists with filters, one task, changes; roles and tenants."""

from __future__ import annotations

import json

import pytest

from upstate.paging.models import Team


def _get(client, persona, path):
    return client.get(f"/api/v1{path}", **persona.auth)


def _patch(client, persona, path, body):
    return client.patch(
        f"/api/v1{path}", json.dumps(body), content_type="application/json", **persona.auth
    )


def _titles(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [t["title"] for t in response.json()["items"]]


def test_it_lists_unfinished_tasks_soonest_first(client, viewer, tasks, foreign_task):
    body = _get(client, viewer, "/tasks").json()
    assert [t["title"] for t in body["items"]] == [
        "Add a deploy check",
        "Write the runbook",
        "Alert on errors",
    ]
    first = body["items"][0]
    assert first["assignee"] == "responder@acme.test"
    assert first["overdue"] is True
    assert first["incident_title"] == "Checkout errors"
    assert first["id"] == tasks["Add a deploy check"].code


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?assignee=RESPONDER@acme.test", ["Add a deploy check"]),
        ("?overdue=true", ["Add a deploy check"]),
        ("?state=done", ["Roll back"]),
        ("?state=in_progress", ["Write the runbook"]),
        ("?state=any", ["Add a deploy check", "Write the runbook", "Alert on errors", "Roll back"]),
    ],
)
def test_it_filters(client, viewer, tasks, query, expected):
    assert _titles(_get(client, viewer, f"/tasks{query}")) == expected


def test_it_filters_by_team(client, viewer, owner, tasks):
    team = Team.objects.create(org=owner.org, name="Platform")
    team.members.add(owner.user.memberships.get())
    assert _titles(_get(client, viewer, f"/tasks?team_id={team.code}")) == ["Write the runbook"]
    response = _get(client, viewer, "/tasks?team_id=nosuchteam00")
    assert response.status_code == 422
    assert "team_id" in response.content.decode()


def test_it_gets_one_task(client, viewer, tasks):
    code = tasks["Alert on errors"].code
    body = _get(client, viewer, f"/tasks/{code}").json()
    assert (body["id"], body["state"], body["assignee"]) == (code, "open", None)


def test_a_responder_changes_state_assignee_and_due_date(client, responder, tasks):
    code = tasks["Alert on errors"].code
    body = {"state": "in_progress", "assignee": "responder@acme.test", "due_date": "2030-01-31"}
    response = _patch(client, responder, f"/tasks/{code}", body)
    assert response.status_code == 200, response.content
    got = response.json()
    assert (got["state"], got["assignee"], got["due_date"]) == (
        "in_progress",
        "responder@acme.test",
        "2030-01-31",
    )
    cleared = _patch(client, responder, f"/tasks/{code}", {"assignee": None, "due_date": None})
    assert (cleared.json()["assignee"], cleared.json()["due_date"]) == (None, None)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"state": "finished"}, "state"),
        ({"assignee": "owner@globex.test"}, "assignee"),
        ({"due_date": "soon"}, "due_date"),
        ({"title": None}, "title"),
        ({"owner": "Sam"}, "owner"),
    ],
)
def test_bad_changes_are_refused_naming_the_field(client, responder, outsider, tasks, body, field):
    code = tasks["Alert on errors"].code
    response = _patch(client, responder, f"/tasks/{code}", body)
    assert response.status_code == 422
    assert field in [e["field"].split(".")[-1] for e in response.json()["errors"]]
    task = tasks["Alert on errors"]
    task.refresh_from_db()
    assert (task.state, task.assignee_id, task.due_date) == ("open", None, None)


def test_a_viewer_key_reads_but_cannot_change(client, viewer, tasks):
    code = tasks["Alert on errors"].code
    assert _get(client, viewer, f"/tasks/{code}").status_code == 200
    assert _patch(client, viewer, f"/tasks/{code}", {"state": "done"}).status_code == 403
    tasks["Alert on errors"].refresh_from_db()
    assert tasks["Alert on errors"].state == "open"


def test_another_organization_neither_reads_nor_changes(client, outsider, tasks, foreign_task):
    code = tasks["Alert on errors"].code
    assert _titles(_get(client, outsider, "/tasks")) == ["Globex task"]
    assert _get(client, outsider, f"/tasks/{code}").status_code == 404
    assert _patch(client, outsider, f"/tasks/{code}", {"state": "done"}).status_code == 404
    tasks["Alert on errors"].refresh_from_db()
    assert tasks["Alert on errors"].state == "open"
