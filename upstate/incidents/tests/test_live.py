"""Screens that refresh themselves: a poll that carries the version the screen was rendered
at gets 304 after the session read and one query while nothing changed, and the screen when
something did (an update, an acknowledgement, a new owner, a linked conversation)."""

from __future__ import annotations

import json
import re

import pytest

from upstate.awareness.models import LinkedVia
from upstate.awareness.services import ConversationRef, link_conversation, record_conversation
from upstate.dashboard.tests.helpers import declare, incident_url
from upstate.incidents.services import acknowledge_incident, post_update, take_ownership
from upstate.maintenance.services import schedule_maintenance

POLLER = re.compile(r"hx-headers='(\{&quot;If-None-Match[^']+)'")


def _tag(response) -> str:
    """The version the poller of this screen sends (hx-headers holds JSON, HTML-escaped)."""
    raw = POLLER.search(response.content.decode()).group(1).replace("&quot;", '"')
    return json.loads(raw)["If-None-Match"]


def _poll(client, url: str, tag: str):
    return client.get(url, HTTP_IF_NONE_MATCH=tag, HTTP_HX_REQUEST="true")


@pytest.fixture
def incident(page, api_component):
    return declare(page, "Checkout errors", components={api_component: None})


@pytest.fixture
def signed_in(client, responder):
    client.force_login(responder.user)
    return client


def test_an_unchanged_room_answers_304_after_one_query(
    signed_in, incident, django_assert_num_queries
):
    url = incident_url(incident)
    tag = _tag(signed_in.get(url))
    # The session row, then the version with the membership and the password hash.
    with django_assert_num_queries(2):
        response = _poll(signed_in, url, tag)
    assert response.status_code == 304
    assert response["ETag"] == tag
    assert response.content == b""


@pytest.mark.parametrize("change", ["update", "acknowledge", "owner", "conversation"])
def test_a_change_in_the_room_answers_the_new_room(signed_in, incident, owner, change):
    url = incident_url(incident)
    tag = _tag(signed_in.get(url))
    if change == "update":
        post_update(incident=incident, status="identified", message="Bad deploy found.")
        shown = "Bad deploy found."
    elif change == "acknowledge":
        acknowledge_incident(incident=incident, user=owner.user)
        shown = "owner@acme.test"
    elif change == "owner":
        take_ownership(incident=incident, user=owner.user)
        shown = "owner@acme.test"
    else:
        ref = ConversationRef(source="zendesk", external_id="4711", url="", customer="")
        conversation = record_conversation(org=incident.org, ref=ref, text="checkout broken")
        link_conversation(conversation=conversation, incident=incident, via=LinkedVia.API)
        shown = None
    response = _poll(signed_in, url, tag)
    assert response.status_code == 200
    assert _tag(response) != tag
    if shown:
        assert shown in response.content.decode()


def test_a_viewer_and_a_responder_see_different_versions(client, incident, responder, viewer):
    url = incident_url(incident)
    client.force_login(responder.user)
    responder_tag = _tag(client.get(url))
    client.force_login(viewer.user)
    viewer_tag = _tag(client.get(url))
    assert viewer_tag != responder_tag
    # A viewer sending a responder's version gets the page (without the write controls).
    response = _poll(client, url, responder_tag)
    assert response.status_code == 200
    assert "Post an update" not in response.content.decode()


def test_an_outsider_gets_404_even_with_the_right_version(client, signed_in, incident, outsider):
    url = incident_url(incident)
    tag = _tag(signed_in.get(url))
    client.force_login(outsider.user)
    assert _poll(client, url, tag).status_code == 404


def test_a_changed_password_ends_the_polls_too(signed_in, incident, responder):
    url = incident_url(incident)
    tag = _tag(signed_in.get(url))
    responder.user.set_password("another-horse-10")
    responder.user.save()
    response = _poll(signed_in, url, tag)
    assert response.status_code == 302
    assert "/dashboard/login/" in response["Location"]


def test_signed_out_polls_go_to_the_login(client, incident):
    response = _poll(client, incident_url(incident), '"room-1-1"')
    assert response.status_code == 302


def test_the_incident_list_answers_304_until_an_incident_changes(
    signed_in, incident, page, other_page, django_assert_num_queries
):
    url = "/dashboard/acme/incidents/?state=active"
    tag = _tag(signed_in.get(url, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="incident-results"))
    with django_assert_num_queries(2):
        assert _poll(signed_in, url, tag).status_code == 304
    declare(other_page, "Another organization's incident")
    assert _poll(signed_in, url, tag).status_code == 304
    declare(page, "Login fails")
    response = signed_in.get(
        url, HTTP_IF_NONE_MATCH=tag, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="incident-results"
    )
    assert response.status_code == 200
    assert "Login fails" in response.content.decode()
    assert "<html" not in response.content.decode()  # the results only


def test_the_incident_list_notices_a_deletion(signed_in, incident, page):
    from upstate.incidents.services import delete_incident

    declare(page, "Login fails")
    url = "/dashboard/acme/incidents/"
    tag = _tag(signed_in.get(url))
    delete_incident(incident=incident)
    assert _poll(signed_in, url, tag).status_code == 200


def test_the_overview_answers_304_until_something_it_shows_changes(
    signed_in, incident, page, api_component, django_assert_num_queries
):
    from datetime import timedelta

    from django.utils import timezone

    url = "/dashboard/acme/"
    tag = _tag(signed_in.get(url))
    with django_assert_num_queries(2):
        assert _poll(signed_in, url, tag).status_code == 304
    start = timezone.now() + timedelta(hours=1)
    schedule_maintenance(
        page=page, title="Database upgrade", starts_at=start, ends_at=start + timedelta(hours=1)
    )
    response = _poll(signed_in, url, tag)
    assert response.status_code == 200
    assert _tag(response) != tag
