from __future__ import annotations

import hashlib
import hmac
import secrets

from django.conf import settings
from django.db import models

from upstate.lib.codes import new_code
from upstate.pages.models import Component, StatusPage


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    WEBHOOK = "webhook", "Webhook"
    SLACK = "slack", "Slack"
    TEAMS = "teams", "Microsoft Teams"
    DISCORD = "discord", "Discord"
    SMS = "sms", "SMS"
    WHATSAPP = "whatsapp", "WhatsApp"

    @property
    def is_url(self) -> bool:
        return self in (Channel.WEBHOOK, Channel.SLACK, Channel.TEAMS, Channel.DISCORD)

    @property
    def is_phone(self) -> bool:
        return self in (Channel.SMS, Channel.WHATSAPP)

    @property
    def needs_opt_in(self) -> bool:
        """Whether the owner of the address must confirm it first: anyone can type someone
        else's email address or phone number, while a webhook URL is a secret of its owner."""
        return self == Channel.EMAIL or self.is_phone


class SubscriberState(models.TextChoices):
    UNCONFIRMED = "unconfirmed", "Unconfirmed"
    ACTIVE = "active", "Active"
    DISABLED = "disabled", "Disabled"


def new_token() -> str:
    return secrets.token_urlsafe(24)


def webhook_secret(code: str) -> str:
    """The key of a webhook subscriber's `X-Upstate-Signature`, derived (never stored) from
    the installation's secret key and the subscriber's code."""
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"upstate.webhook:{code}".encode(), hashlib.sha256
    ).hexdigest()
    return f"whsec_{digest[:40]}"


class Subscriber(models.Model):
    page = models.ForeignKey(StatusPage, on_delete=models.CASCADE, related_name="subscribers")
    code = models.CharField(max_length=12, unique=True, default=new_code, editable=False)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    # An email address, an http(s) URL or an E.164 phone number, by channel.
    address = models.CharField(max_length=500)
    # Empty: the whole page.
    components = models.ManyToManyField(Component, blank=True, related_name="subscribers")
    # The secret in manage and unsubscribe links.
    token = models.CharField(max_length=40, unique=True, default=new_token, editable=False)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=500, blank=True)
    # The id this object had on Atlassian Statuspage, kept by `upstate import statuspage` so
    # that importing again updates instead of duplicating; null for everything made here.
    statuspage_id = models.CharField(max_length=32, null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["page", "channel", "address"], name="one_subscription_per_address"
            ),
            models.UniqueConstraint(
                fields=["page", "statuspage_id"], name="subscriber_one_statuspage_id"
            ),
        ]
        indexes = [
            # The notification fan-out (upstate.notifications.services.fan_out) reads only
            # confirmed, enabled subscribers of one page.
            models.Index(
                fields=["page"],
                name="subscriber_reachable",
                condition=models.Q(confirmed_at__isnull=False, disabled_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel}:{self.address}"

    @property
    def state(self) -> SubscriberState:
        """Disabled wins over everything; otherwise active once confirmed."""
        if self.disabled_at is not None:
            return SubscriberState.DISABLED
        if self.confirmed_at is None:
            return SubscriberState.UNCONFIRMED
        return SubscriberState.ACTIVE

    @property
    def webhook_secret(self) -> str:
        return webhook_secret(self.code)
