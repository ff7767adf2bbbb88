"""What valid SMS and WhatsApp provider settings look like: each field's form, and which
fields need which others. The dashboard's form and the API both check through here."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from upstate.lib.errors import InvalidInput
from upstate.notifications.models import ProviderConfig, WhatsAppVia
from upstate.subscribers.services import E164

TWILIO_SID = re.compile(r"^AC[0-9a-fA-F]{32}$")
MESSAGING_SERVICE = re.compile(r"^MG[0-9a-fA-F]{32}$")
PHONE_NUMBER_ID = re.compile(r"^\d{5,32}$")
TEMPLATE_NAME = re.compile(r"^[a-z0-9_]{1,512}$")
LANGUAGE = re.compile(r"^[a-z]{2,3}(_[A-Z]{2})?$")
SECRET_FIELDS = ("twilio_auth_token", "whatsapp_access_token")
MAX_LENGTHS = {
    "twilio_account_sid": 34,
    "twilio_auth_token": 512,
    "twilio_sms_from": 34,
    "twilio_whatsapp_from": 16,
    "whatsapp_via": 8,
    "whatsapp_phone_number_id": 32,
    "whatsapp_access_token": 512,
    "whatsapp_template": 512,
    "whatsapp_template_language": 16,
}
FIELDS = tuple(MAX_LENGTHS)


def _number(value: str) -> str:
    return re.sub(r"[\s().-]", "", value)


def _matching(pattern: re.Pattern, reason: str) -> Callable[[str], str]:
    def check(value: str) -> str:
        if value and not pattern.match(value):
            raise ValueError(reason)
        return value

    return check


def _sms_from(value: str) -> str:
    value = _number(value)
    if value and not (E164.match(value) or MESSAGING_SERVICE.match(value)):
        raise ValueError(
            "must be a number in E.164 form (+14155550100) or a Messaging Service SID (MG...)"
        )
    return value


def _whatsapp_from(value: str) -> str:
    value = _number(value)
    if value and not E164.match(value):
        raise ValueError("must be a number in E.164 form, e.g. +14155550100")
    return value


def _via(value: str) -> str:
    if value and value not in WhatsAppVia.values:
        raise ValueError(f"must be one of {', '.join(WhatsAppVia.values)} (or empty)")
    return value


_CHECKS: dict[str, Callable[[str], str]] = {
    "twilio_account_sid": _matching(TWILIO_SID, "must be AC followed by 32 hex digits"),
    "twilio_sms_from": _sms_from,
    "twilio_whatsapp_from": _whatsapp_from,
    "whatsapp_via": _via,
    "whatsapp_phone_number_id": _matching(PHONE_NUMBER_ID, "must be digits"),
    "whatsapp_template": _matching(
        TEMPLATE_NAME, "must be a template name: lowercase letters, digits and underscores"
    ),
    "whatsapp_template_language": _matching(LANGUAGE, "must look like en or en_US"),
}


def clean_field(name: str, value: str | None) -> str:
    """The field's value as stored (numbers without spaces and dashes); InvalidInput names
    the field and the reason."""
    value = (value or "").strip()
    if len(value) > MAX_LENGTHS[name]:
        raise InvalidInput(name, f"must be at most {MAX_LENGTHS[name]} characters")
    check = _CHECKS.get(name)
    try:
        value = check(value) if check else value
    except ValueError as exc:
        raise InvalidInput(name, str(exc)) from None
    if name == "whatsapp_template_language":
        return value or "en"
    return value


def problems(settings: Mapping[str, str], config: ProviderConfig) -> list[tuple[str, str]]:
    """(field, reason) for every field that another one needs; `settings` holds the cleaned
    values, and an empty secret means the stored one stays."""

    def has(secret: str) -> bool:
        return bool(settings.get(secret) or getattr(config, secret))

    found = []
    sid = settings.get("twilio_account_sid")
    if sid and not has("twilio_auth_token"):
        found.append(("twilio_auth_token", "is needed with an Account SID"))
    if (settings.get("twilio_sms_from") or settings.get("twilio_whatsapp_from")) and not sid:
        found.append(("twilio_account_sid", "is needed to send through Twilio"))
    via = settings.get("whatsapp_via")
    if via == WhatsAppVia.TWILIO and not settings.get("twilio_whatsapp_from"):
        found.append(("twilio_whatsapp_from", "is needed to send WhatsApp through Twilio"))
    if via == WhatsAppVia.CLOUD:
        if not settings.get("whatsapp_phone_number_id"):
            found.append(("whatsapp_phone_number_id", "is needed for the WhatsApp Cloud API"))
        if not has("whatsapp_access_token"):
            found.append(("whatsapp_access_token", "is needed for the WhatsApp Cloud API"))
    return found
