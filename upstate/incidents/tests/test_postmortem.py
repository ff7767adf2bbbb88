from __future__ import annotations

from datetime import date

import pytest

from upstate.incidents.models import IncidentStatus, PostmortemStatus
from upstate.incidents.services import (
    create_incident,
    post_update,
    publish_postmortem,
    save_postmortem,
)
from upstate.lib.errors import InvalidInput


@pytest.fixture
def resolved(page):
    incident = create_incident(page=page, title="Database failover")
    post_update(incident=incident, status="resolved", message="Recovered")
    return incident


def test_it_needs_a_resolved_incident(page):
    active = create_incident(page=page, title="Ongoing")
    with pytest.raises(InvalidInput) as caught:
        save_postmortem(incident=active, summary="Too early")
    assert caught.value.field == "incident"


def test_it_saves_a_draft_with_action_items_as_tasks(resolved, responder):
    postmortem = save_postmortem(
        incident=resolved,
        title="Failover",
        summary="The primary died.",
        resolution="Promoted the replica.",
        action_items=[
            {
                "title": "Add replica alarms",
                "assignee": "Responder@acme.test",
                "due_date": date(2026, 12, 1),
            },
            {"title": "Runbook", "done": True},
        ],
    )
    assert postmortem.status == PostmortemStatus.DRAFT
    assert postmortem.resolution == "Promoted the replica."
    items = list(resolved.tasks.values_list("title", "assignee__user__email", "state"))
    assert items == [
        ("Add replica alarms", "responder@acme.test", "open"),
        ("Runbook", None, "done"),
    ]
    kept = resolved.tasks.get(title="Add replica alarms")
    save_postmortem(
        incident=resolved, action_items=[{"code": kept.code, "title": "Add replica alarms"}]
    )
    assert list(resolved.tasks.values_list("code", flat=True)) == [kept.code]


def test_an_action_item_is_assigned_to_a_member_only(resolved, outsider):
    with pytest.raises(InvalidInput) as caught:
        save_postmortem(
            incident=resolved, action_items=[{"title": "X", "assignee": "owner@globex.test"}]
        )
    assert caught.value.field == "action_items.0.assignee"


def test_action_items_are_validated(resolved):
    with pytest.raises(InvalidInput) as caught:
        save_postmortem(incident=resolved, action_items=[{"title": " "}])
    assert caught.value.field == "action_items.0.title"


def test_publishing_moves_the_incident_to_postmortem_without_notifying(resolved):
    save_postmortem(incident=resolved, summary="The primary died.")
    postmortem = publish_postmortem(incident=resolved)
    resolved.refresh_from_db()
    assert postmortem.published_at is not None
    assert resolved.status == IncidentStatus.POSTMORTEM
    latest = resolved.updates.first()
    assert latest.status == IncidentStatus.POSTMORTEM
    assert latest.notify is False
    assert resolved.resolved_at is not None


def test_publishing_needs_content(resolved):
    with pytest.raises(InvalidInput) as caught:
        publish_postmortem(incident=resolved)
    assert caught.value.field == "postmortem"
    save_postmortem(incident=resolved, title="Only a title")
    with pytest.raises(InvalidInput) as caught:
        publish_postmortem(incident=resolved)
    assert caught.value.field == "summary"
