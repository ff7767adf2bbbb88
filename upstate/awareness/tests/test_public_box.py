"""The public page's "Having trouble? Describe it" box: a plain form on the snapshot, answered
by a Django view (rate-limited per client address)."""

from __future__ import annotations

from upstate.awareness import public_views
from upstate.public.snapshot import build_snapshot


def test_the_snapshot_carries_the_form(page):
    html = build_snapshot(page).documents[""].body.decode()
    assert "Having trouble? Describe it" in html
    # relative, so the same bytes work at /p/<slug>/ and at a custom domain's root
    assert '<form method="post" action="./trouble"' in html


def test_a_known_problem_is_named_and_linked(client, login_incident):
    response = client.post("/p/acme/trouble", {"text": "your login keeps timing out"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "This looks like a known problem" in html
    assert f'href="/p/acme/incidents/{login_incident.code}"' in html
    assert response["Cache-Control"] == "no-store"


def test_an_unknown_problem_offers_to_subscribe(client, login_incident):
    html = client.post("/p/acme/trouble", {"text": "how do I change my avatar?"}).content.decode()
    assert "Nothing we know of" in html
    assert 'action="/p/acme/subscribe"' in html


def test_internal_incidents_are_never_revealed(client, page, declare):
    declare(
        page,
        "Database failover for the login service",
        message="Sign-in requests time out during the failover.",
        visibility="internal",
    )
    html = client.post("/p/acme/trouble", {"text": "login keeps timing out"}).content.decode()
    assert "Nothing we know of" in html and "failover" not in html


def test_another_organizations_incidents_are_never_shown(client, page, outsider_incident):
    html = client.post("/p/acme/trouble", {"text": "i cannot sign in"}).content.decode()
    assert "Nothing we know of" in html and outsider_incident.code not in html


def test_what_the_visitor_wrote_is_escaped(client, page):
    html = client.post("/p/acme/trouble", {"text": "<script>alert(1)</script>"}).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_bad_input_is_a_400(client, page):
    assert client.post("/p/acme/trouble", {"text": "  "}).status_code == 400
    too_long = "x" * (public_views.MAX_TEXT + 1)
    assert client.post("/p/acme/trouble", {"text": too_long}).status_code == 400


def test_it_is_rate_limited_per_client_address(client, page):
    for _ in range(public_views.LIMIT_PER_IP):
        assert client.post("/p/acme/trouble", {"text": "slow"}).status_code == 200
    response = client.post("/p/acme/trouble", {"text": "slow"})
    assert response.status_code == 429
    assert "Too many requests" in response.content.decode()
    other = client.post("/p/acme/trouble", {"text": "slow"}, REMOTE_ADDR="10.9.8.7")
    assert other.status_code == 200


def test_private_and_unknown_pages_are_404(client, page):
    from upstate.pages.services import update_page

    assert client.post("/p/nope/trouble", {"text": "slow"}).status_code == 404
    update_page(page=page, private=True)
    assert client.post("/p/acme/trouble", {"text": "slow"}).status_code == 404


def test_get_goes_back_to_the_page(client, page):
    response = client.get("/p/acme/trouble")
    assert response.status_code == 302 and response.url == "/p/acme/"


def test_behind_a_proxy_each_visitor_has_their_own_limit(client, page, settings):
    settings.TRUSTED_PROXIES = 1
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    for _ in range(public_views.LIMIT_PER_IP):
        client.post(
            "/p/acme/trouble", {"text": "slow"}, HTTP_X_FORWARDED_FOR="198.51.100.1", **proxy
        )
    first = client.post(
        "/p/acme/trouble", {"text": "slow"}, HTTP_X_FORWARDED_FOR="198.51.100.1", **proxy
    )
    second = client.post(
        "/p/acme/trouble", {"text": "slow"}, HTTP_X_FORWARDED_FOR="198.51.100.2", **proxy
    )
    assert (first.status_code, second.status_code) == (429, 200)
