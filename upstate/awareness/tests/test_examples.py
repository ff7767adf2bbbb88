"""Conversations a responder links to an incident teach the matcher how customers describe it;
links a match request made by itself do not, and questions stay questions."""

from __future__ import annotations

import pytest

from upstate.api.tests.helpers import Api
from upstate.awareness import matcher, services
from upstate.awareness.models import Conversation, LinkedVia

LINKED = [
    "I can't see any of my projects, the list is empty",
    "projects page empty after login",
]


@pytest.fixture
def live(login_incident, dashboard_incident, outsider_incident):
    return login_incident, dashboard_incident


def _link(org, incident, text: str, via: str) -> None:  # noqa: ANN001
    conversation = Conversation.objects.create(
        org=org,
        source="helpdesk",
        external_id=text[:40],
        text=text,
        vector=matcher.embed_written(text).astype("<f4").tobytes(),
    )
    services.link_conversation(conversation=conversation, incident=incident, via=via)


def _best(client, viewer, text: str) -> dict | None:  # noqa: ANN001
    matches = Api(client, viewer).post("/match", {"text": text}).json()["matches"]
    return matches[0] if matches else None


def test_a_responders_links_make_messages_like_them_match(client, viewer, live, org):
    _, dashboard = live
    assert _best(client, viewer, "cant see my projects list") is None
    for text in LINKED:
        _link(org, dashboard, text, LinkedVia.DASHBOARD)
    best = _best(client, viewer, "cant see my projects list")
    assert best is not None and best["incident"]["id"] == dashboard.code
    assert "a responder linked" in best["reason"] and "list is empty" in best["reason"]


def test_links_made_by_match_requests_teach_nothing(client, viewer, live, org):
    _, dashboard = live
    for text in LINKED:
        _link(org, dashboard, text, LinkedVia.MATCH)
    assert _best(client, viewer, "cant see my projects list") is None


def test_questions_stay_questions_after_links(client, viewer, live, org):
    _, dashboard = live
    for text in LINKED:
        _link(org, dashboard, text, LinkedVia.API)
    assert _best(client, viewer, "how do I export my projects to csv?") is None
    assert _best(client, viewer, "how do I change my avatar?") is None


def test_another_organizations_links_teach_nothing(
    client, viewer, live, other_org, other_page, declare
):
    theirs = declare(other_page, "Projects missing", message="Some project lists are empty.")
    for text in LINKED:
        _link(other_org, theirs, text, LinkedVia.DASHBOARD)
    assert _best(client, viewer, "cant see my projects list") is None


def test_the_reason_quotes_what_the_match_leaned_on(client, viewer, live):
    best = _best(client, viewer, "sign in takes forever")
    assert best is not None
    assert best["reason"].startswith("closest to")
    assert "sign-in requests" in best["reason"]
