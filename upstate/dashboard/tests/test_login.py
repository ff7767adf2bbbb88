from __future__ import annotations

import pytest

from upstate.dashboard.tests.helpers import PASSWORD

LOGIN = "/dashboard/login/"


def test_it_signs_in_with_email_and_password(client, owner):
    response = client.post(LOGIN, {"username": "Owner@Acme.test", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/dashboard/"
    assert client.get("/dashboard/")["Location"] == "/dashboard/acme/"


def test_it_keeps_the_email_and_says_what_is_wrong(client, owner):
    response = client.post(LOGIN, {"username": "owner@acme.test", "password": "nope"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "correct email" in body or "Please enter a correct" in body
    assert 'value="owner@acme.test"' in body
    assert "_auth_user_id" not in client.session


def test_it_rejects_a_malformed_email_inline(client, db):
    response = client.post(LOGIN, {"username": "not-an-email", "password": "x"})
    assert "Enter a valid email address" in response.content.decode()


def test_it_throttles_after_five_failures_for_one_email_and_address(client, owner):
    for _ in range(5):
        assert (
            client.post(LOGIN, {"username": "owner@acme.test", "password": "bad"}).status_code
            == 200
        )
    # Even the right password is refused while throttled.
    response = client.post(LOGIN, {"username": "owner@acme.test", "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_throttle_is_per_client_address(client, owner):
    for _ in range(5):
        client.post(LOGIN, {"username": "owner@acme.test", "password": "bad"})
    response = client.post(
        LOGIN, {"username": "owner@acme.test", "password": PASSWORD}, REMOTE_ADDR="10.1.2.3"
    )
    assert response.status_code == 302


def test_a_success_clears_the_failures(client, owner):
    for _ in range(4):
        client.post(LOGIN, {"username": "owner@acme.test", "password": "bad"})
    assert (
        client.post(LOGIN, {"username": "owner@acme.test", "password": PASSWORD}).status_code == 302
    )
    client.logout()
    for _ in range(4):
        client.post(LOGIN, {"username": "owner@acme.test", "password": "bad"})
    assert (
        client.post(LOGIN, {"username": "owner@acme.test", "password": PASSWORD}).status_code == 302
    )


def test_logout_needs_post(client, owner):
    client.force_login(owner.user)
    assert client.get("/dashboard/logout/").status_code == 405
    response = client.post("/dashboard/logout/")
    assert response.status_code == 302
    assert response["Location"] == LOGIN
    assert client.get("/dashboard/acme/").status_code == 302


def test_login_needs_the_csrf_token(owner):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post(LOGIN, {"username": "owner@acme.test", "password": PASSWORD})
    assert response.status_code == 403


@pytest.mark.parametrize(
    "url", ["/dashboard/", "/dashboard/acme/", "/dashboard/acme/incidents/", "/dashboard/nope/"]
)
def test_anonymous_visitors_are_sent_to_sign_in(client, org, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(f"{LOGIN}?next=")


def test_signed_in_users_skip_the_form(client, owner):
    client.force_login(owner.user)
    assert client.get(LOGIN)["Location"] == "/dashboard/"


def test_behind_a_proxy_the_throttle_counts_each_visitor(client, owner, settings):
    settings.TRUSTED_PROXIES = 1
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    for _ in range(5):
        client.post(
            LOGIN,
            {"username": "owner@acme.test", "password": "bad"},
            HTTP_X_FORWARDED_FOR="198.51.100.1",
            **proxy,
        )
    right = {"username": "owner@acme.test", "password": PASSWORD}
    assert (
        client.post(LOGIN, right, HTTP_X_FORWARDED_FOR="198.51.100.1", **proxy).status_code == 429
    )
    # Another visitor behind the same proxy is not locked out by the first one's failures.
    assert (
        client.post(LOGIN, right, HTTP_X_FORWARDED_FOR="198.51.100.2", **proxy).status_code == 302
    )
