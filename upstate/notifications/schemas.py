"""What the API shows of notifications: each event sent about an incident, and every copy of
it (a delivery) with its attempts, as the dashboard's delivery log shows them."""

from __future__ import annotations

from ninja import Schema

from upstate.api.fields import Line, PatchSchema, Timestamp
from upstate.notifications.models import (
    Attempt,
    Delivery,
    DeliveryStatus,
    Event,
    EventKind,
    ProviderConfig,
)
from upstate.subscribers.models import Channel


class NotificationOut(Schema):
    id: str
    kind: EventKind
    state: str
    recipients: int
    # Copies by delivery status (pending, sending, sent, failed, permanent).
    deliveries: dict[str, int]
    created_at: Timestamp
    fanned_out_at: Timestamp | None

    @staticmethod
    def resolve_id(event: Event) -> str:
        return event.code

    @staticmethod
    def resolve_deliveries(event: Event) -> dict[str, int]:
        return getattr(event, "counts", {})


class AttemptOut(Schema):
    at: Timestamp
    permanent: bool
    error: str
    response: str


class DeliveryOut(Schema):
    id: str
    notification_id: str
    kind: EventKind
    # What it was about: an incident or a maintenance.
    incident_id: str | None
    maintenance_id: str | None
    # A subscriber's copy (subscriber_id), or a page to a responder (responder_email).
    subscriber_id: str | None
    responder_email: str | None
    channel: Channel
    address: str
    status: DeliveryStatus
    attempts: int
    sent_at: Timestamp | None
    last_error: str
    response: str
    failures: list[AttemptOut]
    created_at: Timestamp

    @staticmethod
    def resolve_id(delivery: Delivery) -> str:
        return delivery.code

    @staticmethod
    def resolve_notification_id(delivery: Delivery) -> str:
        return delivery.event.code

    @staticmethod
    def resolve_kind(delivery: Delivery) -> str:
        return delivery.event.kind

    @staticmethod
    def resolve_incident_id(delivery: Delivery) -> str | None:
        return delivery.event.incident.code if delivery.event.incident_id else None

    @staticmethod
    def resolve_maintenance_id(delivery: Delivery) -> str | None:
        return delivery.event.maintenance.code if delivery.event.maintenance_id else None

    @staticmethod
    def resolve_subscriber_id(delivery: Delivery) -> str | None:
        return delivery.subscriber.code if delivery.subscriber_id else None

    @staticmethod
    def resolve_responder_email(delivery: Delivery) -> str | None:
        return delivery.member.user.email if delivery.member_id else None

    @staticmethod
    def resolve_address(delivery: Delivery) -> str:
        return delivery.target_address

    @staticmethod
    def resolve_failures(delivery: Delivery) -> list[Attempt]:
        return list(delivery.failures.all())


class ProvidersPatch(PatchSchema):
    """Only the fields sent change. Secrets are write-only: an empty one keeps what is stored;
    an empty Account SID (or no `whatsapp_via`) forgets the secret that went with it."""

    twilio_account_sid: Line | None = None
    twilio_auth_token: Line | None = None
    twilio_sms_from: Line | None = None
    twilio_whatsapp_from: Line | None = None
    whatsapp_via: Line | None = None
    whatsapp_phone_number_id: Line | None = None
    whatsapp_access_token: Line | None = None
    whatsapp_template: Line | None = None
    whatsapp_template_language: Line | None = None


class ProvidersOut(Schema):
    twilio_account_sid: str
    twilio_auth_token_set: bool
    twilio_sms_from: str
    twilio_whatsapp_from: str
    whatsapp_via: str
    whatsapp_phone_number_id: str
    whatsapp_access_token_set: bool
    whatsapp_template: str
    whatsapp_template_language: str
    # The phone channels subscribers and responders can be reached on with these settings.
    ready_channels: list[Channel]

    @staticmethod
    def resolve_twilio_auth_token_set(config: ProviderConfig) -> bool:
        return bool(config.twilio_auth_token)

    @staticmethod
    def resolve_whatsapp_access_token_set(config: ProviderConfig) -> bool:
        return bool(config.whatsapp_access_token)
