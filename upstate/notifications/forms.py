"""The organization's SMS and WhatsApp providers, as admins fill them in."""

from __future__ import annotations

from typing import Any

from django import forms

from upstate.dashboard.formtext import AcceptedText
from upstate.lib.errors import InvalidInput
from upstate.lib.secretbox import SecretUnreadable, hint
from upstate.notifications import provider_rules
from upstate.notifications.models import ProviderConfig, WhatsAppVia
from upstate.notifications.provider_rules import SECRET_FIELDS as SECRETS

KEEP = "Leave empty to keep the stored one."


def _secret_field(label: str, help_text: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=512,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=help_text,
    )


class ProviderForm(AcceptedText, forms.Form):
    twilio_account_sid = forms.CharField(
        label="Twilio Account SID",
        required=False,
        max_length=34,
        help_text="Starts with AC; on the Twilio Console's home page. Empty: no Twilio.",
    )
    twilio_auth_token = _secret_field(
        "Twilio Auth Token",
        "Next to the Account SID in the Twilio Console. Stored encrypted; never shown again.",
    )
    twilio_sms_from = forms.CharField(
        label="SMS sender",
        required=False,
        max_length=34,
        help_text="A Twilio number in E.164 form (+14155550100) or a Messaging Service SID "
        "(MG...). Empty: no SMS.",
    )
    twilio_whatsapp_from = forms.CharField(
        label="Twilio WhatsApp sender",
        required=False,
        max_length=16,
        help_text="Your WhatsApp-enabled Twilio number in E.164 form; only when WhatsApp goes "
        "through Twilio.",
    )
    whatsapp_via = forms.ChoiceField(
        label="Send WhatsApp through",
        required=False,
        choices=[("", "Nobody (no WhatsApp)"), *WhatsAppVia.choices],
        help_text="Meta's WhatsApp Cloud API directly, or Twilio's WhatsApp sender.",
    )
    whatsapp_phone_number_id = forms.CharField(
        label="WhatsApp phone number ID",
        required=False,
        max_length=32,
        help_text="In Meta's App Dashboard under WhatsApp → API Setup (digits, not the number).",
    )
    whatsapp_access_token = _secret_field(
        "WhatsApp access token",
        "A permanent System User token with whatsapp_business_messaging. Stored encrypted; "
        "never shown again.",
    )
    whatsapp_template = forms.CharField(
        label="WhatsApp message template",
        required=False,
        max_length=512,
        help_text="An approved template with one body variable ({{1}}) that receives the "
        "message. Empty: plain text, which WhatsApp delivers only within 24 hours of the "
        "recipient's last message.",
    )
    whatsapp_template_language = forms.CharField(
        label="Template language",
        required=False,
        max_length=16,
        initial="en",
        help_text="The template's language code, e.g. en or en_US.",
    )

    def __init__(self, *args: Any, config: ProviderConfig, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.config = config
        for name in SECRETS:
            stored = bool(getattr(config, name))
            if stored:
                try:
                    shown = f"{hint(config.secret(name))} (stored)"
                except SecretUnreadable:
                    shown = "stored under another secret key: enter it again"
                self.fields[name].widget.attrs["placeholder"] = shown
                self.fields[name].help_text += f" {KEEP}"

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for name in provider_rules.FIELDS:
            if name in data:
                try:
                    data[name] = provider_rules.clean_field(name, data[name])
                except InvalidInput as exc:
                    self.add_error(name, exc.message)
        for field, reason in provider_rules.problems(data, self.config):
            self.add_error(field, reason)
        return data
