"""The overview: what is broken, what is unacknowledged, MTTA/MTTR charts."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from upstate.incidents.services import acknowledge_incident, create_incident, post_update
from upstate.pages.services import update_component

URL = "/dashboard/acme/"


def test_it_shows_broken_components_and_unacknowledged_incidents(
    client, viewer, page, api_component, web_component
):
    create_incident(
        page=page,
        title="Checkout failing",
        impact="major",
        components={api_component: None},
        started_at=timezone.now() - timedelta(minutes=42),
    )
    update_component(component=web_component, baseline_status="degraded_performance")
    client.force_login(viewer.user)

    response = client.get(URL)

    assert response.status_code == 200
    content = response.content.decode()
    assert "Checkout failing" in content
    assert "Partial outage" in content and "Degraded performance" in content
    assert [i.title for i in response.context["unacknowledged"]] == ["Checkout failing"]
    assert "waiting 42" in content
    assert "Declare incident" not in content  # viewers read only


def test_it_charts_mtta_and_mttr_per_severity(client, owner, page):
    incident = create_incident(
        page=page, title="Slow", severity="high", started_at=timezone.now() - timedelta(hours=2)
    )
    acknowledge_incident(incident=incident)
    post_update(incident=incident, status="resolved")
    client.force_login(owner.user)

    response = client.get(URL)

    content = response.content.decode()
    assert content.count("<svg") == 4  # MTTA and MTTR, 30 and 90 days
    assert "Mean time to resolve, last 30 days" in content
    assert "2 h" in content  # the numbers as text
    high = next(r for r in response.context["periods"][0]["rows"] if r["label"] == "High")
    assert high["count"] == 1 and high["mttr"] == "2 h"


def test_all_clear(client, owner, page, api_component):
    client.force_login(owner.user)

    assert b"All systems operational" in client.get(URL).content


def test_another_org_gets_404(client, outsider, org):
    client.force_login(outsider.user)

    assert client.get(URL).status_code == 404


def test_anonymous_is_sent_to_login(client, org):
    assert client.get(URL)["Location"].startswith("/dashboard/login/")
