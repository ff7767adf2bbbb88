"""Maintenance under way is matched too (customers ask about it), but conversations are
linked to incidents only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from upstate.api.tests.helpers import Api
from upstate.awareness.models import MaintenanceDocument
from upstate.maintenance.services import post_maintenance_update, schedule_maintenance
from upstate.pages.services import create_component

QUESTION = "cant get any reports, they say unavailable during upgrade?"


@pytest.fixture
def maintenance(page, django_capture_on_commit_callbacks):
    reports = create_component(page=page, name="Reports", description="Charts and exports")
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        return schedule_maintenance(
            page=page,
            title="Reporting database upgrade",
            starts_at=now + timedelta(hours=1),
            ends_at=now + timedelta(hours=3),
            message="Reports and charts will be unavailable while we upgrade their database.",
            components=[reports],
        )


def _start(maintenance, capture, status="in_progress"):  # noqa: ANN001, ANN202
    with capture(execute=True):
        post_maintenance_update(maintenance=maintenance, status=status, message="Started.")


def test_only_maintenance_under_way_is_indexed(maintenance, django_capture_on_commit_callbacks):
    assert not MaintenanceDocument.objects.exists()  # scheduled: not yet
    _start(maintenance, django_capture_on_commit_callbacks)
    document = MaintenanceDocument.objects.get(maintenance=maintenance)
    assert "Reporting database upgrade" in document.text and "Reports (Charts" in document.text
    _start(maintenance, django_capture_on_commit_callbacks, status="completed")
    assert not MaintenanceDocument.objects.exists()


def test_a_message_about_it_matches_the_maintenance(
    client, responder, maintenance, django_capture_on_commit_callbacks
):
    api = Api(client, responder)
    assert api.post("/match", {"text": QUESTION}).json()["matches"] == []
    _start(maintenance, django_capture_on_commit_callbacks)
    body = {"text": QUESTION, "link": {"source": "chat", "external_id": "5"}}
    result = api.post("/match", body).json()
    best = result["matches"][0]
    assert best["incident"]["kind"] == "maintenance"
    assert best["incident"]["id"] == maintenance.code
    assert best["incident"]["impact"] == "maintenance"
    assert best["incident"]["public_url"].endswith(f"/maintenances/{maintenance.code}")
    assert result["linked"] is None  # conversations are counted on incidents only


def test_the_public_box_names_maintenance_under_way(
    client, maintenance, django_capture_on_commit_callbacks
):
    _start(maintenance, django_capture_on_commit_callbacks)
    html = client.post("/p/acme/trouble", {"text": QUESTION}).content.decode()
    assert f'href="/p/acme/maintenances/{maintenance.code}"' in html
    assert "(maintenance, in progress)" in html


def test_another_organizations_maintenance_is_never_matched(
    client, outsider, maintenance, django_capture_on_commit_callbacks
):
    _start(maintenance, django_capture_on_commit_callbacks)
    assert Api(client, outsider).post("/match", {"text": QUESTION}).json()["matches"] == []
