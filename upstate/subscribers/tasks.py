from __future__ import annotations

import logging
from email.utils import formataddr, parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string
from huey.contrib.djhuey import db_task

from upstate.lib.outbound import Outbound
from upstate.public.links import page_url
from upstate.subscribers.models import Channel, Subscriber

log = logging.getLogger(__name__)


def confirmation_email(subscriber: Subscriber) -> EmailMultiAlternatives:
    """The double opt-in email for `subscriber` (also shown in the dashboard's previews)."""
    from upstate.subscribers.services import confirmation_url

    page = subscriber.page
    context = {
        "page": page,
        "page_url": page_url(page),
        "confirm_url": confirmation_url(subscriber),
        "address": subscriber.address,
    }
    subject = " ".join(render_to_string("subscribers/email/confirm_subject.txt", context).split())
    _, sender = parseaddr(settings.DEFAULT_FROM_EMAIL)
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("subscribers/email/confirm.txt", context),
        from_email=formataddr((page.name, sender)),
        to=[subscriber.address],
        headers={"Auto-Submitted": "auto-generated"},
    )
    message.attach_alternative(
        render_to_string("subscribers/email/confirm.html", context), "text/html"
    )
    return message


def confirmation_text(subscriber: Subscriber) -> str:
    """The double opt-in text to a phone: short, since SMS is billed by the segment."""
    from upstate.subscribers.services import confirmation_url

    return (
        f"{subscriber.page.name}: confirm status updates by {subscriber.get_channel_display()}"
        f" at {confirmation_url(subscriber)} (ignore this if you did not ask for them)"
    )


def _text(subscriber: Subscriber) -> bool:
    from upstate.notifications.providers import sender_for
    from upstate.notifications.transports import TransportError

    sender = sender_for(subscriber.page.org_id, subscriber.channel)
    if sender is None:
        log.warning("no %s provider to confirm subscriber %s", subscriber.channel, subscriber.code)
        return False
    with Outbound(allow_private=settings.ALLOW_PRIVATE_TARGETS) as http:
        try:
            sender.send(http, subscriber.address, confirmation_text(subscriber))
        except TransportError as exc:
            if not exc.permanent:
                raise  # huey retries
            log.warning("confirmation to subscriber %s refused: %s", subscriber.code, exc)
            return False
    return True


@db_task(retries=3, retry_delay=30)
def send_confirmation(subscriber_id: int) -> bool:
    """The double opt-in message (an email, or a text to a phone); nothing else goes to the
    address until its link is opened."""
    subscriber = Subscriber.objects.select_related("page").filter(id=subscriber_id).first()
    if subscriber is None or subscriber.confirmed_at is not None:
        return False
    if Channel(subscriber.channel).is_phone:
        return _text(subscriber)
    confirmation_email(subscriber).send()
    return True


CONFIRMATION_BATCH = 200


@db_task(retries=3, retry_delay=30)
def send_confirmations(subscriber_ids: list[int]) -> int:
    """Confirmation messages for an import, the emails on one SMTP connection; those
    confirmed meanwhile are skipped. A retry after a failure resends the batch's
    still-unconfirmed addresses."""
    subscribers = Subscriber.objects.select_related("page").filter(
        id__in=subscriber_ids, confirmed_at__isnull=True
    )
    phones = [s for s in subscribers if Channel(s.channel).is_phone]
    for subscriber in phones:
        send_confirmation(subscriber.id)  # one task each: a failed text retries alone
    messages = [confirmation_email(s) for s in subscribers if s not in phones]
    with get_connection(fail_silently=False) as connection:
        return connection.send_messages(messages) or 0
