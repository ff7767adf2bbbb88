"""The audit log screen: admins and owners only, paged, filtered by action."""

from __future__ import annotations

from upstate.audit.services import acting_as, record
from upstate.pages.services import update_component

URL = "/dashboard/acme/audit/"


def test_the_owner_sees_who_did_what(client, owner, api_component):
    with acting_as(user=owner.user):
        update_component(component=api_component, name="Public API")
    client.force_login(owner.user)

    response = client.get(URL)

    assert response.status_code == 200
    assert b"component.updated" in response.content
    assert b"owner@acme.test" in response.content
    assert "API → Public API".encode() in response.content


def test_it_filters_by_action_and_pages(client, owner, org):
    for index in range(60):
        record(org=org, action="thing.done", details={"n": index})
    client.force_login(owner.user)

    first = client.get(URL, {"action": "thing.done"})
    second = client.get(URL, {"action": "thing.done", "page": 2})

    assert len(first.context["entries"]) == 50
    assert len(second.context["entries"]) == 10
    assert all(e.action == "thing.done" for e in first.context["entries"])
    assert b"Older" in first.content


def test_it_shows_only_this_orgs_entries(client, owner, outsider):
    record(org=outsider.org, action="secret.thing")
    client.force_login(owner.user)

    assert b"secret.thing" not in client.get(URL).content


def test_viewers_and_responders_get_403(client, viewer, responder):
    for persona in (viewer, responder):
        client.force_login(persona.user)
        assert client.get(URL).status_code == 403


def test_another_org_gets_404(client, outsider, org):
    client.force_login(outsider.user)

    assert client.get(URL).status_code == 404


def test_anonymous_is_sent_to_login(client, org):
    assert client.get(URL)["Location"].startswith("/dashboard/login/")
