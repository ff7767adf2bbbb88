"""The Tasks screen: every unfinished task across incidents, filters, changes in place;
roles and tenants."""

from __future__ import annotations

import pytest

from upstate.paging.models import Team

URL = "/dashboard/acme/tasks/"


def _shown(response) -> list[str]:
    assert response.status_code == 200
    return [row["task"].title for row in response.context["rows"]]


def test_it_lists_unfinished_tasks_across_incidents(client, viewer, tasks, foreign_task):
    client.force_login(viewer.user)
    response = client.get(URL)
    assert _shown(response) == ["Add a deploy check", "Write the runbook", "Alert on errors"]
    body = response.content.decode()
    assert "Overdue" in body and "Checkout errors" in body
    assert "Globex task" not in body
    # In the navigation of every screen.
    assert f'href="{URL}" aria-current="page">Tasks</a>' in body


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?mine=1", ["Add a deploy check"]),
        ("?overdue=1", ["Add a deploy check"]),
        ("?state=done", ["Roll back"]),
        ("?state=all", ["Add a deploy check", "Write the runbook", "Alert on errors", "Roll back"]),
    ],
)
def test_it_filters(client, responder, tasks, query, expected):
    client.force_login(responder.user)
    assert _shown(client.get(URL + query)) == expected


def test_it_filters_by_team(client, responder, owner, tasks):
    team = Team.objects.create(org=owner.org, name="Platform")
    team.members.add(owner.user.memberships.get())
    client.force_login(responder.user)
    assert _shown(client.get(f"{URL}?team={team.code}")) == ["Write the runbook"]


def test_a_responder_changes_a_task_in_place(client, responder, tasks):
    task = tasks["Alert on errors"]
    client.force_login(responder.user)
    response = client.post(
        f"{URL}{task.code}/",
        {
            f"{task.code}-state": "in_progress",
            f"{task.code}-assignee": "responder@acme.test",
            f"{task.code}-due_date": "2030-01-31",
            "next": f"{URL}?mine=1",
        },
    )
    assert response.status_code == 302 and response["Location"] == f"{URL}?mine=1"
    task.refresh_from_db()
    assert (task.state, task.assignee.user.email, str(task.due_date)) == (
        "in_progress",
        "responder@acme.test",
        "2030-01-31",
    )


def test_bad_input_is_refused_on_its_row(client, responder, tasks):
    task = tasks["Alert on errors"]
    client.force_login(responder.user)
    response = client.post(
        f"{URL}{task.code}/",
        {f"{task.code}-state": "finished", f"{task.code}-assignee": "owner@globex.test"},
    )
    assert response.status_code == 400
    row = next(r for r in response.context["rows"] if r["task"].code == task.code)
    assert set(row["form"].errors) == {"state", "assignee"}
    task.refresh_from_db()
    assert (task.state, task.assignee_id) == ("open", None)


def test_a_viewer_sees_tasks_but_cannot_change_them(client, viewer, tasks):
    client.force_login(viewer.user)
    response = client.get(URL)
    assert all(row["form"] is None for row in response.context["rows"])
    assert '<form class="form-row task-form"' not in response.content.decode()
    task = tasks["Alert on errors"]
    response = client.post(f"{URL}{task.code}/", {f"{task.code}-state": "done"})
    assert response.status_code == 403
    task.refresh_from_db()
    assert task.state == "open"


def test_another_organization_neither_sees_nor_changes_them(client, outsider, tasks):
    client.force_login(outsider.user)
    assert client.get(URL).status_code == 404
    task = tasks["Alert on errors"]
    response = client.post(f"/dashboard/globex/tasks/{task.code}/", {f"{task.code}-state": "done"})
    assert response.status_code == 404
    task.refresh_from_db()
    assert task.state == "open"


def test_signed_out_visitors_go_to_the_login(client, tasks):
    response = client.get(URL)
    assert response.status_code == 302 and "/dashboard/login/" in response["Location"]
