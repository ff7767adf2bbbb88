"""The assignee is emailed when a task becomes theirs and once when it is overdue (real SMTP
on loopback); the overdue notice is idempotent, per task and due date."""

from __future__ import annotations

from datetime import date, timedelta

from upstate.incidents.services import save_postmortem
from upstate.tasks.services import change_task
from upstate.tasks.tasks import notify_overdue_tasks


def test_the_assignee_is_emailed_on_assignment(
    smtp_sink, resolved, responder, owner, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        save_postmortem(
            incident=resolved,
            action_items=[
                {"title": "Add a deploy check", "assignee": "responder@acme.test"},
                {"title": "Nobody's yet"},
            ],
        )
    assert smtp_sink.wait_for(1)
    mail = smtp_sink.mails[0]
    assert mail.recipients == ["responder@acme.test"]
    assert mail.message["Subject"] == "[Acme Inc] Task assigned to you: Add a deploy check"
    text = mail.part("plain")
    assert "Incident: Checkout errors" in text
    assert "https://status.acme.test/dashboard/acme/tasks/?mine=1" in text
    assert f"https://status.acme.test/dashboard/acme/incidents/{resolved.code}/" in text

    # Saving again without a change of assignee sends nothing; a new assignee is told.
    task = resolved.tasks.get(title="Add a deploy check")
    with django_capture_on_commit_callbacks(execute=True):
        save_postmortem(
            incident=resolved,
            action_items=[
                {"code": task.code, "title": task.title, "assignee": "responder@acme.test"}
            ],
        )
        change_task(task=task, assignee=owner.user.memberships.get())
    assert smtp_sink.wait_for(2)
    assert [m.recipients for m in smtp_sink.mails] == [
        ["responder@acme.test"],
        ["owner@acme.test"],
    ]


def test_an_overdue_task_is_notified_once_per_due_date(smtp_sink, resolved, responder):
    yesterday = date.today() - timedelta(days=1)
    mine = {"assignee": "responder@acme.test", "due_date": yesterday}
    save_postmortem(
        incident=resolved,
        action_items=[
            {"title": "Add a deploy check", **mine},
            {"title": "Done already", **mine, "state": "done"},
            {"title": "Not due yet", **mine, "due_date": date.today() + timedelta(days=3)},
            {"title": "Nobody's", "due_date": yesterday},
        ],
    )
    assert notify_overdue_tasks.call_local() == 1
    assert smtp_sink.wait_for(1)
    mail = smtp_sink.mails[0]
    assert mail.message["Subject"] == "[Acme Inc] Task overdue: Add a deploy check"
    assert "past its due date" in mail.part("plain")

    # Idempotent: the next runs send nothing more.
    assert notify_overdue_tasks.call_local() == 0
    assert notify_overdue_tasks.call_local() == 0

    # A new due date that passes too is a new overdue.
    task = resolved.tasks.get(title="Add a deploy check")
    change_task(task=task, due_date=yesterday - timedelta(days=1))
    assert notify_overdue_tasks.call_local() == 1
    assert smtp_sink.wait_for(2)
    assert len(smtp_sink.mails) == 2
