"""POST /api/v1/match: clear-cut matches with the real model, nothing below the threshold,
public keys, tenant isolation and bad input."""

from __future__ import annotations

import pytest

from upstate.api.tests.helpers import Api, field_errors
from upstate.awareness.services import rotate_public_key


@pytest.fixture
def live(login_incident, dashboard_incident, outsider_incident):
    return login_incident, dashboard_incident


def _titles(response) -> list[str]:  # noqa: ANN001
    return [m["incident"]["title"] for m in response.json()["matches"]]


def test_it_matches_on_meaning(client, viewer, live):
    response = Api(client, viewer).post("/match", {"text": "your login keeps timing out"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert _titles(response)[0] == "Authentication latency degraded"
    best = body["matches"][0]
    assert 0 < best["confidence"] <= 1 and best["confidence"] >= body["threshold"]
    assert best["incident"]["id"] == live[0].code
    assert best["incident"]["components"] == ["Login"]
    assert best["incident"]["public_url"].endswith(f"/p/acme/incidents/{live[0].code}")
    assert best["reason"]


def test_a_blank_page_finds_the_dashboard_incident(client, viewer, live):
    response = Api(client, viewer).post("/match", {"text": "the app shows an empty white screen"})
    assert _titles(response)[0] == "Dashboard not loading for some customers"


def test_an_unrelated_question_matches_nothing(client, viewer, live):
    response = Api(client, viewer).post("/match", {"text": "how do I change my avatar?"})
    assert response.status_code == 200
    assert response.json()["matches"] == []


def test_a_question_about_the_feature_of_a_live_incident_is_not_a_report(client, viewer, live):
    # close in meaning to the login incident, but nobody says anything is wrong
    api = Api(client, viewer)
    question = api.post("/match", {"text": "how do I set up two-step login for my account?"})
    assert question.json()["matches"] == []
    report = api.post("/match", {"text": "logging in takes forever and then errors"})
    assert _titles(report)[0] == "Authentication latency degraded"


def test_a_bare_feature_name_finds_its_live_incident(client, viewer, live):
    response = Api(client, viewer).post("/match", {"text": "login"})
    assert _titles(response)[:1] == ["Authentication latency degraded"]


def test_resolved_incidents_are_not_matched(client, viewer, live, page):
    from upstate.incidents.services import post_update

    login = live[0]
    post_update(incident=login, status="resolved", message="Fixed")
    from upstate.awareness.documents import index_page

    index_page(page.id)
    response = Api(client, viewer).post("/match", {"text": "your login keeps timing out"})
    assert "Authentication latency degraded" not in _titles(response)


def test_limit_caps_the_matches(client, viewer, live):
    response = Api(client, viewer).post("/match", {"text": "nothing works", "limit": 1})
    assert len(response.json()["matches"]) <= 1


def test_it_never_returns_another_organizations_incident(client, outsider, viewer, live):
    mine = Api(client, viewer).post("/match", {"text": "login failures for all users"})
    assert "Login failures for all users" not in _titles(mine)
    theirs = Api(client, outsider).post("/match", {"text": "your login keeps timing out"})
    assert _titles(theirs) == ["Login failures for all users"]


def test_page_id_of_another_organization_is_bad_input(client, viewer, live, other_page):
    response = Api(client, viewer).post(
        "/match", {"text": "login slow", "page_id": other_page.code}
    )
    assert response.status_code == 422
    assert "page_id" in field_errors(response)


def test_a_public_key_sees_only_its_pages_public_incidents(client, page, live, declare):
    internal = declare(
        page,
        "Sign-in outage for staff",
        message="Employees cannot sign in; logins time out.",
        visibility="internal",
    )
    key = rotate_public_key(page=page).key
    response = client.post(
        "/api/v1/match",
        {"text": "your login keeps timing out", "limit": 10},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    assert response.status_code == 200, response.content
    ids = [m["incident"]["id"] for m in response.json()["matches"]]
    assert live[0].code in ids
    assert internal.code not in ids


def test_a_public_key_of_another_page_is_refused(client, other_page, live):
    key = rotate_public_key(page=other_page).key
    response = client.post(
        "/api/v1/match",
        {"text": "your login keeps timing out"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    assert _titles(response) == ["Login failures for all users"]


def test_a_rotated_public_key_stops_working(client, page, live):
    old = rotate_public_key(page=page).key
    rotate_public_key(page=page)
    response = client.post(
        "/api/v1/match",
        {"text": "login"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {old}",
    )
    assert response.status_code == 401


def test_a_public_key_cannot_link(client, page, live):
    key = rotate_public_key(page=page).key
    body = {"text": "your login keeps timing out", "link": {"source": "chat", "external_id": "1"}}
    response = client.post(
        "/api/v1/match", body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}"
    )
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "text"),
        ({"text": "   "}, "text"),
        ({"text": "x" * 10_001}, "text"),
        ({"text": "login", "limit": 0}, "limit"),
        ({"text": "login", "limit": 11}, "limit"),
        ({"text": "login", "colour": "red"}, "colour"),
        ({"text": "login", "link": {"source": "zendesk"}}, "link.external_id"),
        (
            {"text": "login", "link": {"source": "z", "external_id": "1", "url": "ftp://x"}},
            "link.url",
        ),
    ],
)
def test_bad_input_is_a_4xx_naming_the_field(client, responder, live, body, field):
    response = Api(client, responder).post("/match", body)
    assert response.status_code == 422, response.content
    assert field in field_errors(response)


def test_it_needs_a_key(client, live):
    assert Api(client).post("/match", {"text": "login"}).status_code == 401
    response = client.post(
        "/api/v1/match",
        {"text": "x"},
        content_type="application/json",
        HTTP_AUTHORIZATION="Bearer pk_nope",
    )
    assert response.status_code == 401
