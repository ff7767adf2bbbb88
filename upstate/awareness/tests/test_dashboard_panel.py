"""The incident view's customer conversations panel and linking a possible match."""

from __future__ import annotations

import pytest

from upstate.awareness.models import ConversationLink, LinkedVia
from upstate.awareness.services import ConversationRef, link_conversation, record_conversation


def _panel_url(incident) -> str:  # noqa: ANN001
    return f"/dashboard/{incident.org.slug}/incidents/{incident.code}/conversations/"


def _link_url(incident, conversation) -> str:  # noqa: ANN001
    return f"{_panel_url(incident)}{conversation.code}/link/"


@pytest.fixture
def conversations(org, login_incident):
    linked = record_conversation(
        org=org,
        ref=ConversationRef(source="zendesk", external_id="1", customer="ann@example.com"),
        text="login slow <b>today</b>",
    )
    link_conversation(conversation=linked, incident=login_incident, via=LinkedVia.API)
    unlinked = record_conversation(
        org=org,
        ref=ConversationRef(source="zendesk", external_id="2", url="https://help.example.com/2"),
        text="i type my password and it spins forever, cant get in",
    )
    unrelated = record_conversation(
        org=org, ref=ConversationRef(source="zendesk", external_id="3"), text="is there a dark mode"
    )
    return linked, unlinked, unrelated


def test_the_incident_view_loads_the_panel(client, viewer, login_incident):
    client.force_login(viewer.user)
    html = client.get(f"/dashboard/acme/incidents/{login_incident.code}/").content.decode()
    assert f'hx-get="{_panel_url(login_incident)}"' in html


def test_it_shows_links_and_possible_matches(client, responder, login_incident, conversations):
    client.force_login(responder.user)
    response = client.get(_panel_url(login_incident))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<strong id="linked-count">1</strong>' in html
    assert "ann@example.com" in html
    assert "login slow &lt;b&gt;today&lt;/b&gt;" in html  # escaped
    possible = html.split('id="possible-matches"', 1)[1]
    assert "zendesk #2" in possible and "Link" in possible
    assert "dark mode" not in possible


def test_a_click_links_the_conversation(client, responder, login_incident, conversations):
    client.force_login(responder.user)
    _, unlinked, _ = conversations
    response = client.post(_link_url(login_incident, unlinked), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert '<strong id="linked-count">2</strong>' in response.content.decode()
    link = ConversationLink.objects.get(conversation=unlinked)
    assert link.linked_via == "dashboard" and link.confidence is not None


def test_without_htmx_the_link_form_redirects_back(
    client, responder, login_incident, conversations
):
    client.force_login(responder.user)
    response = client.post(_link_url(login_incident, conversations[1]))
    assert response.status_code == 302
    assert response.url.endswith(f"/incidents/{login_incident.code}/")


def test_a_viewer_sees_no_link_button_and_cannot_link(
    client, viewer, login_incident, conversations
):
    client.force_login(viewer.user)
    assert "Link</button>" not in client.get(_panel_url(login_incident)).content.decode()
    assert client.post(_link_url(login_incident, conversations[1])).status_code == 403
    assert ConversationLink.objects.count() == 1


def test_an_outsider_gets_404(client, outsider, login_incident, conversations):
    client.force_login(outsider.user)
    assert client.get(_panel_url(login_incident)).status_code == 404
    assert client.post(_link_url(login_incident, conversations[1])).status_code == 404
    assert ConversationLink.objects.count() == 1


def test_another_organizations_conversation_cannot_be_linked(
    client, responder, outsider, login_incident, other_org
):
    theirs = record_conversation(
        org=other_org, ref=ConversationRef(source="zendesk", external_id="9"), text="login slow"
    )
    client.force_login(responder.user)
    assert client.post(_link_url(login_incident, theirs)).status_code == 404
    assert not ConversationLink.objects.exists()
    html = client.get(_panel_url(login_incident)).content.decode()
    assert "zendesk #9" not in html


def test_possible_matches_read_messages_as_the_matcher_does(org, login_incident):
    from upstate.awareness.services import possible_conversations

    texts = {
        "4": "how do I set up two-step login for my account?",  # a question, not a report
        "5": "login",  # a word or two is taken for a report
        "6": "logging in takes forever and then errors",
    }
    for external_id, text in texts.items():
        record_conversation(
            org=org, ref=ConversationRef(source="chat", external_id=external_id), text=text
        )
    listed = {c.external_id for c, _ in possible_conversations(login_incident)}
    assert listed == {"5", "6"}
