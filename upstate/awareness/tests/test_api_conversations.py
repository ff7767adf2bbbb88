"""POST|GET /api/v1/incidents/{id}/conversations, and linking through a match request."""

from __future__ import annotations

import pytest

from upstate.api.tests.helpers import Api, field_errors
from upstate.awareness.models import Conversation, ConversationLink

TICKET = {
    "source": "zendesk",
    "external_id": "4711",
    "url": "https://help.example.com/tickets/4711",
    "customer": "ann@example.com",
    "text": "login is so slow today",
}


def test_it_links_a_conversation_once(client, responder, login_incident):
    api = Api(client, responder)
    path = f"/incidents/{login_incident.code}/conversations"
    first = api.post(path, TICKET)
    assert first.status_code == 201, first.content
    again = api.post(path, {**TICKET, "customer": "someone else"})
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["customer"] == "ann@example.com"  # filled once, never overwritten
    assert ConversationLink.objects.count() == 1
    listed = api.get(path)
    assert listed.status_code == 200
    items = listed.json()["items"]
    assert [(c["source"], c["external_id"], c["linked_via"]) for c in items] == [
        ("zendesk", "4711", "api")
    ]
    assert items[0]["incident_id"] == login_incident.code


def test_one_conversation_may_be_linked_to_two_incidents(
    client, responder, login_incident, dashboard_incident
):
    api = Api(client, responder)
    for incident in (login_incident, dashboard_incident):
        assert api.post(f"/incidents/{incident.code}/conversations", TICKET).status_code == 201
    assert Conversation.objects.count() == 1
    assert ConversationLink.objects.count() == 2


def test_a_viewer_cannot_link_but_can_list(client, viewer, login_incident):
    api = Api(client, viewer)
    path = f"/incidents/{login_incident.code}/conversations"
    assert api.post(path, TICKET).status_code == 403
    assert api.get(path).status_code == 200
    assert not Conversation.objects.exists()


def test_an_outsider_gets_404(client, outsider, login_incident, responder):
    Api(client, responder).post(f"/incidents/{login_incident.code}/conversations", TICKET)
    api = Api(client, outsider)
    path = f"/incidents/{login_incident.code}/conversations"
    assert api.get(path).status_code == 404
    assert api.post(path, {**TICKET, "external_id": "x"}).status_code == 404
    assert ConversationLink.objects.count() == 1


def test_the_same_ticket_in_two_organizations_stays_apart(
    client, responder, outsider, login_incident, outsider_incident
):
    Api(client, responder).post(f"/incidents/{login_incident.code}/conversations", TICKET)
    theirs = Api(client, outsider).post(
        f"/incidents/{outsider_incident.code}/conversations", {**TICKET, "text": "secret"}
    )
    assert theirs.status_code == 201
    assert Conversation.objects.count() == 2
    mine = Api(client, responder).get(f"/incidents/{login_incident.code}/conversations")
    assert [c["text"] for c in mine.json()["items"]] == ["login is so slow today"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**TICKET, "source": ""}, "source"),
        ({**TICKET, "external_id": " "}, "external_id"),
        ({**TICKET, "url": "javascript:alert(1)"}, "url"),
        ({**TICKET, "source": "s" * 41}, "source"),
        ({**TICKET, "text": "a\x00b"}, "text"),
        ({"external_id": "1"}, "source"),
    ],
)
def test_bad_input_is_a_4xx_naming_the_field(client, responder, login_incident, body, field):
    response = Api(client, responder).post(f"/incidents/{login_incident.code}/conversations", body)
    assert response.status_code == 422, response.content
    assert field in field_errors(response)
    assert not Conversation.objects.exists()


def test_a_match_request_links_above_the_link_threshold(client, responder, login_incident):
    body = {
        "text": "your login keeps timing out, i cant sign in",
        "link": {"source": "intercom", "external_id": "c-1", "url": "https://x.example/c-1"},
    }
    response = Api(client, responder).post("/match", body)
    assert response.status_code == 200, response.content
    result = response.json()
    assert result["link_threshold"] > result["threshold"]
    assert result["matches"][0]["confidence"] >= result["link_threshold"]
    linked = result["linked"]
    assert linked["incident_id"] == login_incident.code and linked["linked_via"] == "match"
    link = ConversationLink.objects.get()
    assert link.confidence == result["matches"][0]["confidence"]
    assert link.conversation.text == body["text"]


def test_a_match_request_below_the_link_threshold_keeps_the_conversation_unlinked(
    client, responder, login_incident
):
    body = {"text": "how do I change my avatar?", "link": {"source": "chat", "external_id": "9"}}
    response = Api(client, responder).post("/match", body)
    assert response.json()["linked"] is None
    assert not ConversationLink.objects.exists()
    # kept, unlinked, with its vector: the dashboard lists such conversations as possible matches
    assert Conversation.objects.get().vector


def test_a_viewer_key_cannot_link_through_match(client, viewer, login_incident):
    body = {"text": "login slow", "link": {"source": "chat", "external_id": "9"}}
    assert Api(client, viewer).post("/match", body).status_code == 403
    assert not Conversation.objects.exists()
