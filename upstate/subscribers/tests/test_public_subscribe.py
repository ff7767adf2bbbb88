"""Subscribing from the public page: double opt-in, manage, one-click unsubscribe, limits."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.utils import timezone

from upstate.incidents.services import create_incident
from upstate.subscribers.models import Subscriber


@pytest.fixture(autouse=True)
def _fresh_limits(settings, tmp_path):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    cache.clear()


def _link(text: str, kind: str) -> str:
    return re.search(rf"https://status\.acme\.test(/p/acme/{kind}/\S+)", text).group(1)


@pytest.fixture
def post(client, django_capture_on_commit_callbacks):
    def run(path, data=None, **extra):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(path, data or {}, **extra)

    return run


def test_double_opt_in_then_updates_arrive(
    client, post, page, smtp_sink, django_capture_on_commit_callbacks
):
    response = post("/p/acme/subscribe", {"email": "ann@example.com"})
    assert response.status_code == 200
    assert b"Check your inbox" in response.content
    subscriber = Subscriber.objects.get()
    assert subscriber.confirmed_at is None

    assert smtp_sink.wait_for(1)
    confirmation = smtp_sink.mails[0]
    assert confirmation.message["Subject"] == "Confirm your subscription to Acme Status"
    link = _link(confirmation.part("plain"), "subscribe/confirm")
    assert link in confirmation.part("html")

    with django_capture_on_commit_callbacks(execute=True):
        create_incident(page=page, title="Before confirming")
    assert len(smtp_sink.mails) == 1  # unconfirmed addresses get nothing else

    assert client.get(link).status_code == 200  # a page with a button, for link scanners
    assert Subscriber.objects.get().confirmed_at is None
    response = post(link)
    assert b"You are subscribed" in response.content
    assert Subscriber.objects.get().confirmed_at is not None

    with django_capture_on_commit_callbacks(execute=True):
        create_incident(page=page, title="After confirming")
    assert smtp_sink.wait_for(2)
    assert smtp_sink.mails[1].message["Subject"] == "[Acme Status] Investigating: After confirming"


def test_a_forged_confirmation_link_is_refused(client, post, page):
    post("/p/acme/subscribe", {"email": "ann@example.com"})
    code = Subscriber.objects.get().code
    response = post(f"/p/acme/subscribe/confirm/{code}:forged")
    assert response.status_code == 404
    assert Subscriber.objects.get().confirmed_at is None


def test_one_click_unsubscribe_answers_a_post(post, client, page):
    subscriber = Subscriber.objects.create(page=page, channel="email", address="a@example.com")
    path = f"/p/acme/unsubscribe/{subscriber.token}"
    assert client.get(path).status_code == 200
    assert Subscriber.objects.count() == 1
    response = post(
        path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert Subscriber.objects.count() == 0
    assert post(path).status_code == 200  # already gone: still a calm answer


def test_the_manage_page_limits_components(post, client, page, api_component, web_component):
    subscriber = Subscriber.objects.create(page=page, channel="email", address="a@example.com")
    path = f"/p/acme/subscription/{subscriber.token}"
    assert b"Website" in client.get(path).content
    response = post(path, {"components": [api_component.code]})
    assert b"Your choice is saved" in response.content
    assert list(subscriber.components.all()) == [api_component]
    assert client.get("/p/acme/subscription/wrong-token").status_code == 404


def test_bad_addresses_are_refused_with_the_reason(post, page):
    response = post("/p/acme/subscribe", {"email": "not-an-address"})
    assert response.status_code == 400
    assert b"must be an email address" in response.content
    assert Subscriber.objects.count() == 0


def test_the_form_cannot_mail_bomb_an_address(post, page, smtp_sink):
    for _ in range(5):
        post("/p/acme/subscribe", {"email": "victim@example.com"})
    assert len(smtp_sink.mails) == 3  # LIMIT_PER_ADDRESS
    response = post("/p/acme/subscribe", {"email": "victim@example.com"})
    assert response.status_code == 429


def test_one_client_cannot_subscribe_many_addresses(post, page, smtp_sink):
    codes = [
        post("/p/acme/subscribe", {"email": f"x{n}@example.com"}).status_code for n in range(12)
    ]
    assert codes.count(200) == 10 and codes[-1] == 429


def test_the_public_page_shows_the_form(client, page):
    html = client.get("/p/acme/").content.decode()
    assert 'action="./subscribe"' in html


def test_a_custom_domain_serves_the_same_pages(client, page, post):
    page.custom_domain = "status.acme.example"
    page.domain_verified_at = timezone.now()  # only a proven domain is served
    page.save()
    response = post("/subscribe", {"email": "a@example.com"}, HTTP_HOST="status.acme.example")
    assert response.status_code == 200
    assert Subscriber.objects.get().page == page


def test_a_phone_channel_without_a_provider_is_refused_naming_the_field(post, page):
    response = post("/p/acme/subscribe", {"channel": "sms", "address": "+14155550100"})
    assert response.status_code == 400
    assert b"Send updates by: Select a valid choice" in response.content
    assert Subscriber.objects.count() == 0


def test_the_status_pages_short_form_subscribes_to_everything(post, page, api_component):
    response = post("/p/acme/subscribe", {"email": "ann@example.com"})
    assert response.status_code == 200, response.content
    assert b"Check your inbox" in response.content
    subscriber = Subscriber.objects.get()
    assert list(subscriber.components.all()) == []
