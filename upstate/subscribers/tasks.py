from __future__ import annotations

from email.utils import formataddr, parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string
from huey.contrib.djhuey import db_task

from upstate.public.links import page_url
from upstate.subscribers.models import Subscriber


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


@db_task(retries=3, retry_delay=30)
def send_confirmation(subscriber_id: int) -> bool:
    """The double opt-in email; nothing else goes to the address until its link is opened."""
    subscriber = Subscriber.objects.select_related("page").filter(id=subscriber_id).first()
    if subscriber is None or subscriber.confirmed_at is not None:
        return False
    confirmation_email(subscriber).send()
    return True


CONFIRMATION_BATCH = 200


@db_task(retries=3, retry_delay=30)
def send_confirmations(subscriber_ids: list[int]) -> int:
    """Confirmation emails for an import, on one SMTP connection; those confirmed meanwhile
    are skipped. A retry after a failure resends the batch's still-unconfirmed addresses."""
    subscribers = Subscriber.objects.select_related("page").filter(
        id__in=subscriber_ids, confirmed_at__isnull=True
    )
    messages = [confirmation_email(s) for s in subscribers]
    with get_connection(fail_silently=False) as connection:
        return connection.send_messages(messages) or 0
