"""`upstate demo`: loads the Acme demo once and prints the same working credentials every run;
`--reset` starts it afresh."""

from __future__ import annotations

import json
import re
import stat
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from upstate.cli import main
from upstate.demo import CREDENTIALS_FILE
from upstate.incidents.models import (
    ACTIVE_STATUSES,
    Incident,
    IncidentStatus,
    IncidentUpdate,
    PostmortemStatus,
)
from upstate.maintenance.models import Maintenance, MaintenanceStatus
from upstate.orgs.models import ApiKey, Organization, Role
from upstate.orgs.services import authenticate_api_key, revoke_api_key
from upstate.pages.models import Component, ComponentGroup, StatusPage


@pytest.fixture
def demo(db, capsys) -> str:
    assert main(["demo"]) == 0
    return capsys.readouterr().out


def _printed(out: str, label: str) -> str:
    match = re.search(rf"^\s+{label}\s+(\S+)", out, re.MULTILINE)
    assert match, f"{label} not printed"
    return match.group(1)


def test_it_creates_the_acme_page_with_grouped_components(demo):
    page = StatusPage.objects.get(slug="acme")

    assert page.org.name == "Acme Inc"
    assert page.name == "Acme Status"
    assert ComponentGroup.objects.filter(page=page).count() == 2
    assert Component.objects.filter(page=page).count() == 8
    assert Component.objects.filter(page=page, group=None).get().name == "Marketing website"


def test_it_has_one_active_incident_with_three_updates(demo):
    incident = Incident.objects.get(status__in=ACTIVE_STATUSES)

    statuses = list(incident.updates.order_by("created_at").values_list("status", flat=True))
    assert statuses == [
        IncidentStatus.INVESTIGATING,
        IncidentStatus.IDENTIFIED,
        IncidentStatus.MONITORING,
    ]
    assert incident.affected.exclude(status_override="").exists()


def test_it_has_history_a_backfilled_incident_and_a_published_postmortem(demo):
    past = Incident.objects.filter(resolved_at__isnull=False)

    assert past.count() == 3
    backfilled = past.get(backfilled=True)
    assert backfilled.resolved_at < timezone.now() - timedelta(days=7)
    with_postmortem = past.get(postmortem__isnull=False)
    assert with_postmortem.status == IncidentStatus.POSTMORTEM
    assert with_postmortem.postmortem.status == PostmortemStatus.PUBLISHED
    assert with_postmortem.tasks.count() == 2
    for incident in past.filter(backfilled=False):
        assert incident.updates.count() >= 3
        assert incident.started_at < timezone.now() - timedelta(days=7)
    assert IncidentUpdate.objects.count() == 3 + 3 + 4 + 1


def test_it_schedules_upcoming_maintenance(demo):
    maintenance = Maintenance.objects.get()

    assert maintenance.status == MaintenanceStatus.SCHEDULED
    assert maintenance.starts_at > timezone.now()
    assert maintenance.components.count() == 2


def test_it_prints_a_working_login_an_api_key_and_the_urls(demo):
    password = _printed(demo, "Password")
    key = authenticate_api_key(_printed(demo, r"API key \(demo\)"))

    admin = get_user_model().objects.get(email=_printed(demo, "Dashboard login"))
    assert admin.check_password(password)
    assert admin.memberships.get().role == Role.OWNER
    assert key is not None and key.name == "demo" and key.org.slug == "acme"
    for url in ("/dashboard/", "/p/acme/", "/api/v1/incidents", "/api/v1/docs"):
        assert f"http://127.0.0.1:8000{url}" in demo


def test_a_second_run_reuses_the_organization_user_and_key(demo, capsys):
    keys = ApiKey.objects.count()

    assert main(["demo"]) == 0
    again = capsys.readouterr().out

    assert "already loaded" in again
    assert Organization.objects.filter(slug="acme").count() == 1
    assert Incident.objects.count() == 4
    assert Component.objects.count() == 8
    assert ApiKey.objects.count() == keys == 1
    for label in ("Dashboard login", "Password", r"API key \(demo\)"):
        assert _printed(again, label) == _printed(demo, label)
    admin = get_user_model().objects.get(email="admin@acme.test")
    assert admin.check_password(_printed(again, "Password"))


def test_it_keeps_the_credentials_in_the_data_directory_for_the_owner_only(demo):
    path = settings.DATA_DIR / CREDENTIALS_FILE

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    stored = json.loads(path.read_text())
    assert stored["api_key"] == _printed(demo, r"API key \(demo\)")
    assert stored["password"] == _printed(demo, "Password")
    assert str(path) in demo


def test_a_revoked_demo_key_is_replaced_by_one_new_key(demo, capsys):
    revoke_api_key(key=ApiKey.objects.get())

    assert main(["demo"]) == 0
    again = capsys.readouterr().out

    new_key = _printed(again, r"API key \(demo\)")
    assert new_key != _printed(demo, r"API key \(demo\)")
    assert authenticate_api_key(new_key) is not None
    assert ApiKey.objects.filter(revoked_at=None).count() == 1


def test_a_password_changed_since_is_neither_reset_nor_printed(demo, capsys):
    admin = get_user_model().objects.get(email="admin@acme.test")
    admin.set_password("my own password")
    admin.save()

    assert main(["demo"]) == 0
    again = capsys.readouterr().out

    assert _printed(demo, "Password") not in again
    assert "changed since" in again
    admin.refresh_from_db()
    assert admin.check_password("my own password")


def test_reset_starts_afresh_with_new_credentials(demo, capsys):
    Incident.objects.filter(status__in=ACTIVE_STATUSES).delete()

    assert main(["demo", "--reset"]) == 0
    again = capsys.readouterr().out

    assert "loaded just now" in again
    assert Incident.objects.filter(status__in=ACTIVE_STATUSES).count() == 1
    assert Organization.objects.filter(slug="acme").count() == 1
    assert ApiKey.objects.count() == 1
    assert _printed(again, r"API key \(demo\)") != _printed(demo, r"API key \(demo\)")
    admin = get_user_model().objects.get(email="admin@acme.test")
    assert admin.check_password(_printed(again, "Password"))


def test_reset_keeps_other_organizations_and_their_members(demo, capsys):
    from upstate.orgs.services import add_member, create_org

    other = create_org(slug="globex", name="Globex")
    add_member(org=other, email="ops@globex.test", role=Role.OWNER, password="a long password")

    assert main(["demo", "--reset"]) == 0

    assert Organization.objects.filter(id=other.id).exists()
    assert get_user_model().objects.filter(email="ops@globex.test").exists()
