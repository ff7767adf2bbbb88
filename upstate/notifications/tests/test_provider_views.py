"""Dashboard "Notification providers": admins only, secrets stored encrypted and never
shown back, bad input named per field."""

from __future__ import annotations

import pytest

from upstate.notifications.models import ProviderConfig
from upstate.notifications.services import configure_providers

BASE = "/dashboard/acme/providers/"
SID = "AC" + "0123456789abcdef" * 2
TOKEN = "auth-token-abcdefgh-5678"


def _as(client, persona):
    client.force_login(persona.user)
    return client


def _form(**changes):
    return {
        "twilio_account_sid": SID,
        "twilio_auth_token": TOKEN,
        "twilio_sms_from": "+1 (500) 555-0006",
        "twilio_whatsapp_from": "",
        "whatsapp_via": "",
        "whatsapp_phone_number_id": "",
        "whatsapp_access_token": "",
        "whatsapp_template": "",
        "whatsapp_template_language": "en",
        **changes,
    }


def test_an_admin_saves_twilio_and_the_token_is_never_shown_back(client, owner):
    response = _as(client, owner).post(BASE, _form())
    assert response.status_code == 302
    config = ProviderConfig.objects.get(org=owner.org)
    assert config.twilio_sms_from == "+15005550006"
    assert config.secret("twilio_auth_token") == TOKEN
    assert TOKEN not in config.twilio_auth_token

    page = client.get(BASE)
    assert page.status_code == 200
    assert TOKEN.encode() not in page.content
    assert "••••5678 (stored)".encode() in page.content
    assert b"through Twilio" in page.content


def test_an_empty_secret_keeps_the_stored_one(client, owner):
    configure_providers(org=owner.org, twilio_account_sid=SID, twilio_auth_token=TOKEN)
    response = _as(client, owner).post(BASE, _form(twilio_auth_token=""))
    assert response.status_code == 302
    assert ProviderConfig.objects.get().secret("twilio_auth_token") == TOKEN


def test_removing_the_account_sid_forgets_the_token(client, owner):
    configure_providers(org=owner.org, twilio_account_sid=SID, twilio_auth_token=TOKEN)
    _as(client, owner).post(BASE, _form(twilio_account_sid="", twilio_sms_from=""))
    assert ProviderConfig.objects.get().twilio_auth_token == ""


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        ({"twilio_account_sid": "AC123"}, "twilio_account_sid", "32 hex digits"),
        ({"twilio_sms_from": "0151 123"}, "twilio_sms_from", "E.164"),
        ({"twilio_auth_token": ""}, "twilio_auth_token", "is needed"),
        ({"whatsapp_via": "cloud"}, "whatsapp_phone_number_id", "is needed"),
        ({"whatsapp_via": "twilio"}, "twilio_whatsapp_from", "is needed"),
        ({"whatsapp_via": "pigeon"}, "whatsapp_via", "valid choice"),
        ({"whatsapp_template": "Status Update!"}, "whatsapp_template", "template name"),
    ],
)
def test_bad_input_names_the_field_and_saves_nothing(client, owner, changes, field, reason):
    response = _as(client, owner).post(BASE, _form(**changes))
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert field in errors, errors
    assert reason in " ".join(errors[field])
    assert not ProviderConfig.objects.exists()


def test_every_field_has_help_text(client, owner):
    form = _as(client, owner).get(BASE).context["form"]
    assert all(field.help_text for field in form.fields.values())


def test_responders_and_viewers_may_not_see_it(client, responder, viewer):
    assert _as(client, responder).get(BASE).status_code == 403
    assert _as(client, viewer).post(BASE, _form()).status_code == 403
    assert not ProviderConfig.objects.exists()


def test_outsiders_get_404_and_change_nothing(client, owner, outsider):
    configure_providers(org=owner.org, twilio_account_sid=SID, twilio_auth_token=TOKEN)
    assert _as(client, outsider).get(BASE).status_code == 404
    assert client.post(BASE, _form(twilio_auth_token="stolen")).status_code == 404
    assert ProviderConfig.objects.get(org=owner.org).secret("twilio_auth_token") == TOKEN
    own = client.get("/dashboard/globex/providers/")
    assert own.status_code == 200
    assert b"5678" not in own.content


def test_a_token_sealed_under_another_secret_key_asks_to_be_entered_again(client, owner, settings):
    configure_providers(org=owner.org, twilio_account_sid=SID, twilio_auth_token=TOKEN)
    settings.SECRET_KEY = "a-different-installation-key"
    response = _as(client, owner).get(BASE)
    assert response.status_code == 200
    assert b"enter it again" in response.content
