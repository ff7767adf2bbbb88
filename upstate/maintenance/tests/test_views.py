"""Dashboard maintenance screens: schedule, edit, start/complete by hand, delete."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from upstate.maintenance.models import Maintenance, MaintenanceStatus
from upstate.maintenance.services import schedule_maintenance

BASE = "/dashboard/acme/maintenance/"


@pytest.fixture
def maintenance(page, api_component):
    now = timezone.now()
    return schedule_maintenance(
        page=page,
        title="DB upgrade",
        starts_at=now + timedelta(hours=1),
        ends_at=now + timedelta(hours=2),
        components=[api_component],
    )


def _as(client, persona):
    client.force_login(persona.user)
    return client


def _form(component_code: str | None = None, **extra) -> dict:
    data = {
        "title": "Network work",
        "starts_at": "2031-05-01T22:00",
        "ends_at": "2031-05-01T23:30",
        "message": "Short **blips**.",
        "auto_start": "on",
        "auto_complete": "on",
    }
    if component_code:
        data["components"] = [component_code]
    return {**data, **extra}


def test_it_lists_upcoming_maintenance(client, owner, maintenance):
    response = _as(client, owner).get(BASE)

    assert response.status_code == 200
    assert b"DB upgrade" in response.content
    assert b"Schedule maintenance" in response.content


def test_the_owner_schedules_in_the_page_time_zone(client, owner, page, api_component):
    page.time_zone = "Europe/Paris"
    page.save()

    response = _as(client, owner).post(f"{BASE}new/", _form(api_component.id))

    maintenance = Maintenance.objects.get(title="Network work")
    assert response.status_code == 302
    assert response["Location"] == f"{BASE}{maintenance.code}/"
    assert maintenance.starts_at.isoformat() == "2031-05-01T20:00:00+00:00"
    assert list(maintenance.components.all()) == [api_component]
    assert maintenance.updates.get().author == owner.user


def test_a_responder_may_schedule(client, responder, page):
    response = _as(client, responder).post(f"{BASE}new/", _form())

    assert response.status_code == 302


def test_bad_input_shows_field_errors_keeps_input_and_writes_nothing(client, owner, page):
    response = _as(client, owner).post(
        f"{BASE}new/", _form(ends_at="2031-05-01T21:00", title="Keep me")
    )

    assert response.status_code == 400
    assert b"must be after starts_at" in response.content
    assert b'value="Keep me"' in response.content
    assert not Maintenance.objects.exists()


def test_a_missing_title_is_a_field_error(client, owner, page):
    response = _as(client, owner).post(f"{BASE}new/", _form(title=""))

    assert response.status_code == 400
    assert response.context["form"].errors["title"]
    assert not Maintenance.objects.exists()


def test_it_edits_the_window_and_components(client, owner, maintenance, web_component):
    response = _as(client, owner).post(
        f"{BASE}{maintenance.code}/edit/", _form(web_component.id, title="DB upgrade v2")
    )

    assert response.status_code == 302
    maintenance.refresh_from_db()
    assert maintenance.title == "DB upgrade v2"
    assert list(maintenance.components.all()) == [web_component]


def test_it_starts_and_completes_by_hand(client, owner, maintenance):
    _as(client, owner)
    url = f"{BASE}{maintenance.code}/update/"

    assert client.post(url, {"status": "in_progress", "message": ""}).status_code == 302
    maintenance.refresh_from_db()
    assert maintenance.status == MaintenanceStatus.IN_PROGRESS
    assert client.post(url, {"status": "completed", "message": "All done"}).status_code == 302
    maintenance.refresh_from_db()
    assert maintenance.status == MaintenanceStatus.COMPLETED
    assert maintenance.updates.first().message == "All done"


def test_a_bad_status_is_a_field_error(client, owner, maintenance):
    response = _as(client, owner).post(f"{BASE}{maintenance.code}/update/", {"status": "nope"})

    assert response.status_code == 400
    assert response.context["update_form"].errors["status"]
    assert maintenance.updates.count() == 1


def test_it_deletes_after_confirmation(client, owner, maintenance):
    _as(client, owner)

    assert b"Cancel" in client.get(f"{BASE}{maintenance.code}/delete/").content
    assert Maintenance.objects.exists()
    assert client.post(f"{BASE}{maintenance.code}/delete/").status_code == 302
    assert not Maintenance.objects.exists()


def test_the_viewer_reads_but_sees_no_write_controls(client, viewer, maintenance):
    _as(client, viewer)

    listing = client.get(BASE)
    detail = client.get(f"{BASE}{maintenance.code}/")

    assert listing.status_code == detail.status_code == 200
    assert b"Schedule maintenance" not in listing.content
    assert b"Post update" not in detail.content
    assert b"/edit/" not in detail.content


@pytest.mark.parametrize("suffix", ["new/", "{code}/edit/", "{code}/update/", "{code}/delete/"])
def test_the_viewer_gets_403_when_posting(client, viewer, maintenance, suffix):
    url = BASE + suffix.format(code=maintenance.code)

    response = _as(client, viewer).post(url, _form(status="completed"))

    assert response.status_code == 403
    maintenance.refresh_from_db()
    assert maintenance.status == MaintenanceStatus.SCHEDULED
    assert maintenance.title == "DB upgrade"


@pytest.mark.parametrize("suffix", ["", "edit/", "update/", "delete/"])
def test_another_org_gets_404(client, outsider, maintenance, suffix):
    _as(client, outsider)

    assert (
        client.post(f"/dashboard/globex/maintenance/{maintenance.code}/{suffix}").status_code == 404
    )
    assert client.post(f"{BASE}{maintenance.code}/{suffix}").status_code == 404
    assert Maintenance.objects.filter(id=maintenance.id, title="DB upgrade").exists()


@pytest.mark.parametrize("suffix", ["", "new/", "{code}/", "{code}/delete/"])
def test_anonymous_is_sent_to_login(client, maintenance, suffix):
    response = client.get(BASE + suffix.format(code=maintenance.code))

    assert response.status_code == 302
    assert response["Location"].startswith("/dashboard/login/")
