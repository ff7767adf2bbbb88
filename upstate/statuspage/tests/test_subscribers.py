"""Subscribers through Statuspage's management API."""

from __future__ import annotations

from upstate.subscribers.models import Subscriber
from upstate.subscribers.services import create_subscriber


def test_it_creates_email_webhook_and_sms_subscribers(sp, page, api_component, settings):
    email = sp.post(
        f"/pages/{page.code}/subscribers",
        {"subscriber": {"email": "Ops@Example.com", "component_ids": [api_component.code]}},
    )
    assert email.status_code == 201, email.content
    assert (email.json()["mode"], email.json()["components"]) == ("email", [api_component.code])
    assert Subscriber.objects.get(code=email.json()["id"]).state == "unconfirmed"
    webhook = sp.post(
        f"/pages/{page.code}/subscribers",
        {"subscriber": {"endpoint": "https://hooks.example.com/sp"}},
    )
    assert (
        webhook.status_code == 201 and webhook.json()["endpoint"] == "https://hooks.example.com/sp"
    )
    sms = sp.post(
        f"/pages/{page.code}/subscribers",
        "subscriber[phone_country]=us&subscriber[phone_number]=4155550100"
        "&subscriber[skip_confirmation_notification]=true",
        form=True,
    )
    assert sms.status_code == 201, sms.content
    assert sms.json()["phone_number"] == "+14155550100" and sms.json()["mode"] == "sms"


def test_lists_filter_by_type_and_state(sp, page):
    create_subscriber(page=page, channel="email", address="a@example.com", confirmed=True)
    create_subscriber(page=page, channel="email", address="b@example.com")
    create_subscriber(page=page, channel="webhook", address="https://example.com/h")
    active = sp.get(f"/pages/{page.code}/subscribers").json()
    assert sorted(s["email"] or s["endpoint"] for s in active) == [
        "a@example.com",
        "https://example.com/h",
    ]
    webhooks = sp.get(f"/pages/{page.code}/subscribers?type=webhook").json()
    assert [s["mode"] for s in webhooks] == ["webhook"]
    unconfirmed = sp.get(f"/pages/{page.code}/subscribers?state=unconfirmed").json()
    assert [s["email"] for s in unconfirmed] == ["b@example.com"]
    every = sp.get(f"/pages/{page.code}/subscribers?state=all&limit=2&page=0").json()
    rest = sp.get(f"/pages/{page.code}/subscribers?state=all&limit=2&page=1").json()
    assert len(every) == 2 and len(rest) == 1
    count = sp.get(f"/pages/{page.code}/subscribers/count?state=all").json()
    assert (count["email"], count["webhook"], count["sms"]) == (2, 1, 0)


def test_unsubscribe_delete_and_bulk(sp, page):
    one = create_subscriber(page=page, channel="email", address="a@example.com", confirmed=True)
    two = create_subscriber(page=page, channel="email", address="b@example.com", confirmed=True)
    three = create_subscriber(page=page, channel="webhook", address="https://example.com/h")
    deleted = sp.delete(
        f"/pages/{page.code}/subscribers/{one.code}?skip_unsubscription_notification=true"
    )
    assert deleted.status_code == 200 and deleted.json()["id"] == one.code
    bulk = sp.post(f"/pages/{page.code}/subscribers/unsubscribe", {"subscribers": [two.code]})
    assert bulk.status_code == 201 and bulk.content == b""
    assert list(Subscriber.objects.values_list("code", flat=True)) == [three.code]


def test_resend_confirmation_goes_to_unconfirmed_email_subscribers(
    sp, page, django_capture_on_commit_callbacks, smtp_sink
):
    pending = create_subscriber(page=page, channel="email", address="p@example.com")
    create_subscriber(page=page, channel="email", address="c@example.com", confirmed=True)
    with django_capture_on_commit_callbacks(execute=True):
        one = sp.post(f"/pages/{page.code}/subscribers/{pending.code}/resend_confirmation")
    assert one.status_code == 201 and one.content == b""
    with django_capture_on_commit_callbacks(execute=True):
        everyone = sp.post(
            f"/pages/{page.code}/subscribers/resend_confirmation",
            {"subscribers": "all", "state": "all"},
        )
    assert everyone.status_code == 201
    # Both confirmations went to the unconfirmed address, none to the confirmed one.
    assert smtp_sink.wait_for(2)
    assert [m.recipients for m in smtp_sink.mails] == [["p@example.com"], ["p@example.com"]]


def test_subscriber_errors(sp, page, responder, client):
    from upstate.statuspage.tests.conftest import Statuspage

    missing = sp.post(f"/pages/{page.code}/subscribers", {"subscriber": {}})
    assert missing.status_code == 422 and missing.json()["message"].startswith("email")
    bad = sp.post(f"/pages/{page.code}/subscribers", {"subscriber": {"email": "nope"}})
    assert bad.status_code == 422 and bad.json()["message"].startswith("email")
    abroad = sp.post(
        f"/pages/{page.code}/subscribers",
        {"subscriber": {"phone_country": "gb", "phone_number": "7700900123"}},
    )
    assert abroad.status_code == 422 and abroad.json()["message"].startswith("phone_number")
    # Only admins may skip double opt-in.
    skip = Statuspage(client, responder.key).post(
        f"/pages/{page.code}/subscribers",
        {"subscriber": {"email": "x@example.com", "skip_confirmation_notification": True}},
    )
    assert skip.status_code == 403
    assert not Subscriber.objects.exists()
