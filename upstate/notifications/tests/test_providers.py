"""SMS and WhatsApp subscribers through the organization's Twilio or WhatsApp Cloud API
settings, as a local server speaking those providers' APIs received them."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from django.utils import timezone

from upstate.incidents.services import create_incident
from upstate.notifications import services
from upstate.notifications.models import Attempt, Delivery, DeliveryStatus, ProviderConfig
from upstate.notifications.services import configure_providers
from upstate.notifications.tests.helpers import subscribe

SID = "AC" + "0123456789abcdef" * 2
TOKEN = "twilio-auth-token-5678"
NUMBER_ID = "106540352242922"
WA_TOKEN = "EAAG-whatsapp-token-9876"


@pytest.fixture
def declare(django_capture_on_commit_callbacks, page):
    def run():
        with django_capture_on_commit_callbacks(execute=True):
            return create_incident(page=page, title="Checkout is down", impact="major")

    return run


@pytest.fixture
def twilio(org, provider_server):
    provider_server.twilio[SID] = TOKEN
    return configure_providers(
        org=org,
        twilio_account_sid=SID,
        twilio_auth_token=TOKEN,
        twilio_sms_from="+15005550006",
        twilio_whatsapp_from="+14155238886",
        whatsapp_via="twilio",
    )


@pytest.fixture
def cloud(org, provider_server):
    provider_server.whatsapp[NUMBER_ID] = WA_TOKEN
    return configure_providers(
        org=org,
        whatsapp_via="cloud",
        whatsapp_phone_number_id=NUMBER_ID,
        whatsapp_access_token=WA_TOKEN,
    )


def test_sms_goes_to_twilios_messages_api_with_basic_auth(twilio, provider_server, page, declare):
    subscribe(page, "+14155550100", channel="sms")
    declare()
    [message] = provider_server.accepted("twilio")
    assert message.path == f"/2010-04-01/Accounts/{SID}/Messages.json"
    expected = base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
    assert message.headers["Authorization"] == f"Basic {expected}"
    assert message.form["To"] == "+14155550100"
    assert message.form["From"] == "+15005550006"
    assert "Checkout is down" in message.form["Body"]
    assert "/p/acme/incidents/" in message.form["Body"]
    delivery = Delivery.objects.get(subscriber__channel="sms")
    assert delivery.status == DeliveryStatus.SENT
    assert delivery.response.startswith("201 SM")


def test_a_messaging_service_sid_replaces_the_sender(twilio, provider_server, page, declare, org):
    service_sid = "MG" + "f" * 32
    configure_providers(org=org, twilio_sms_from=service_sid)
    subscribe(page, "+14155550100", channel="sms")
    declare()
    [message] = provider_server.accepted("twilio")
    assert message.form["MessagingServiceSid"] == service_sid
    assert "From" not in message.form


def test_whatsapp_through_twilio_prefixes_both_numbers(twilio, provider_server, page, declare):
    subscribe(page, "+447700900123", channel="whatsapp")
    declare()
    [message] = provider_server.accepted("twilio")
    assert message.form["To"] == "whatsapp:+447700900123"
    assert message.form["From"] == "whatsapp:+14155238886"


def test_whatsapp_cloud_api_gets_a_bearer_token_and_json(cloud, provider_server, page, declare):
    subscribe(page, "+447700900123", channel="whatsapp")
    declare()
    [message] = provider_server.accepted("whatsapp")
    assert message.path == f"/v21.0/{NUMBER_ID}/messages"
    assert message.headers["Authorization"] == f"Bearer {WA_TOKEN}"
    assert message.json["messaging_product"] == "whatsapp"
    assert message.json["to"] == "447700900123"
    assert message.json["type"] == "text"
    assert "Checkout is down" in message.json["text"]["body"]
    assert Delivery.objects.get().response.startswith("200 wamid.")


def test_whatsapp_cloud_api_sends_the_approved_template(cloud, provider_server, page, declare, org):
    configure_providers(
        org=org,
        whatsapp_via="cloud",
        whatsapp_phone_number_id=NUMBER_ID,
        whatsapp_template="status_update",
        whatsapp_template_language="en_US",
    )
    subscribe(page, "+447700900123", channel="whatsapp")
    declare()
    [message] = provider_server.accepted("whatsapp")
    template = message.json["template"]
    assert (message.json["type"], template["name"]) == ("template", "status_update")
    assert template["language"] == {"code": "en_US"}
    [parameter] = template["components"][0]["parameters"]
    assert "Checkout is down" in parameter["text"]


@pytest.mark.parametrize(
    ("channel", "code"),
    [("sms", 21211), ("sms", 21614), ("whatsapp", 63003)],
)
def test_a_number_twilio_calls_invalid_disables_the_subscriber(
    twilio, provider_server, page, declare, channel, code
):
    subscriber = subscribe(page, "+15005550001", channel=channel)
    provider_server.fail["+15005550001"] = (400, code)
    declare()
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.PERMANENT
    assert f"error {code}" in delivery.last_error
    subscriber.refresh_from_db()
    assert subscriber.disabled_at is not None
    assert "not a valid phone number" in subscriber.disabled_reason
    assert Attempt.objects.get().permanent


def test_a_number_whatsapp_cannot_reach_disables_the_subscriber(
    cloud, provider_server, page, declare
):
    subscriber = subscribe(page, "+15005550001", channel="whatsapp")
    provider_server.fail["+15005550001"] = (400, 131026)
    declare()
    subscriber.refresh_from_db()
    assert subscriber.disabled_at is not None
    assert Delivery.objects.get().status == DeliveryStatus.PERMANENT


@pytest.mark.parametrize(("status", "code"), [(503, 20500), (429, 20429)])
def test_twilio_throttling_and_outages_are_retried(
    twilio, provider_server, page, declare, status, code
):
    subscriber = subscribe(page, "+14155550100", channel="sms")
    provider_server.fail["+14155550100"] = (status, code)
    declare()
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 1)
    assert delivery.next_attempt_at > timezone.now()
    subscriber.refresh_from_db()
    assert subscriber.disabled_at is None

    # The provider recovers; the retry comes due and goes out once.
    del provider_server.fail["+14155550100"]
    Delivery.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    assert services.deliver([delivery.id]) == 1
    assert services.deliver([delivery.id]) == 0
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SENT, 2)
    assert len(provider_server.accepted("twilio")) == 1


def test_whatsapp_rate_limits_are_retried(cloud, provider_server, page, declare):
    subscribe(page, "+447700900123", channel="whatsapp")
    provider_server.fail["+447700900123"] = (400, 130429)
    declare()
    assert Delivery.objects.get().status == DeliveryStatus.FAILED


def test_wrong_credentials_fail_permanently_without_disabling(
    twilio, provider_server, page, declare
):
    provider_server.twilio[SID] = "another-token"
    subscriber = subscribe(page, "+14155550100", channel="sms")
    declare()
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.PERMANENT
    assert "error 20003" in delivery.last_error
    subscriber.refresh_from_db()
    assert subscriber.disabled_at is None


def test_without_a_provider_deliveries_say_why(provider_server, page, declare):
    subscribe(page, "+447700900123", channel="whatsapp")
    declare()
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.PERMANENT
    assert delivery.last_error == "no WhatsApp provider is configured for this organization"
    assert provider_server.received == []


def test_another_organizations_provider_is_never_used(
    twilio, provider_server, other_page, django_capture_on_commit_callbacks
):
    subscribe(other_page, "+14155550100", channel="sms")
    with django_capture_on_commit_callbacks(execute=True):
        create_incident(page=other_page, title="Globex is down")
    assert provider_server.received == []
    assert "no SMS provider" in Delivery.objects.get().last_error


def test_tokens_are_stored_encrypted(twilio, cloud):
    config = ProviderConfig.objects.get()
    assert TOKEN not in config.twilio_auth_token
    assert WA_TOKEN not in config.whatsapp_access_token
    assert config.secret("twilio_auth_token") == TOKEN
    assert config.secret("whatsapp_access_token") == WA_TOKEN
