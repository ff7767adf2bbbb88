from __future__ import annotations

from datetime import UTC, datetime

import pytest

from upstate.incidents.models import Incident, IncidentStatus
from upstate.pages.health import component_statuses
from upstate.pages.models import ComponentStatus

URL = "/dashboard/acme/incidents/new/"


def _form(**overrides):  # noqa: ANN003, ANN202
    data = {
        "title": "Checkout fails",
        "page": "acme",
        "status": "investigating",
        "impact": "major",
        "severity": "high",
        "category": "outage",
        "message": "We are **looking** into it.",
        "visibility": "public",
        "notify": "on",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize("persona", ["owner", "responder"])
def test_it_declares_an_incident_with_per_component_statuses(
    client, request, persona, page, api_component, web_component
):
    client.force_login(request.getfixturevalue(persona).user)
    data = _form(
        **{
            f"component-{api_component.code}": "impact",
            f"component-{web_component.code}": "degraded_performance",
        }
    )
    response = client.post(URL, data)
    incident = Incident.objects.get()
    assert response["Location"] == f"/dashboard/acme/incidents/{incident.code}/"
    assert incident.severity == "high" and incident.category == "outage"
    update = incident.updates.get()
    assert update.message == "We are **looking** into it." and update.notify
    statuses = component_statuses(page)
    assert statuses[api_component.id] == ComponentStatus.PARTIAL_OUTAGE
    assert statuses[web_component.id] == ComponentStatus.DEGRADED_PERFORMANCE


def test_the_form_lists_the_pages_components(client, owner, page, api_component):
    client.force_login(owner.user)
    body = client.get(URL).content.decode()
    assert f'name="component-{api_component.code}"' in body
    assert "Not affected" in body


def test_htmx_swaps_in_another_pages_components(client, owner, page, other_page):
    from upstate.pages.services import create_component, create_page

    second = create_page(org=owner.org, name="Internal", slug="acme-internal")
    vpn = create_component(page=second, name="VPN")
    client.force_login(owner.user)
    body = client.get(URL + "components/", {"page": "acme-internal"}).content.decode()
    assert f'name="component-{vpn.code}"' in body
    # another org's page is not offered
    assert "Globex" not in client.get(URL).content.decode()


def test_bad_input_keeps_what_was_typed_and_writes_nothing(client, owner, page):
    client.force_login(owner.user)
    response = client.post(URL, _form(title="  ", message="Keep me"))
    assert response.status_code == 400
    body = response.content.decode()
    assert "Keep me" in body
    assert 'class="error"' in body
    assert Incident.objects.count() == 0


def test_a_service_error_lands_on_its_field(client, owner, page):
    client.force_login(owner.user)
    response = client.post(
        URL,
        _form(started_at="2024-05-01T10:00", resolved_at="2024-05-01T09:00"),
    )
    assert response.status_code == 400
    assert response.context["form"].errors["resolved_at"] == ["Must be after started_at"]
    assert Incident.objects.count() == 0


def test_an_unknown_choice_is_refused_inline(client, owner, page):
    client.force_login(owner.user)
    response = client.post(URL, _form(impact="apocalyptic"))
    assert "impact" in response.context["form"].errors
    assert Incident.objects.count() == 0


def test_it_backfills_a_past_incident_in_the_pages_time_zone(client, owner, page):
    from upstate.pages.services import update_page

    update_page(page=page, time_zone="Europe/Berlin")
    client.force_login(owner.user)
    response = client.post(
        URL, _form(started_at="2024-05-01T10:00", resolved_at="2024-05-01T11:30")
    )
    assert response.status_code == 302
    incident = Incident.objects.get()
    assert incident.backfilled and incident.status == IncidentStatus.RESOLVED
    assert incident.started_at == datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
    assert incident.resolved_at == datetime(2024, 5, 1, 9, 30, tzinfo=UTC)


def test_a_backfill_needs_its_start(client, owner, page):
    client.force_login(owner.user)
    response = client.post(URL, _form(resolved_at="2024-05-01T11:30"))
    assert "started_at" in response.context["form"].errors
    assert Incident.objects.count() == 0


def test_viewers_get_403(client, viewer, page):
    client.force_login(viewer.user)
    assert client.get(URL).status_code == 403
    assert client.post(URL, _form()).status_code == 403
    assert Incident.objects.count() == 0


def test_outsiders_get_404(client, outsider, page):
    client.force_login(outsider.user)
    assert client.post(URL, _form()).status_code == 404


def test_anonymous_is_sent_to_sign_in(client, page):
    response = client.post(URL, _form())
    assert response["Location"].startswith("/dashboard/login/")
    assert Incident.objects.count() == 0
