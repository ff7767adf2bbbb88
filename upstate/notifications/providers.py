"""SMS and WhatsApp providers: Twilio's Messages API (SMS and WhatsApp) and Meta's WhatsApp
Cloud API. A sender sends one text to one E.164 number and judges the provider's answer:
a number the provider calls permanently invalid raises a disabling `TransportError`, a
rate limit or a server error a retryable one."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings

from upstate.lib.outbound import Answer, Outbound, OutboundError
from upstate.lib.secretbox import SecretUnreadable
from upstate.notifications.models import ProviderConfig, WhatsAppVia
from upstate.notifications.transports import TransportError
from upstate.subscribers.models import Channel

# Twilio error codes meaning the number itself cannot receive messages
# (https://www.twilio.com/docs/api/errors): invalid "To", not a mobile number, unreachable
# by the carrier, the recipient replied STOP, not a WhatsApp user.
TWILIO_DEAD_NUMBER = frozenset({21211, 21214, 21217, 21401, 21407, 21610, 21614, 63003, 63024})
# WhatsApp Cloud API error codes for a recipient that cannot be reached on WhatsApp
# (https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes): the
# number is not on WhatsApp (or cannot take the message), or it is our own sender.
WHATSAPP_DEAD_NUMBER = frozenset({131021, 131026})
# Throttling and temporary trouble on Meta's side: retried.
WHATSAPP_TRANSIENT = frozenset({4, 80007, 130429, 131000, 131016, 131048, 131056, 133004})


def _json(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _post(http: Outbound, url: str, **kwargs: Any) -> Answer:
    try:
        return http.post(url, **kwargs)
    except OutboundError as exc:
        raise TransportError(str(exc), permanent=exc.permanent) from exc


def _retryable(status: int) -> bool:
    return status in (408, 425, 429) or status >= 500


class TwilioSender:
    name = "Twilio"

    def __init__(self, *, account_sid: str, auth_token: str, sender: str, whatsapp: bool) -> None:
        self.account_sid, self.auth_token = account_sid, auth_token
        self.sender, self.whatsapp = sender, whatsapp

    def _address(self, number: str) -> str:
        return f"whatsapp:{number}" if self.whatsapp else number

    def send(self, http: Outbound, to: str, text: str) -> str:
        url = f"{settings.TWILIO_API_URL}/2010-04-01/Accounts/{self.account_sid}/Messages.json"
        form = {"To": self._address(to), "Body": text[:1600]}
        # A Messaging Service SID (MG...) lets Twilio pick the sender from its pool.
        if self.sender.startswith("MG"):
            form["MessagingServiceSid"] = self.sender
        else:
            form["From"] = self._address(self.sender)
        answer = _post(http, url, data=form, auth=(self.account_sid, self.auth_token))
        body = _json(answer.text)
        if answer.ok:
            return f"{answer.status} {body.get('sid', '')} {body.get('status', '')}".strip()
        code = body.get("code")
        message = f"Twilio {answer.status} (error {code}): {body.get('message', answer.text)}"
        response = f"{answer.status} {answer.text}"
        if code in TWILIO_DEAD_NUMBER:
            raise TransportError(message, disable=True, response=response)
        if _retryable(answer.status):
            raise TransportError(message, response=response)
        raise TransportError(message, permanent=True, response=response)


class WhatsAppCloudSender:
    name = "WhatsApp Cloud API"

    def __init__(
        self, *, phone_number_id: str, access_token: str, template: str, language: str
    ) -> None:
        self.phone_number_id, self.access_token = phone_number_id, access_token
        self.template, self.language = template, language or "en"

    def payload(self, to: str, text: str) -> dict[str, Any]:
        message: dict[str, Any] = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": to.lstrip("+"),
        }
        if self.template:
            # Business-initiated messages outside a 24-hour conversation need an approved
            # template; ours has one body variable that takes the whole text.
            message["type"] = "template"
            message["template"] = {
                "name": self.template,
                "language": {"code": self.language},
                "components": [
                    {"type": "body", "parameters": [{"type": "text", "text": text[:1024]}]}
                ],
            }
        else:
            message["type"] = "text"
            message["text"] = {"preview_url": False, "body": text[:4096]}
        return message

    def send(self, http: Outbound, to: str, text: str) -> str:
        url = f"{settings.WHATSAPP_API_URL}/{self.phone_number_id}/messages"
        headers = {"Authorization": f"Bearer {self.access_token}"}
        answer = _post(http, url, json=self.payload(to, text), headers=headers)
        body = _json(answer.text)
        if answer.ok:
            ids = [m.get("id", "") for m in body.get("messages", []) if isinstance(m, dict)]
            return f"{answer.status} {' '.join(ids)}".strip()
        error = body.get("error") if isinstance(body.get("error"), dict) else {}
        code = error.get("code")
        message = f"WhatsApp {answer.status} (error {code}): {error.get('message', answer.text)}"
        response = f"{answer.status} {answer.text}"
        if code in WHATSAPP_DEAD_NUMBER:
            raise TransportError(message, disable=True, response=response)
        if code in WHATSAPP_TRANSIENT or _retryable(answer.status):
            raise TransportError(message, response=response)
        raise TransportError(message, permanent=True, response=response)


Sender = TwilioSender | WhatsAppCloudSender


def ready_channels(org_id: int) -> set[Channel]:
    """The phone channels the organization has a provider for."""
    config = ProviderConfig.objects.filter(org_id=org_id).first()
    return set(config.ready_channels) if config is not None else set()


def sender_for(org_id: int, channel: str) -> Sender | None:
    """The organization's sender for `channel` ("sms" or "whatsapp"); None when it has none
    configured (or its secrets cannot be read)."""
    config = ProviderConfig.objects.filter(org_id=org_id).first()
    if config is None:
        return None
    try:
        if channel == Channel.SMS and config.sms_ready:
            return _twilio(config, config.twilio_sms_from, whatsapp=False)
        if channel == Channel.WHATSAPP and config.whatsapp_ready:
            if config.whatsapp_via == WhatsAppVia.TWILIO:
                return _twilio(config, config.twilio_whatsapp_from, whatsapp=True)
            return WhatsAppCloudSender(
                phone_number_id=config.whatsapp_phone_number_id,
                access_token=config.secret("whatsapp_access_token"),
                template=config.whatsapp_template,
                language=config.whatsapp_template_language,
            )
    except SecretUnreadable:
        return None
    return None


def _twilio(config: ProviderConfig, sender: str, *, whatsapp: bool) -> TwilioSender:
    return TwilioSender(
        account_sid=config.twilio_account_sid,
        auth_token=config.secret("twilio_auth_token"),
        sender=sender,
        whatsapp=whatsapp,
    )
