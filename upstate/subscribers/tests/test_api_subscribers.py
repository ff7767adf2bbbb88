"""Subscribers through the REST API: validation, roles and tenant isolation."""

from __future__ import annotations

import pytest

from upstate.api.tests.helpers import Api, field_errors
from upstate.subscribers.models import Subscriber


def _path(page) -> str:
    return f"/pages/{page.code}/subscribers"


def test_a_responder_adds_an_email_subscriber_who_must_confirm(
    client, responder, page, api_component, smtp_sink, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = Api(client, responder).post(
            _path(page),
            {
                "channel": "email",
                "address": "Ann@Example.COM",
                "component_ids": [api_component.code],
            },
        )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["address"] == "Ann@example.com"
    assert body["state"] == "unconfirmed"
    assert body["component_ids"] == [api_component.code]
    assert body["webhook_secret"] is None
    assert not body["id"].isdigit()
    assert smtp_sink.wait_for(1)
    assert smtp_sink.mails[0].recipients == ["Ann@example.com"]
    assert "Confirm" in smtp_sink.mails[0].message["Subject"]


def test_an_admin_key_may_import_confirmed_subscribers(client, owner, page, smtp_sink):
    response = Api(client, owner).post(
        _path(page), {"channel": "email", "address": "ann@example.com", "confirmed": True}
    )
    assert response.status_code == 201
    assert response.json()["state"] == "active"
    assert smtp_sink.mails == []


def test_a_responder_key_may_not_skip_confirmation(client, responder, page):
    response = Api(client, responder).post(
        _path(page), {"channel": "email", "address": "ann@example.com", "confirmed": True}
    )
    assert response.status_code == 403
    assert Subscriber.objects.count() == 0


def test_webhook_subscribers_get_their_signing_secret(client, responder, page):
    response = Api(client, responder).post(
        _path(page), {"channel": "webhook", "address": "https://hooks.example.com/upstate"}
    )
    assert response.status_code == 201
    body = response.json()
    assert body["state"] == "active"
    assert body["webhook_secret"].startswith("whsec_")
    assert body["webhook_secret"] == Subscriber.objects.get().webhook_secret


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"channel": "pigeon", "address": "x"}, "channel", "must be one of"),
        ({"channel": "email", "address": "not-an-email"}, "address", "must be an email address"),
        ({"channel": "webhook", "address": "ftp://x.example"}, "address", "http or https URL"),
        ({"channel": "sms", "address": "0151 123"}, "address", "E.164"),
        ({"channel": "email"}, "address", "is required"),
        (
            {"channel": "email", "address": "a@b.co", "component_ids": ["nope"]},
            "component_ids",
            "no component",
        ),
        ({"channel": "email", "address": "a@b.co", "colour": "red"}, "colour", "not a known field"),
    ],
)
def test_bad_input_names_the_field(client, responder, page, body, field, message):
    response = Api(client, responder).post(_path(page), body)
    assert response.status_code == 422, response.content
    assert message in field_errors(response)[field]
    assert Subscriber.objects.count() == 0


def test_a_duplicate_address_is_refused(client, owner, page):
    api = Api(client, owner)
    body = {"channel": "sms", "address": "+1 415 555 0100", "confirmed": True}
    assert api.post(_path(page), body).status_code == 201
    response = api.post(_path(page), {**body, "address": "+14155550100"})
    assert response.status_code == 422
    assert "already subscribed" in field_errors(response)["address"]


def test_a_phone_that_must_confirm_needs_a_provider_to_text_it(client, responder, page):
    response = Api(client, responder).post(
        _path(page), {"channel": "whatsapp", "address": "+14155550100"}
    )
    assert response.status_code == 422
    assert "no WhatsApp provider" in field_errors(response)["channel"]
    assert Subscriber.objects.count() == 0


def test_it_lists_and_deletes_subscribers(client, responder, viewer, page):
    api = Api(client, responder)
    created = api.post(_path(page), {"channel": "slack", "address": "https://hooks.slack.com/x"})
    listed = Api(client, viewer).get(_path(page))
    assert listed.status_code == 200
    assert [s["id"] for s in listed.json()["items"]] == [created.json()["id"]]
    assert api.delete(f"/subscribers/{created.json()['id']}").status_code == 204
    assert Subscriber.objects.count() == 0


def test_a_viewer_cannot_add_or_delete(client, responder, viewer, page):
    created = Api(client, responder).post(
        _path(page), {"channel": "slack", "address": "https://hooks.slack.com/x"}
    )
    api = Api(client, viewer)
    assert api.post(_path(page), {"channel": "email", "address": "a@b.co"}).status_code == 403
    assert api.delete(f"/subscribers/{created.json()['id']}").status_code == 403
    assert Subscriber.objects.count() == 1


def test_outsiders_get_404_everywhere(client, responder, outsider, page):
    created = Api(client, responder).post(
        _path(page), {"channel": "slack", "address": "https://hooks.slack.com/x"}
    )
    code = created.json()["id"]
    api = Api(client, outsider)
    assert api.get(_path(page)).status_code == 404
    assert api.post(_path(page), {"channel": "email", "address": "a@b.co"}).status_code == 404
    assert api.get(f"/subscribers/{code}").status_code == 404
    assert api.delete(f"/subscribers/{code}").status_code == 404
    assert Subscriber.objects.count() == 1


def test_it_requires_a_key(client, page):
    assert Api(client).get(_path(page)).status_code == 401
