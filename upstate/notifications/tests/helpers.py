from __future__ import annotations

from django.utils import timezone

from upstate.subscribers.models import Subscriber


def subscribe(page, address: str, *, channel: str = "email", confirmed: bool = True, components=()):
    subscriber = Subscriber.objects.create(
        page=page,
        channel=channel,
        address=address,
        confirmed_at=timezone.now() if confirmed else None,
    )
    subscriber.components.set(components)
    return subscriber
