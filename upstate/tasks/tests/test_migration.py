"""Existing free-text action items become tasks: the member their owner names is the
assignee (by email, user name or full name), otherwise the text is kept in the note."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("incidents", "0003_incident_templates_statuspage_id"), ("tasks", "0001_initial")]
AFTER = [("incidents", "0004_postmortem_resolution_template_tasks")]


@pytest.mark.django_db(transaction=True)
def test_action_items_become_tasks():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    User = apps.get_model("auth", "User")
    Organization = apps.get_model("orgs", "Organization")
    Membership = apps.get_model("orgs", "Membership")
    Incident = apps.get_model("incidents", "Incident")
    Postmortem = apps.get_model("incidents", "Postmortem")
    ActionItem = apps.get_model("incidents", "ActionItem")

    org = Organization.objects.create(slug="acme", name="Acme", code="orgacme00001")
    sam = User.objects.create(username="sam@acme.test", email="sam@acme.test", first_name="Sam")
    kim = User.objects.create(
        username="kim@acme.test", email="kim@acme.test", first_name="Kim", last_name="Lee"
    )
    for user in (sam, kim):
        Membership.objects.create(org=org, user=user, role="responder")
    # The pages app stays migrated: its current model is the table's shape.
    from upstate.pages.models import StatusPage

    page = StatusPage.objects.create(org_id=org.id, slug="acme", name="Acme")
    now = datetime.datetime.now(datetime.UTC)
    incident = Incident.objects.create(
        org=org, page_id=page.id, code="incacme00001", title="Outage", status="resolved",
        started_at=now, resolved_at=now,
    )  # fmt: skip
    postmortem = Postmortem.objects.create(incident=incident)
    rows = [
        ("itemsam00001", "Add alarms", "SAM@acme.test", False),
        ("itemkim00001", "Write runbook", "kim lee", True),
        ("itemteam0001", "Review deploys", "Platform team", False),
        ("itemnone0001", "Nobody's", "", False),
    ]
    for position, (code, title, owner, done) in enumerate(rows):
        ActionItem.objects.create(
            postmortem=postmortem, code=code, title=title, owner=owner, done=done,
            position=position, due_date=datetime.date(2030, 1, 31),
        )  # fmt: skip

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    apps = executor.loader.project_state(AFTER).apps
    Task = apps.get_model("tasks", "Task")
    got = {
        t.code: (t.title, t.assignee.user.email if t.assignee else None, t.state, t.note)
        for t in Task.objects.select_related("assignee__user")
    }
    assert got == {
        "itemsam00001": ("Add alarms", "sam@acme.test", "open", ""),
        "itemkim00001": ("Write runbook", "kim@acme.test", "done", ""),
        "itemteam0001": ("Review deploys", None, "open", "Owner before tasks: Platform team"),
        "itemnone0001": ("Nobody's", None, "open", ""),
    }
    assert {t.incident_id for t in Task.objects.all()} == {incident.id}
    assert all(t.org_id == org.id for t in Task.objects.all())
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
