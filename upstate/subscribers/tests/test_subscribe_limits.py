"""Rate limits on subscribing, counted in the database that every web process shares: the
public form and the API answer 429 with the reason, and no confirmation email goes out beyond
the limit."""

from __future__ import annotations

import pytest

from upstate.api.tests.helpers import Api
from upstate.subscribers.models import Subscriber
from upstate.throttle.models import Counter


def test_counts_live_in_the_database_without_addresses(post, page, smtp_sink):
    post("/p/acme/subscribe", {"email": "ann@example.com"})
    keys = list(
        Counter.objects.filter(key__startswith="subscribe-limit").values_list("key", flat=True)
    )
    assert len(keys) == 2  # address and IP
    assert not any("ann" in key or "127.0.0.1" in key for key in keys)


@pytest.fixture
def post(client, django_capture_on_commit_callbacks):
    def run(path, data, **extra):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(path, data, **extra)

    return run


def test_the_form_sends_at_most_three_confirmations_to_an_address(post, page, smtp_sink):
    answers = [
        post("/p/acme/subscribe", {"email": "victim@example.com"}, REMOTE_ADDR=f"198.51.100.{n}")
        for n in range(5)
    ]
    assert [a.status_code for a in answers] == [200, 200, 200, 429, 429]
    assert len(smtp_sink.mails) == 3
    refused = answers[-1].content.decode()
    assert "Too many subscription requests for this address" in refused
    assert answers[-1]["Retry-After"] == "3600"
    assert 'role="alert"' in refused


def test_the_limit_per_address_spans_pages_and_letter_case(post, page, other_page, smtp_sink):
    for n in range(3):
        post("/p/acme/subscribe", {"email": "victim@example.com"}, REMOTE_ADDR=f"10.0.0.{n}")
    response = post("/p/globex/subscribe", {"email": "VICTIM@example.com"}, REMOTE_ADDR="10.0.1.1")
    assert response.status_code == 429
    assert not Subscriber.objects.filter(page=other_page).exists()
    assert len(smtp_sink.mails) == 3


def test_one_client_address_may_send_ten_requests_an_hour(post, page, smtp_sink):
    codes = [
        post(
            "/p/acme/subscribe", {"email": f"x{n}@example.com"}, REMOTE_ADDR="203.0.113.9"
        ).status_code
        for n in range(11)
    ]
    assert codes == [200] * 10 + [429]
    assert Subscriber.objects.count() == 10
    assert len(smtp_sink.mails) == 10
    # Another client is not affected.
    other = post("/p/acme/subscribe", {"email": "y@example.com"}, REMOTE_ADDR="203.0.113.10")
    assert other.status_code == 200


def test_the_limits_can_be_set(post, page, smtp_sink, settings):
    settings.SUBSCRIBE_LIMIT_PER_IP = 2
    codes = [
        post("/p/acme/subscribe", {"email": f"x{n}@example.com"}).status_code for n in range(3)
    ]
    assert codes == [200, 200, 429]


def test_the_api_answers_429_in_json_naming_the_reason(
    client, responder, page, smtp_sink, django_capture_on_commit_callbacks
):
    api = Api(client, responder)
    path = f"/pages/{page.code}/subscribers"
    victim = {"channel": "email", "address": "victim@example.com"}
    for _ in range(3):  # subscribe, remove, subscribe again: a confirmation email each time
        with django_capture_on_commit_callbacks(execute=True):
            created = api.post(path, victim)
        assert created.status_code == 201
        assert api.delete(f"/subscribers/{created.json()['id']}").status_code == 204
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(path, victim)
    assert response.status_code == 429
    body = response.json()
    assert "for this address" in body["message"]
    assert body["errors"][0]["field"] == "address"
    assert response["Retry-After"] == "3600"
    assert len(smtp_sink.mails) == 3
    assert not Subscriber.objects.exists()


def test_the_api_limits_confirmations_per_client(client, responder, page, smtp_sink, settings):
    settings.SUBSCRIBE_API_LIMIT_PER_IP = 2
    api = Api(client, responder)
    path = f"/pages/{page.code}/subscribers"
    codes = [
        api.post(path, {"channel": "email", "address": f"p{n}@example.com"}).status_code
        for n in range(3)
    ]
    assert codes == [201, 201, 429]
    assert (
        "network address"
        in api.post(path, {"channel": "email", "address": "q@x.io"}).json()["message"]
    )
    # Channels that send no confirmation, and admin imports, are not limited.
    webhook = {"channel": "webhook", "address": "https://hooks.example.com/a"}
    assert api.post(path, webhook).status_code == 201
    assert Subscriber.objects.count() == 3


def test_admin_imports_of_confirmed_subscribers_are_not_limited(client, owner, page, settings):
    settings.SUBSCRIBE_API_LIMIT_PER_IP = 1
    api = Api(client, owner)
    path = f"/pages/{page.code}/subscribers"
    for n in range(3):
        body = {"channel": "email", "address": f"i{n}@example.com", "confirmed": True}
        assert api.post(path, body).status_code == 201


def test_behind_a_proxy_each_visitor_has_their_own_count(post, page, smtp_sink, settings):
    settings.TRUSTED_PROXIES = 1
    settings.SUBSCRIBE_LIMIT_PER_IP = 1
    proxy = {"REMOTE_ADDR": "10.0.0.1"}

    def from_(client_address: str, email: str) -> int:
        forwarded = f"6.6.6.6, {client_address}"  # the first entry is the visitor's to forge
        data = {"email": email}
        return post("/p/acme/subscribe", data, HTTP_X_FORWARDED_FOR=forwarded, **proxy).status_code

    assert from_("198.51.100.1", "a@example.com") == 200
    assert from_("198.51.100.2", "b@example.com") == 200
    assert from_("198.51.100.1", "c@example.com") == 429
    settings.TRUSTED_PROXIES = 0  # not trusted: everyone is the proxy
    assert post("/p/acme/subscribe", {"email": "d@example.com"}, **proxy).status_code == 200
    assert post("/p/acme/subscribe", {"email": "e@example.com"}, **proxy).status_code == 429
