"""API shapes of subscribers."""

from __future__ import annotations

from typing import Annotated

from ninja import Schema
from pydantic import AfterValidator, Field, StringConstraints

from upstate.api.fields import Code, InSchema, Timestamp, _storable
from upstate.subscribers.models import Channel, Subscriber, SubscriberState

# An email address, a webhook URL or a chat webhook URL; the channel's rules check it further.
Address = Annotated[str, StringConstraints(max_length=500), AfterValidator(_storable)]


class SubscriberIn(InSchema):
    channel: Channel
    address: Address
    component_ids: list[Code] = Field(default_factory=list, max_length=100)
    # Admin keys only: import an email subscriber without double opt-in.
    confirmed: bool = False


class SubscriberOut(Schema):
    id: str
    page_id: str
    channel: Channel
    address: str
    component_ids: list[str]
    state: SubscriberState
    confirmed_at: Timestamp | None
    disabled_at: Timestamp | None
    disabled_reason: str
    # Webhooks only: the key of their X-Upstate-Signature header.
    webhook_secret: str | None
    created_at: Timestamp

    @staticmethod
    def resolve_id(subscriber: Subscriber) -> str:
        return subscriber.code

    @staticmethod
    def resolve_page_id(subscriber: Subscriber) -> str:
        return subscriber.page.code

    @staticmethod
    def resolve_component_ids(subscriber: Subscriber) -> list[str]:
        return [c.code for c in subscriber.components.all()]

    @staticmethod
    def resolve_webhook_secret(subscriber: Subscriber) -> str | None:
        return subscriber.webhook_secret if subscriber.channel == Channel.WEBHOOK else None
