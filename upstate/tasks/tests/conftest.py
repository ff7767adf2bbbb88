from __future__ import annotations

from datetime import date, timedelta

import pytest

from upstate.notifications.tests.sinks import _tasks_inline, smtp_sink  # noqa: F401


@pytest.fixture
def resolved(page):
    from upstate.incidents.services import create_incident

    return create_incident(page=page, title="Checkout errors", status="resolved")


@pytest.fixture
def other_resolved(other_page):
    from upstate.incidents.services import create_incident

    return create_incident(page=other_page, title="Globex outage", status="resolved")


@pytest.fixture
def tasks(resolved, responder, owner):
    """Three tasks of one postmortem: the responder's overdue one, the owner's, an open one
    nobody has, and a done one."""
    from upstate.incidents.services import save_postmortem

    yesterday = date.today() - timedelta(days=1)
    save_postmortem(
        incident=resolved,
        summary="A bad deploy.",
        action_items=[
            {
                "title": "Add a deploy check",
                "assignee": responder.user.email,
                "due_date": yesterday,
            },
            {"title": "Write the runbook", "assignee": owner.user.email, "state": "in_progress"},
            {"title": "Alert on errors"},
            {"title": "Roll back", "state": "done"},
        ],
    )
    return {t.title: t for t in resolved.tasks.all()}


@pytest.fixture
def foreign_task(other_resolved, outsider):
    from upstate.incidents.services import save_postmortem

    save_postmortem(
        incident=other_resolved,
        summary="x",
        action_items=[{"title": "Globex task", "assignee": outsider.user.email}],
    )
    return other_resolved.tasks.get()
