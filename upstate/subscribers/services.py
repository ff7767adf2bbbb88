"""State changes of subscribers: subscribe, confirm, choose components, unsubscribe."""

from __future__ import annotations

import re
from typing import Any

from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from upstate.audit.services import record
from upstate.lib import text as accepted_text
from upstate.lib.errors import InvalidInput
from upstate.pages.models import Component, StatusPage
from upstate.pages.services import on_page
from upstate.public.links import page_url
from upstate.subscribers.models import Channel, Subscriber

E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
CONFIRM_SALT = "upstate.subscribers.confirm"
CONFIRM_MAX_AGE = 7 * 24 * 3600
_url = URLValidator(schemes=["http", "https"])


def clean_address(channel: Channel, value: Any) -> str:
    """The address in its stored form, or InvalidInput("address", ...)."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput("address", "must not be empty")
    value = value.strip()
    if len(value) > 500:
        raise InvalidInput("address", "must be at most 500 characters")
    # URL validation lets control characters through the path; CSV imports arrive here only.
    if (reason := accepted_text.problem(value)) is not None:
        raise InvalidInput("address", reason)
    if channel == Channel.EMAIL:
        try:
            validate_email(value)
        except ValidationError as exc:
            raise InvalidInput("address", "must be an email address") from exc
        local, _, domain = value.rpartition("@")
        return f"{local}@{domain.lower()}"
    if channel.is_url:
        try:
            _url(value)
        except ValidationError as exc:
            raise InvalidInput("address", "must be an http or https URL") from exc
        return value
    compact = re.sub(r"[\s().-]", "", value)
    if not E164.match(compact):
        raise InvalidInput("address", "must be a phone number in E.164 form, e.g. +14155550100")
    return compact


def _channel(value: Any) -> Channel:
    if value not in Channel.values:
        raise InvalidInput("channel", f"must be one of {', '.join(Channel.values)}")
    return Channel(value)


@transaction.atomic
def create_subscriber(
    *,
    page: StatusPage,
    channel: str,
    address: str,
    components: list[Component] | None = None,
    confirmed: bool = False,
) -> Subscriber:
    """Subscribe an address. Email, SMS and WhatsApp subscribers stay unconfirmed (and get
    nothing but the confirmation message) unless `confirmed`; the URL channels are active at
    once."""
    kind = _channel(channel)
    address = clean_address(kind, address)
    components = on_page(page, components or [])
    needs_confirmation = kind.needs_opt_in and not confirmed
    if needs_confirmation and kind not in offered_channels(page):
        raise InvalidInput(
            "channel",
            f"{kind.label} is not available: the organization has no {kind.label} provider"
            " (an admin sets one up under Notification providers)",
        )
    if Subscriber.objects.filter(page=page, channel=kind, address=address).exists():
        raise InvalidInput("address", "is already subscribed to this page")
    try:
        with transaction.atomic():
            subscriber = Subscriber.objects.create(
                page=page,
                channel=kind,
                address=address,
                confirmed_at=None if needs_confirmation else timezone.now(),
            )
    except IntegrityError as exc:  # a concurrent identical request won
        raise InvalidInput("address", "is already subscribed to this page") from exc
    subscriber.components.set(components)
    record(
        org=page.org_id,
        action="subscriber.created",
        target=subscriber,
        details={"channel": kind.value},
    )
    if needs_confirmation:
        request_confirmation(subscriber=subscriber)
    return subscriber


def offered_channels(page: StatusPage) -> list[Channel]:
    """The channels anyone can subscribe with: SMS and WhatsApp only when the organization has
    a provider to send the confirmation text (and then the updates) with."""
    from upstate.notifications.providers import ready_channels

    ready = ready_channels(page.org_id)
    return [channel for channel in Channel if not channel.is_phone or channel in ready]


def request_confirmation(*, subscriber: Subscriber) -> None:
    """Send the double opt-in message (an email, or a text to a phone) from the worker, once
    this transaction commits."""
    from upstate.subscribers.tasks import send_confirmation

    transaction.on_commit(lambda: send_confirmation(subscriber.id), robust=True)


def confirmation_token(subscriber: Subscriber) -> str:
    return signing.dumps(subscriber.code, salt=CONFIRM_SALT, compress=False)


def confirmation_url(subscriber: Subscriber) -> str:
    return f"{page_url(subscriber.page)}/subscribe/confirm/{confirmation_token(subscriber)}"


def manage_url(subscriber: Subscriber) -> str:
    return f"{page_url(subscriber.page)}/subscription/{subscriber.token}"


def unsubscribe_url(subscriber: Subscriber) -> str:
    return f"{page_url(subscriber.page)}/unsubscribe/{subscriber.token}"


def subscriber_for_confirmation(page: StatusPage, token: str) -> Subscriber | None:
    """The subscriber a confirmation link names, if it is authentic and not expired."""
    try:
        code = signing.loads(token, salt=CONFIRM_SALT, max_age=CONFIRM_MAX_AGE)
    except signing.BadSignature:
        return None
    return Subscriber.objects.filter(page=page, code=code).first()


@transaction.atomic
def confirm_subscriber(*, subscriber: Subscriber) -> Subscriber:
    if subscriber.confirmed_at is None:
        Subscriber.objects.filter(id=subscriber.id, confirmed_at__isnull=True).update(
            confirmed_at=timezone.now()
        )
        subscriber.refresh_from_db()
        record(org=subscriber.page.org_id, action="subscriber.confirmed", target=subscriber)
    return subscriber


@transaction.atomic
def set_components(*, subscriber: Subscriber, components: list[Component]) -> Subscriber:
    """Limit the subscription to `components` (an empty list: the whole page)."""
    subscriber.components.set(on_page(subscriber.page, components))
    record(
        org=subscriber.page.org_id,
        action="subscriber.changed",
        target=subscriber,
        details={"components": sorted(c.code for c in components)},
    )
    return subscriber


@transaction.atomic
def unsubscribe(*, subscriber: Subscriber) -> None:
    """Forget the subscriber (its pending deliveries go with it)."""
    record(
        org=subscriber.page.org_id,
        action="subscriber.deleted",
        target=subscriber,
        details={"channel": subscriber.channel},
    )
    subscriber.delete()


@transaction.atomic
def disable_subscriber(*, subscriber_id: int, reason: str) -> None:
    """Stop sending to an address its provider called permanently invalid."""
    updated = Subscriber.objects.filter(id=subscriber_id, disabled_at__isnull=True).update(
        disabled_at=timezone.now(), disabled_reason=reason[:500]
    )
    subscriber = Subscriber.objects.select_related("page").filter(id=subscriber_id).first()
    if updated and subscriber is not None:
        record(
            org=subscriber.page.org_id,
            action="subscriber.disabled",
            target=subscriber,
            details={"reason": reason[:200]},
        )


@transaction.atomic
def enable_subscriber(*, subscriber: Subscriber) -> Subscriber:
    subscriber.disabled_at = None
    subscriber.disabled_reason = ""
    subscriber.save(update_fields=["disabled_at", "disabled_reason", "updated_at"])
    record(org=subscriber.page.org_id, action="subscriber.enabled", target=subscriber)
    return subscriber


@transaction.atomic
def import_subscribers(*, page: StatusPage, rows: list[Any], confirmed: bool) -> list[Subscriber]:
    """Create the checked rows of an import (upstate.subscribers.csvfile.ImportRow), all or
    none. Email, SMS and WhatsApp subscribers get the confirmation message unless `confirmed`
    (admins only: the caller checks the role); the URL channels are active at once."""
    now = timezone.now()
    subscribers = Subscriber.objects.bulk_create(
        [
            Subscriber(
                page=page,
                channel=row.channel,
                address=row.address,
                confirmed_at=None if Channel(row.channel).needs_opt_in and not confirmed else now,
            )
            for row in rows
        ]
    )
    links = Subscriber.components.through
    links.objects.bulk_create(
        [
            links(subscriber_id=s.id, component_id=c.id)
            for s, row in zip(subscribers, rows, strict=True)
            for c in row.components
        ]
    )
    record(
        org=page.org_id,
        action="subscribers.imported",
        target=page,
        details={"count": len(subscribers), "confirmed": confirmed},
    )
    pending = [s.id for s in subscribers if s.confirmed_at is None]
    if pending:
        transaction.on_commit(lambda: _send_confirmations(pending), robust=True)
    return subscribers


def _send_confirmations(ids: list[int]) -> None:
    from upstate.subscribers.tasks import CONFIRMATION_BATCH, send_confirmations

    for start in range(0, len(ids), CONFIRMATION_BATCH):
        send_confirmations(ids[start : start + CONFIRMATION_BATCH])
