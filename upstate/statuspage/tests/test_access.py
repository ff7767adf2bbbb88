"""Authentication as Statuspage does it, roles, and tenant isolation on every endpoint."""

from __future__ import annotations

import pytest

from upstate.incidents.models import Incident, IncidentTemplate
from upstate.incidents.services import create_incident, save_postmortem
from upstate.incidents.template_services import create_template
from upstate.pages.models import Component, ComponentGroup
from upstate.pages.services import create_group
from upstate.statuspage.tests.conftest import BASE, Statuspage
from upstate.subscribers.models import Subscriber
from upstate.subscribers.services import create_subscriber


@pytest.fixture
def things(page, api_component):
    incident = create_incident(page=page, title="Errors", status="resolved")
    save_postmortem(incident=incident, summary="What happened")
    return {
        "incident": incident,
        "update": incident.updates.get(),
        "group": create_group(page=page, name="G"),
        "subscriber": create_subscriber(page=page, channel="webhook", address="https://e.com/h"),
        "template": create_template(org=page.org, page=page, name="T", title="t"),
    }


def _endpoints(page, api_component, things) -> list[tuple[str, str, object]]:
    p = f"/pages/{page.code}"
    i = f"{p}/incidents/{things['incident'].code}"
    s = f"{p}/subscribers/{things['subscriber'].code}"
    return [
        ("GET", p, None),
        ("PATCH", p, {"page": {"name": "Hacked"}}),
        ("GET", f"{p}/components", None),
        ("POST", f"{p}/components", {"component": {"name": "Evil"}}),
        ("GET", f"{p}/components/{api_component.code}", None),
        (
            "PATCH",
            f"{p}/components/{api_component.code}",
            {"component": {"status": "major_outage"}},
        ),
        ("DELETE", f"{p}/components/{api_component.code}", None),
        ("GET", f"{p}/component-groups", None),
        (
            "POST",
            f"{p}/component-groups",
            {"component_group": {"name": "E", "components": [api_component.code]}},
        ),
        ("GET", f"{p}/component-groups/{things['group'].code}", None),
        ("PATCH", f"{p}/component-groups/{things['group'].code}", {"name": "E"}),
        ("DELETE", f"{p}/component-groups/{things['group'].code}", None),
        ("GET", f"{p}/incidents", None),
        ("GET", f"{p}/incidents/unresolved", None),
        ("GET", f"{p}/incidents/scheduled", None),
        ("GET", f"{p}/incidents/upcoming", None),
        ("GET", f"{p}/incidents/active_maintenance", None),
        ("POST", f"{p}/incidents", {"incident": {"name": "Evil"}}),
        ("GET", i, None),
        ("PATCH", i, {"incident": {"name": "Evil"}}),
        ("PUT", i, {"incident": {"name": "Evil"}}),
        ("DELETE", i, None),
        (
            "PATCH",
            f"{i}/incident_updates/{things['update'].code}",
            {"incident_update": {"body": "E"}},
        ),
        ("GET", f"{i}/postmortem", None),
        ("PUT", f"{i}/postmortem", {"postmortem": {"body_draft": "Evil"}}),
        ("PUT", f"{i}/postmortem/publish", {"postmortem": {}}),
        ("PUT", f"{i}/postmortem/revert", None),
        ("DELETE", f"{i}/postmortem", None),
        ("GET", f"{p}/subscribers", None),
        ("POST", f"{p}/subscribers", {"subscriber": {"endpoint": "https://evil.example.com/"}}),
        ("GET", s, None),
        ("PATCH", s, {"component_ids": [api_component.code]}),
        ("DELETE", s, None),
        ("POST", f"{s}/resend_confirmation", None),
        ("POST", f"{p}/subscribers/unsubscribe", {"subscribers": "all"}),
        ("POST", f"{p}/subscribers/resend_confirmation", {"subscribers": "all"}),
        ("GET", f"{p}/subscribers/count", None),
        ("GET", f"{p}/incident_templates", None),
        ("POST", f"{p}/incident_templates", {"template": {"name": "E", "title": "E"}}),
    ]


def _unchanged(page, api_component) -> None:
    page.refresh_from_db()
    api_component.refresh_from_db()
    assert page.name == "Acme Status" and api_component.baseline_status == "operational"
    assert Component.objects.count() == 1 and ComponentGroup.objects.count() == 1
    assert Incident.objects.count() == 1 and Incident.objects.get().title == "Errors"
    assert Subscriber.objects.count() == 1 and IncidentTemplate.objects.count() == 1
    assert Incident.objects.get().postmortem.summary == "What happened"


def test_another_organization_gets_404_on_every_endpoint(sp_outsider, page, api_component, things):
    for method, path, body in _endpoints(page, api_component, things):
        response = sp_outsider.call(method, path, body)
        assert response.status_code == 404, (method, path, response.content)
        assert "could not be found" in response.json()["message"]
    _unchanged(page, api_component)
    assert page.code not in [p["id"] for p in sp_outsider.get("/pages").json()]


def test_a_viewer_key_reads_but_cannot_write(sp_viewer, page, api_component, things):
    for method, path, body in _endpoints(page, api_component, things):
        response = sp_viewer.call(method, path, body)
        if method == "GET":
            assert response.status_code == 200, (path, response.content)
        else:
            assert response.status_code == 403, (method, path, response.content)
            assert "not authorized" in response.json()["message"]
    _unchanged(page, api_component)


def test_a_responder_key_handles_incidents_but_not_components(
    sp_responder, page, api_component, things
):
    p = f"/pages/{page.code}"
    assert sp_responder.post(f"{p}/incidents", {"incident": {"name": "Real"}}).status_code == 201
    assert sp_responder.patch(p, {"page": {"name": "X"}}).status_code == 403
    component = sp_responder.patch(
        f"{p}/components/{api_component.code}", {"component": {"status": "major_outage"}}
    )
    assert component.status_code == 403
    api_component.refresh_from_db()
    assert api_component.baseline_status == "operational"


@pytest.mark.parametrize(
    "how",
    ["oauth", "bearer", "bare", "query"],
    ids=["OAuth header", "Bearer", "bare key", "api_key"],
)
def test_keys_are_accepted_the_ways_clients_send_them(client, owner, page, how):
    headers = {
        "oauth": {"HTTP_AUTHORIZATION": f"OAuth {owner.key}"},
        "bearer": {"HTTP_AUTHORIZATION": f"Bearer {owner.key}"},
        "bare": {"HTTP_AUTHORIZATION": owner.key},
        "query": {},
    }[how]
    query = f"?api_key={owner.key}" if how == "query" else ""
    response = client.get(f"{BASE}/pages/{page.code}{query}", **headers)
    assert response.status_code == 200 and response.json()["id"] == page.code


def test_missing_or_wrong_keys_get_401(client, owner, page):
    for headers in (
        {},
        {"HTTP_AUTHORIZATION": "OAuth nope"},
        {"HTTP_AUTHORIZATION": f"OAuth {owner.key}x"},
    ):
        response = client.post(
            f"{BASE}/pages/{page.code}/incidents",
            '{"incident": {"name": "X"}}',
            content_type="application/json",
            **headers,
        )
        assert response.status_code == 401
        assert response.json() == {
            "error": "Could not authenticate",
            "message": "Could not authenticate",
        }
    assert not Incident.objects.exists()


def test_a_revoked_key_gets_401(client, owner, page):
    from upstate.orgs.models import ApiKey

    ApiKey.objects.filter(org=owner.org).update(revoked_at="2026-01-01T00:00:00Z")
    assert Statuspage(client, owner.key).get(f"/pages/{page.code}").status_code == 401
