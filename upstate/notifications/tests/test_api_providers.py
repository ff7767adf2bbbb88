"""The SMS and WhatsApp providers through the REST API: admin keys set them, secrets go in
and never come out, the rules are the dashboard's, and each organization sees its own."""

from __future__ import annotations

import pytest

from upstate.api.tests.helpers import Api, field_errors
from upstate.notifications.models import ProviderConfig
from upstate.notifications.services import configure_providers

SID = "AC" + "0123456789abcdef" * 2
TOKEN = "auth-token-abcdefgh-5678"


def _with_twilio(org) -> None:  # noqa: ANN001
    configure_providers(
        org=org, twilio_account_sid=SID, twilio_auth_token=TOKEN, twilio_sms_from="+15005550006"
    )


def test_an_admin_sets_twilio_and_the_token_never_comes_back(client, owner):
    api = Api(client, owner)
    response = api.patch(
        "/providers",
        {
            "twilio_account_sid": SID,
            "twilio_auth_token": TOKEN,
            "twilio_sms_from": "+1 500 555 0006",
        },
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["twilio_sms_from"] == "+15005550006"
    assert body["twilio_auth_token_set"] is True
    assert body["ready_channels"] == ["sms"]
    assert TOKEN not in response.content.decode()
    assert TOKEN not in api.get("/providers").content.decode()
    config = ProviderConfig.objects.get(org=owner.org)
    assert config.secret("twilio_auth_token") == TOKEN
    assert TOKEN not in config.twilio_auth_token  # sealed at rest


def test_fields_not_sent_stay_and_an_empty_sid_forgets_the_token(client, owner):
    _with_twilio(owner.org)
    api = Api(client, owner)
    kept = api.patch("/providers", {"whatsapp_template_language": "en_US"}).json()
    assert kept["twilio_auth_token_set"] is True and kept["ready_channels"] == ["sms"]
    cleared = api.patch("/providers", {"twilio_account_sid": "", "twilio_sms_from": ""}).json()
    assert cleared["twilio_auth_token_set"] is False
    assert cleared["ready_channels"] == []


@pytest.mark.parametrize(
    "body, field",
    [
        ({"twilio_account_sid": "AC123"}, "twilio_account_sid"),
        ({"twilio_account_sid": SID}, "twilio_auth_token"),
        ({"twilio_sms_from": "+15005550006"}, "twilio_account_sid"),
        ({"whatsapp_via": "pigeon"}, "whatsapp_via"),
        (
            {"whatsapp_via": "cloud", "whatsapp_phone_number_id": "12345678"},
            "whatsapp_access_token",
        ),
        ({"whatsapp_template": "Has Spaces"}, "whatsapp_template"),
        ({"twilio_sms_from": None}, "twilio_sms_from"),
        ({"smtp_password": "x"}, "smtp_password"),
    ],
)
def test_bad_settings_are_refused_naming_the_field_and_change_nothing(client, owner, body, field):
    response = Api(client, owner).patch("/providers", body)
    assert response.status_code == 422, response.content
    assert field in field_errors(response)
    config = ProviderConfig.objects.filter(org=owner.org).first()
    assert config is None or (config.twilio_account_sid, config.whatsapp_via) == ("", "")


def test_a_responder_key_reads_but_cannot_change_providers(client, owner, responder):
    api = Api(client, responder)
    assert api.get("/providers").json()["ready_channels"] == []
    response = api.patch("/providers", {"whatsapp_template_language": "de"})
    assert response.status_code == 403
    assert not ProviderConfig.objects.exists()


def test_each_organization_sees_and_changes_its_own(client, owner, outsider):
    _with_twilio(owner.org)
    api = Api(client, outsider)
    assert api.get("/providers").json()["twilio_account_sid"] == ""
    assert api.patch("/providers", {"whatsapp_template_language": "de"}).status_code == 200
    assert ProviderConfig.objects.get(org=owner.org).whatsapp_template_language == "en"
