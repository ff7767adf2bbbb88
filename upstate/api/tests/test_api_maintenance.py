"""Scheduled maintenance through the REST API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from upstate.api.tests.helpers import Api, field_errors
from upstate.maintenance.models import Maintenance, MaintenanceUpdate
from upstate.maintenance.services import schedule_maintenance
from upstate.pages.health import component_statuses
from upstate.pages.models import ComponentStatus
from upstate.pages.services import create_component, create_page

TOMORROW = timezone.now().replace(microsecond=0) + timedelta(days=1)


@pytest.fixture
def api(client, responder) -> Api:
    return Api(client, responder)


def _window(hours_from_tomorrow: int = 0, length: int = 2) -> dict[str, str]:
    starts = TOMORROW + timedelta(hours=hours_from_tomorrow)
    return {
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=length)).isoformat(),
    }


@pytest.fixture
def upgrade(page, api_component) -> Maintenance:
    return schedule_maintenance(
        page=page,
        title="Database upgrade",
        starts_at=TOMORROW,
        ends_at=TOMORROW + timedelta(hours=2),
        components=[api_component],
    )


def test_it_schedules_maintenance(api, page, api_component):
    response = api.post(
        "/maintenances",
        {
            "page_id": page.code,
            "title": "Database upgrade",
            "message": "Expect brief read-only periods.",
            "component_ids": [api_component.code],
            "auto_start": False,
            **_window(),
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["status"], body["auto_start"], body["auto_complete"]) == ("scheduled", False, True)
    assert body["components"] == [{"id": api_component.code, "name": "API"}]
    assert [u["status"] for u in body["updates"]] == ["scheduled"]
    assert body["public_url"].endswith(f"/p/acme/maintenances/{body['id']}")
    assert body["starts_at"] == TOMORROW.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"ends_at": TOMORROW.isoformat()}, "ends_at"),  # ends when it starts
        ({"starts_at": "next tuesday"}, "starts_at"),
        ({"title": ""}, "title"),
        ({"component_ids": ["nosuchcompnt"]}, "component_ids"),
        ({"page_id": "nosuchpage00"}, "page_id"),
        ({"auto_start": "sometimes"}, "auto_start"),
        ({"starts_at": "9999-12-31T23:59:59-23:59"}, "starts_at"),
    ],
)
def test_it_refuses_bad_maintenance_naming_the_field(api, page, fields, field):
    body = {"page_id": page.code, "title": "Upgrade", **_window(), **fields}
    response = api.post("/maintenances", body)
    assert response.status_code == 422
    assert field in field_errors(response)
    assert not Maintenance.objects.exists()


def test_it_refuses_a_component_of_another_page(api, org, page):
    beta = create_page(org=org, name="Beta", slug="beta")
    foreign = create_component(page=beta, name="Beta API")
    body = {"page_id": page.code, "title": "Upgrade", "component_ids": [foreign.code], **_window()}
    response = api.post("/maintenances", body)
    assert response.status_code == 422
    assert "component_ids" in field_errors(response)


def test_it_lists_maintenance_latest_window_first_and_by_status(api, page, upgrade):
    later = schedule_maintenance(
        page=page,
        title="Network work",
        starts_at=TOMORROW + timedelta(days=7),
        ends_at=TOMORROW + timedelta(days=7, hours=1),
    )
    body = api.get("/maintenances").json()
    assert [m["id"] for m in body["items"]] == [later.code, upgrade.code]
    api.post(f"/maintenances/{upgrade.code}/updates", {"status": "in_progress"})
    in_progress = api.get("/maintenances?status=in_progress").json()["items"]
    assert [m["id"] for m in in_progress] == [upgrade.code]


def test_listing_maintenance_takes_the_same_queries_for_one_or_many(
    api, page, upgrade, api_component, django_assert_num_queries
):
    api.get("/pages")  # the key's first use is recorded; later uses within a minute are not
    # key, count, maintenance with page, components, updates
    with django_assert_num_queries(5):
        api.get("/maintenances")
    for n in range(4):
        schedule_maintenance(
            page=page,
            title=f"Work {n}",
            components=[api_component],
            starts_at=TOMORROW + timedelta(days=n + 1),
            ends_at=TOMORROW + timedelta(days=n + 2),
        )
    with django_assert_num_queries(5):
        assert api.get("/maintenances").json()["count"] == 5


def test_starting_maintenance_puts_its_components_under_maintenance(
    api, page, upgrade, api_component
):
    response = api.post(f"/maintenances/{upgrade.code}/updates", {"status": "in_progress"})
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "in_progress"
    assert body["started_at"] is not None
    assert body["updates"][0]["message"] == "Scheduled maintenance is currently in progress."
    assert component_statuses(page)[api_component.id] == ComponentStatus.UNDER_MAINTENANCE


def test_it_refuses_an_unknown_maintenance_status(api, upgrade):
    response = api.post(f"/maintenances/{upgrade.code}/updates", {"status": "paused"})
    assert response.status_code == 422
    assert field_errors(response)["status"].startswith("must be one of scheduled, in_progress")


def test_it_moves_the_window_and_components(api, page, upgrade, web_component):
    response = api.patch(
        f"/maintenances/{upgrade.code}",
        {**_window(hours_from_tomorrow=3), "component_ids": [web_component.code]},
    )
    assert response.status_code == 200
    upgrade.refresh_from_db()
    assert upgrade.starts_at == TOMORROW + timedelta(hours=3)
    assert list(upgrade.components.all()) == [web_component]


def test_a_patch_can_complete_maintenance_with_a_message(api, upgrade):
    response = api.patch(
        f"/maintenances/{upgrade.code}", {"status": "completed", "update_message": "All done."}
    )
    body = response.json()
    assert body["status"] == "completed"
    assert body["updates"][0]["message"] == "All done."


def test_a_window_ending_before_it_starts_changes_nothing(api, upgrade):
    ends = (TOMORROW - timedelta(hours=1)).isoformat()
    response = api.patch(f"/maintenances/{upgrade.code}", {"title": "Renamed", "ends_at": ends})
    assert response.status_code == 422
    assert "ends_at" in field_errors(response)
    upgrade.refresh_from_db()
    assert upgrade.title == "Database upgrade"


def test_a_bad_status_in_a_patch_changes_nothing(api, upgrade):
    response = api.patch(f"/maintenances/{upgrade.code}", {"title": "Renamed", "status": "paused"})
    assert response.status_code == 422
    upgrade.refresh_from_db()
    assert upgrade.title == "Database upgrade"


def test_an_update_message_without_a_status_is_refused(api, upgrade):
    response = api.patch(f"/maintenances/{upgrade.code}", {"update_message": "Hi"})
    assert response.status_code == 422
    assert "update_message" in field_errors(response)
    assert MaintenanceUpdate.objects.filter(maintenance=upgrade).count() == 1


def test_it_deletes_maintenance(api, upgrade):
    assert api.delete(f"/maintenances/{upgrade.code}").status_code == 204
    assert api.get(f"/maintenances/{upgrade.code}").status_code == 404
