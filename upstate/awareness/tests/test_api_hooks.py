"""The signed helpdesk webhook: POST /api/v1/hooks/conversations, and its secret."""

from __future__ import annotations

import json
import time

import pytest

from upstate.api.tests.helpers import Api, field_errors
from upstate.awareness import hooks
from upstate.awareness.models import Conversation, ConversationLink, HelpdeskHook

NEW_TICKET = {
    "source": "zendesk",
    "external_id": "981",
    "url": "https://help.example.com/tickets/981",
    "customer": "bo@example.com",
    "text": "your login keeps timing out, i cannot sign in at all",
}


def _secret(client, persona) -> dict:  # noqa: ANN001
    response = Api(client, persona).post("/hooks/conversations/secret")
    assert response.status_code == 200, response.content
    return response.json()


def _deliver(client, hook: dict, body, *, secret=None, timestamp=None):  # noqa: ANN001, ANN202
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    signature = hooks.sign(secret or hook["secret"], raw, timestamp)
    return client.post(
        f"/api/v1/hooks/conversations?hook={hook['hook_id']}",
        raw,
        content_type="application/json",
        HTTP_X_UPSTATE_SIGNATURE=signature,
    )


def test_a_signed_delivery_is_matched_and_linked(client, owner, login_incident):
    hook = _secret(client, owner)
    assert hook["secret"].startswith("whsec_")
    assert hook["url"].endswith(f"/api/v1/hooks/conversations?hook={hook['hook_id']}")
    response = _deliver(client, hook, NEW_TICKET)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["matches"][0]["incident"]["id"] == login_incident.code
    assert [link["incident_id"] for link in body["linked"]] == [login_incident.code]
    link = ConversationLink.objects.get()
    assert link.linked_via == "webhook" and link.conversation.external_id == "981"


def test_a_delivery_again_is_idempotent(client, owner, login_incident):
    hook = _secret(client, owner)
    _deliver(client, hook, NEW_TICKET)
    assert _deliver(client, hook, NEW_TICKET).status_code == 200
    assert Conversation.objects.count() == 1
    assert ConversationLink.objects.count() == 1


def test_an_unrelated_conversation_is_kept_unlinked(client, owner, login_incident):
    hook = _secret(client, owner)
    response = _deliver(client, hook, {**NEW_TICKET, "text": "can I get a nonprofit discount?"})
    assert response.json()["linked"] == []
    assert Conversation.objects.count() == 1 and not ConversationLink.objects.exists()


def test_it_never_links_to_another_organizations_incident(
    client, outsider, outsider_incident, login_incident
):
    hook = _secret(client, outsider)
    response = _deliver(client, hook, NEW_TICKET)
    linked = [link["incident_id"] for link in response.json()["linked"]]
    assert login_incident.code not in linked
    assert not ConversationLink.objects.filter(incident=login_incident).exists()
    assert Conversation.objects.get().org_id == outsider.org.id


@pytest.mark.parametrize("case", ["unsigned", "wrong secret", "stale", "tampered", "unknown hook"])
def test_bad_signatures_are_refused(client, owner, outsider, login_incident, case):
    hook = _secret(client, owner)
    other = _secret(client, outsider)
    raw = json.dumps(NEW_TICKET).encode()
    url = f"/api/v1/hooks/conversations?hook={hook['hook_id']}"
    headers = {"HTTP_X_UPSTATE_SIGNATURE": hooks.sign(hook["secret"], raw)}
    if case == "unsigned":
        headers = {}
    elif case == "wrong secret":
        headers = {"HTTP_X_UPSTATE_SIGNATURE": hooks.sign(other["secret"], raw)}
    elif case == "stale":
        old = int(time.time()) - hooks.TOLERANCE - 60
        headers = {"HTTP_X_UPSTATE_SIGNATURE": hooks.sign(hook["secret"], raw, old)}
    elif case == "tampered":
        raw = raw.replace(b"981", b"982")
    elif case == "unknown hook":
        url = "/api/v1/hooks/conversations?hook=zzzzzzzzzzzz"
    response = client.post(url, raw, content_type="application/json", **headers)
    assert response.status_code == 401
    assert response.json()["message"]
    assert not Conversation.objects.exists()


def test_a_rotated_secret_stops_working(client, owner, login_incident):
    first = _secret(client, owner)
    second = _secret(client, owner)
    assert first["hook_id"] == second["hook_id"] and first["secret"] != second["secret"]
    assert _deliver(client, first, NEW_TICKET).status_code == 401
    assert _deliver(client, second, NEW_TICKET).status_code == 200


def test_only_admins_get_the_secret(client, responder, viewer):
    assert Api(client, responder).post("/hooks/conversations/secret").status_code == 403
    assert Api(client, viewer).post("/hooks/conversations/secret").status_code == 403
    assert Api(client).post("/hooks/conversations/secret").status_code == 401
    assert not HelpdeskHook.objects.exists()


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        (b"{not json", 400, "body"),
        ({"external_id": "1"}, 422, "source"),
        ({**NEW_TICKET, "url": "file:///etc/passwd"}, 422, "url"),
        ({**NEW_TICKET, "extra": 1}, 422, "extra"),
    ],
)
def test_bad_input_is_a_4xx_naming_the_field(client, owner, login_incident, body, status, field):
    hook = _secret(client, owner)
    response = _deliver(client, hook, body)
    assert response.status_code == status, response.content
    assert field in field_errors(response)
    assert not Conversation.objects.exists()
