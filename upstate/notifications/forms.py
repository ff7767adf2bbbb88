"""The organization's SMS and WhatsApp providers, as admins fill them in."""

from __future__ import annotations

import re
from typing import Any

from django import forms

from upstate.lib.secretbox import SecretUnreadable, hint
from upstate.notifications.models import ProviderConfig, WhatsAppVia
from upstate.subscribers.services import E164

TWILIO_SID = re.compile(r"^AC[0-9a-fA-F]{32}$")
MESSAGING_SERVICE = re.compile(r"^MG[0-9a-fA-F]{32}$")
TEMPLATE_NAME = re.compile(r"^[a-z0-9_]{1,512}$")
LANGUAGE = re.compile(r"^[a-z]{2,3}(_[A-Z]{2})?$")
SECRETS = ("twilio_auth_token", "whatsapp_access_token")
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


class ProviderForm(forms.Form):
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

    def _check(self, name: str, pattern: re.Pattern, reason: str) -> str:
        value = self.cleaned_data.get(name, "")
        if value and not pattern.match(value):
            raise forms.ValidationError(reason)
        return value

    def clean_twilio_account_sid(self) -> str:
        return self._check("twilio_account_sid", TWILIO_SID, "must be AC followed by 32 hex digits")

    def clean_twilio_sms_from(self) -> str:
        value = re.sub(r"[\s().-]", "", self.cleaned_data.get("twilio_sms_from", ""))
        if value and not (E164.match(value) or MESSAGING_SERVICE.match(value)):
            raise forms.ValidationError(
                "must be a number in E.164 form (+14155550100) or a Messaging Service SID (MG...)"
            )
        return value

    def clean_twilio_whatsapp_from(self) -> str:
        value = re.sub(r"[\s().-]", "", self.cleaned_data.get("twilio_whatsapp_from", ""))
        if value and not E164.match(value):
            raise forms.ValidationError("must be a number in E.164 form, e.g. +14155550100")
        return value

    def clean_whatsapp_phone_number_id(self) -> str:
        return self._check("whatsapp_phone_number_id", re.compile(r"^\d{5,32}$"), "must be digits")

    def clean_whatsapp_template(self) -> str:
        reason = "must be a template name: lowercase letters, digits and underscores"
        return self._check("whatsapp_template", TEMPLATE_NAME, reason)

    def clean_whatsapp_template_language(self) -> str:
        value = self._check("whatsapp_template_language", LANGUAGE, "must look like en or en_US")
        return value or "en"

    def _has(self, secret: str) -> bool:
        return bool(self.cleaned_data.get(secret) or getattr(self.config, secret))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        sid = data.get("twilio_account_sid")
        if sid and not self._has("twilio_auth_token"):
            self.add_error("twilio_auth_token", "is needed with an Account SID")
        if (data.get("twilio_sms_from") or data.get("twilio_whatsapp_from")) and not sid:
            self.add_error("twilio_account_sid", "is needed to send through Twilio")
        via = data.get("whatsapp_via")
        if via == WhatsAppVia.TWILIO and not data.get("twilio_whatsapp_from"):
            self.add_error("twilio_whatsapp_from", "is needed to send WhatsApp through Twilio")
        if via == WhatsAppVia.CLOUD:
            if not data.get("whatsapp_phone_number_id"):
                self.add_error("whatsapp_phone_number_id", "is needed for the WhatsApp Cloud API")
            if not self._has("whatsapp_access_token"):
                self.add_error("whatsapp_access_token", "is needed for the WhatsApp Cloud API")
        return data
