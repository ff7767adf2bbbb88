"""Dashboard component screens: create, edit, group, reorder, delete; derived status shown."""

from __future__ import annotations

from datetime import date

import pytest

from upstate.incidents.services import create_incident
from upstate.pages.models import Component, ComponentGroup
from upstate.pages.services import create_group

BASE = "/dashboard/acme/pages/acme/"


def _as(client, persona):
    client.force_login(persona.user)
    return client


def _names(page) -> list[str]:
    return list(
        Component.objects.filter(page=page)
        .order_by("position", "id")
        .values_list("name", flat=True)
    )


def test_it_lists_components_with_their_derived_status(client, owner, page, api_component):
    create_incident(page=page, title="Down", impact="critical", components={api_component: None})

    response = _as(client, owner).get(f"{BASE}components/")

    assert response.status_code == 200
    assert b"Major outage" in response.content  # now
    assert b"badge-operational" in response.content  # baseline
    assert b"Add component" in response.content


def test_it_creates_a_component_in_a_group(client, owner, page):
    group = create_group(page=page, name="Europe")

    response = _as(client, owner).post(
        f"{BASE}components/new/",
        {
            "name": "Login",
            "description": "Sign-in",
            "group": group.id,
            "baseline_status": "operational",
        },
    )

    assert response.status_code == 302
    component = Component.objects.get(name="Login")
    assert component.group == group
    assert component.description == "Sign-in"


def test_bad_input_shows_field_errors_and_writes_nothing(client, owner, page):
    response = _as(client, owner).post(
        f"{BASE}components/new/",
        {"name": "  ", "description": "kept text", "baseline_status": "exploded"},
    )

    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors["name"] and form.errors["baseline_status"]
    assert b"kept text" in response.content
    assert not Component.objects.exists()


def test_it_renames_and_sets_the_baseline(client, owner, page, api_component):
    response = _as(client, owner).post(
        f"{BASE}components/{api_component.code}/edit/",
        {"name": "Public API", "baseline_status": "degraded_performance"},
    )

    assert response.status_code == 302
    api_component.refresh_from_db()
    assert (api_component.name, api_component.baseline_status) == (
        "Public API",
        "degraded_performance",
    )


def test_it_sets_the_day_the_uptime_bars_count_from(client, owner, page, api_component):
    url = f"{BASE}components/{api_component.code}/edit/"
    data = {"name": "API", "baseline_status": "operational", "start_date": "2026-03-01"}
    assert _as(client, owner).post(url, data).status_code == 302
    api_component.refresh_from_db()
    assert api_component.start_date == date(2026, 3, 1)
    assert b'value="2026-03-01"' in _as(client, owner).get(url).content


def test_it_keeps_the_words_customers_use(client, owner, page, api_component):
    url = f"{BASE}components/{api_component.code}/edit/"
    data = {"name": "API", "baseline_status": "operational", "keywords": "REST, endpoints"}
    assert _as(client, owner).post(url, data).status_code == 302
    api_component.refresh_from_db()
    assert api_component.keywords == "REST, endpoints"
    assert b'value="REST, endpoints"' in _as(client, owner).get(url).content


def test_a_start_date_to_come_is_refused(client, owner, page, api_component):
    response = _as(client, owner).post(
        f"{BASE}components/{api_component.code}/edit/",
        {"name": "API", "baseline_status": "operational", "start_date": "2999-01-01"},
    )
    assert response.status_code == 400
    assert "must not be in the future" in response.context["form"].errors["start_date"][0]
    api_component.refresh_from_db()
    assert api_component.start_date is None


def test_a_group_of_another_page_is_refused(client, owner, page, other_page, api_component):
    foreign = create_group(page=other_page, name="Theirs")

    response = _as(client, owner).post(
        f"{BASE}components/{api_component.code}/edit/",
        {"name": "API", "group": foreign.id, "baseline_status": "operational"},
    )

    assert response.status_code == 400
    assert response.context["form"].errors["group"]
    api_component.refresh_from_db()
    assert api_component.group is None


def test_it_moves_components_up_and_down(client, owner, page, api_component, web_component):
    _as(client, owner)

    response = client.post(f"{BASE}components/{web_component.code}/move/up/")
    assert response.status_code == 302
    assert _names(page) == ["Website", "API"]

    response = client.post(
        f"{BASE}components/{web_component.code}/move/down/", HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert b'id="component-sections"' in response.content
    assert b"<html" not in response.content
    assert _names(page) == ["API", "Website"]


def test_moving_past_the_end_changes_nothing(client, owner, page, api_component, web_component):
    _as(client, owner).post(f"{BASE}components/{api_component.code}/move/up/")

    assert _names(page) == ["API", "Website"]
    assert client.post(f"{BASE}components/{api_component.code}/move/sideways/").status_code == 404


def test_it_deletes_a_component_after_confirmation(client, owner, page, api_component):
    _as(client, owner)

    assert (
        b"Delete the component"
        in client.get(f"{BASE}components/{api_component.code}/delete/").content
    )
    assert client.post(f"{BASE}components/{api_component.code}/delete/").status_code == 302
    assert not Component.objects.exists()


def test_group_crud(client, owner, page, api_component):
    _as(client, owner)

    assert client.post(f"{BASE}groups/new/", {"name": "Core", "description": ""}).status_code == 302
    group = ComponentGroup.objects.get()
    assert client.post(f"{BASE}groups/new/", {"name": ""}).status_code == 400
    response = client.post(f"{BASE}groups/{group.code}/edit/", {"name": "Core services"})
    assert response.status_code == 302
    group.refresh_from_db()
    assert group.name == "Core services"
    api_component.group = group
    api_component.save()
    assert client.post(f"{BASE}groups/{group.code}/delete/").status_code == 302
    assert not ComponentGroup.objects.exists()
    api_component.refresh_from_db()
    assert api_component.group is None


def test_the_viewer_sees_no_write_controls(client, viewer, page, api_component):
    response = _as(client, viewer).get(f"{BASE}components/")

    assert response.status_code == 200
    assert b"API" in response.content
    assert b"Add component" not in response.content
    assert b"/move/" not in response.content


def test_the_responder_cannot_manage_components(client, responder, page, api_component):
    response = _as(client, responder).post(
        f"{BASE}components/new/", {"name": "X", "baseline_status": "operational"}
    )

    assert response.status_code == 403


WRITE_URLS = [
    "components/new/",
    "components/{component}/edit/",
    "components/{component}/move/up/",
    "components/{component}/delete/",
    "groups/new/",
    "groups/{group}/edit/",
    "groups/{group}/delete/",
]


@pytest.fixture
def group(page):
    return create_group(page=page, name="Core")


@pytest.mark.parametrize("suffix", WRITE_URLS)
def test_the_viewer_gets_403_when_posting(client, viewer, page, api_component, group, suffix):
    url = BASE + suffix.format(component=api_component.code, group=group.code)

    response = _as(client, viewer).post(url, {"name": "Hacked", "baseline_status": "major_outage"})

    assert response.status_code == 403
    assert _names(page) == ["API"]
    assert ComponentGroup.objects.get().name == "Core"


@pytest.mark.parametrize("suffix", WRITE_URLS + ["components/"])
def test_another_org_gets_404(client, outsider, page, api_component, group, suffix):
    path = suffix.format(component=api_component.code, group=group.code)
    _as(client, outsider)

    assert client.post(BASE + path, {"name": "Hacked"}).status_code == 404
    assert (
        client.post(f"/dashboard/globex/pages/acme/{path}", {"name": "Hacked"}).status_code == 404
    )
    assert _names(page) == ["API"]


@pytest.mark.parametrize("suffix", ["components/", "components/new/", "groups/new/"])
def test_anonymous_is_sent_to_login(client, page, suffix):
    response = client.get(BASE + suffix)

    assert response.status_code == 302
    assert response["Location"].startswith("/dashboard/login/")
