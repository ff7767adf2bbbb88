"""Every object the Statuspage-compatible API answers with has the documented shape: the
keys of Statuspage's examples, their JSON types, enums from its sets, ISO 8601 times, null
(never "") for what is unset; lists are bare arrays."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from upstate.incidents.services import create_incident, post_update
from upstate.incidents.template_services import create_template
from upstate.maintenance.services import schedule_maintenance
from upstate.pages.services import create_group, update_component
from upstate.statuspage.tests import documented
from upstate.subscribers.services import create_subscriber


@pytest.fixture
def world(page, api_component, web_component):
    group = create_group(page=page, name="Backend")
    update_component(component=web_component, group=group)
    incident = create_incident(
        page=page,
        title="API Gateway Timeout Errors",
        impact="major",
        components={api_component: "partial_outage"},
        message="Investigating",
    )
    post_update(incident=incident, status="resolved", message="Resolved")
    soon = timezone.now() + timedelta(days=1)
    maintenance = schedule_maintenance(
        page=page,
        title="DB upgrade",
        starts_at=soon,
        ends_at=soon + timedelta(hours=2),
        components=[web_component],
    )
    subscriber = create_subscriber(
        page=page,
        channel="email",
        address="foo@example2.com",
        components=[api_component],
        confirmed=True,
    )
    template = create_template(
        org=page.org, page=page, name="T", title="Down", components={api_component: None}
    )
    return {
        "group": group,
        "incident": incident,
        "maintenance": maintenance,
        "subscriber": subscriber,
        "template": template,
    }


def _no_empty_strings(value, path=""):
    """Unset values are null: no "" anywhere (a message body may be empty text)."""
    if isinstance(value, dict):
        for key, item in value.items():
            _no_empty_strings(item, f"{path}.{key}")
    elif isinstance(value, list):
        for item in value:
            _no_empty_strings(item, f"{path}[]")
    else:
        assert value != "" or path.endswith(".body"), f"{path} is an empty string"


def test_incidents_have_the_documented_shape(sp, page, world):
    listed = sp.get(f"/pages/{page.code}/incidents")
    assert listed.status_code == 200 and listed["Content-Type"] == "application/json"
    body = listed.json()
    assert isinstance(body, list) and len(body) == 2
    for incident in body:
        documented.like(incident, documented.INCIDENT)
        _no_empty_strings(incident)
    realtime = next(i for i in body if i["id"] == world["incident"].code)
    assert (realtime["status"], realtime["impact"]) == ("resolved", "major")
    assert [u["status"] for u in realtime["incident_updates"]] == ["resolved", "investigating"]
    assert realtime["resolved_at"] is not None and realtime["scheduled_for"] is None
    scheduled = next(i for i in body if i["id"] == world["maintenance"].code)
    assert (scheduled["status"], scheduled["impact"]) == ("scheduled", "maintenance")
    assert scheduled["scheduled_for"].endswith("Z") and scheduled["resolved_at"] is None


def test_components_groups_and_updates_have_the_documented_shape(sp, page, world, api_component):
    components = sp.get(f"/pages/{page.code}/components").json()
    assert isinstance(components, list) and len(components) == 2
    for component in components:
        documented.like(component, documented.COMPONENT)
        _no_empty_strings(component)
    web = next(c for c in components if c["name"] == "Website")
    assert web["group_id"] == world["group"].code and web["group"] is False
    groups = sp.get(f"/pages/{page.code}/component-groups").json()
    documented.like(groups[0], documented.GROUP)
    assert set(groups[0]) == set(documented.GROUP)
    incident = sp.get(f"/pages/{page.code}/incidents/{world['incident'].code}").json()
    for update in incident["incident_updates"]:
        documented.like(update, documented.INCIDENT_UPDATE)
        assert set(update) == set(documented.INCIDENT_UPDATE)


def test_subscribers_pages_and_templates_have_the_documented_shape(sp, page, world):
    subscribers = sp.get(f"/pages/{page.code}/subscribers").json()
    documented.like(subscribers[0], documented.SUBSCRIBER)
    assert subscribers[0]["mode"] == "email" and subscribers[0]["email"] == "foo@example2.com"
    pages = sp.get("/pages").json()
    assert isinstance(pages, list) and set(pages[0]) >= documented.PAGE_KEYS
    assert pages[0]["id"] == page.code and pages[0]["time_zone"] == "Etc/UTC"
    _no_empty_strings(pages[0])
    templates = sp.get(f"/pages/{page.code}/incident_templates").json()
    assert set(templates[0]) == documented.TEMPLATE_KEYS
    documented.like(templates[0]["components"][0], documented.COMPONENT)
