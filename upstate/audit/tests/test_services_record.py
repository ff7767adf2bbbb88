"""Every service that changes state leaves one entry, inside its transaction."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from upstate.audit.models import AuditEntry
from upstate.audit.services import acting_as
from upstate.incidents.services import (
    acknowledge_incident,
    create_incident,
    delete_incident,
    post_update,
)
from upstate.lib.errors import InvalidInput
from upstate.maintenance.services import advance_due_maintenance, schedule_maintenance
from upstate.maintenance.tasks import advance_maintenance
from upstate.orgs.models import Membership
from upstate.orgs.services import (
    add_member,
    change_member_role,
    create_api_key,
    remove_member,
    revoke_api_key,
)
from upstate.pages.services import create_component, update_component, update_page


def _actions(org) -> list[str]:
    return list(AuditEntry.objects.filter(org=org).order_by("id").values_list("action", flat=True))


@pytest.fixture
def clean(org):
    AuditEntry.objects.filter(org=org).delete()
    return org


def test_it_records_the_incident_lifecycle(page, api_component, owner, clean):
    with acting_as(user=owner.user):
        incident = create_incident(page=page, title="API down", components={api_component: None})
        acknowledge_incident(incident=incident, user=owner.user)
        acknowledge_incident(incident=incident, user=owner.user)  # no change, no entry
        post_update(incident=incident, status="identified", message="found it")
        post_update(incident=incident, status="resolved")
        delete_incident(incident=incident)

    assert _actions(page.org) == [
        "incident.created",
        "incident.acknowledged",
        "incident.updated",
        "incident.resolved",
        "incident.deleted",
    ]
    entry = AuditEntry.objects.filter(action="incident.created").get()
    assert (entry.target_type, entry.target_code, entry.target_label) == (
        "incident",
        incident.code,
        "API down",
    )
    assert entry.actor_label == "owner@acme.test"


def test_it_records_what_changed_on_a_component(page, api_component, clean):
    update_component(component=api_component, name="Public API", baseline_status="major_outage")

    entry = AuditEntry.objects.get(action="component.updated")
    assert entry.details == {
        "name": ["API", "Public API"],
        "baseline_status": ["operational", "major_outage"],
    }
    assert entry.target_label == "Public API"


def test_it_records_page_settings_changes(page, clean):
    update_page(page=page, accent_color="#ff0000", name=page.name)

    entry = AuditEntry.objects.get(action="page.updated")
    assert entry.details == {"accent_color": ["#2563eb", "#ff0000"]}
    assert entry.target_type == "page"


def test_bad_input_writes_no_entry(page, clean):
    with pytest.raises(InvalidInput):
        create_component(page=page, name="")
    with pytest.raises(InvalidInput):
        update_page(page=page, name="Renamed", accent_color="red")

    assert _actions(page.org) == []


def test_the_worker_records_maintenance_as_system(page, api_component, owner, clean):
    now = timezone.now()
    with acting_as(user=owner.user):
        schedule_maintenance(
            page=page,
            title="DB upgrade",
            starts_at=now - timedelta(minutes=1),
            ends_at=now + timedelta(hours=1),
            components=[api_component],
        )
    advance_maintenance.call_local()

    rows = list(AuditEntry.objects.order_by("id").values_list("action", "actor_label"))
    assert rows == [
        ("maintenance.scheduled", "owner@acme.test"),
        ("maintenance.started", "system"),
    ]
    assert advance_due_maintenance(now + timedelta(hours=2)) == 1
    assert _actions(page.org)[-1] == "maintenance.completed"


def test_it_records_members_and_keys(owner, clean):
    membership = add_member(org=owner.org, email="new@acme.test", role="viewer")
    change_member_role(membership=membership, role="responder")
    key, _ = create_api_key(org=owner.org, name="deploy bot")
    revoke_api_key(key=key)
    revoke_api_key(key=key)  # already revoked: nothing happens, nothing recorded
    remove_member(membership=membership)

    assert _actions(owner.org) == [
        "member.added",
        "member.role_changed",
        "apikey.created",
        "apikey.revoked",
        "member.removed",
    ]
    labels = set(AuditEntry.objects.values_list("target_label", flat=True))
    assert labels == {"new@acme.test", "deploy bot"}


def test_the_last_owner_cannot_be_removed_or_demoted(owner, clean):
    membership = Membership.objects.get(user=owner.user)

    with pytest.raises(InvalidInput):
        remove_member(membership=membership)
    with pytest.raises(InvalidInput):
        change_member_role(membership=membership, role="admin")
    assert _actions(owner.org) == []


def test_the_cli_records_its_changes_as_cli(page, api_component, clean, capsys):
    from upstate.cli import main

    assert main(["incident", "create", "--page", "acme", "--title", "From a terminal"]) == 0

    entry = AuditEntry.objects.get(action="incident.created")
    assert entry.actor_label == "cli"
