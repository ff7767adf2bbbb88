"""Claims and their leases: a live worker keeps what it sends however slow the send, and what
a dead worker held is taken over once its heartbeat has been silent for the lease."""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from upstate.incidents.services import create_incident
from upstate.notifications import services
from upstate.notifications.content import render_event
from upstate.notifications.models import Delivery, DeliveryStatus, Event, EventKind, Worker
from upstate.notifications.tasks import Heartbeat
from upstate.notifications.tests.helpers import subscribe

LEASE = 1


@pytest.fixture
def delivery(page, django_capture_on_commit_callbacks):
    """One pending delivery of a fanned-out event whose sending task is nobody's yet."""
    with django_capture_on_commit_callbacks(execute=True):
        create_incident(page=page, title="Down")  # nobody subscribed yet: fans out to none
    event = Event.objects.get(kind=EventKind.INCIDENT_CREATED)
    # A fan-out to nobody renders nothing: render what the delivery will send.
    event.content = render_event(event)
    event.save(update_fields=["content"])
    subscriber = subscribe(page, "ann@example.com")
    return Delivery.objects.create(
        event=event, subscriber=subscriber, channel="email", next_attempt_at=timezone.now()
    )


def _in_thread(fn, *args):  # noqa: ANN001, ANN202
    """Run `fn` as a worker's sending thread does, with a connection of its own."""

    def run() -> None:
        try:
            fn(*args)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@pytest.mark.django_db(transaction=True)
def test_a_live_workers_claim_outlasts_the_lease_while_it_sends_slowly(
    settings, smtp_sink, delivery
):
    settings.DELIVERY_LEASE = LEASE
    smtp_sink.delay = 3 * LEASE  # the mail server answers RCPT after three leases
    heartbeat = Heartbeat()
    heartbeat.start()
    started = time.monotonic()
    sender = _in_thread(services.deliver, [delivery.id])
    try:
        recovered: Counter[str] = Counter()
        while sender.is_alive():  # another worker, recovering as often as a heartbeat beats
            recovered.update(services.recover())
            time.sleep(services.beat_interval())
        assert time.monotonic() - started > 2 * LEASE  # the premise: the send outlasted it
    finally:
        sender.join()
        heartbeat.stop(retire=True)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SENT, 1)
    assert recovered["released"] == 0
    assert len(smtp_sink.mails) == 1
    assert not Worker.objects.exists()  # a clean stop leaves nothing to take over


def _silence(worker: str) -> None:
    """What the lease looks like once a killed worker has been silent for longer than it."""
    past = timezone.now() - timedelta(seconds=LEASE + 1)
    Worker.objects.filter(code=worker).update(seen_at=past)
    Delivery.objects.filter(status=DeliveryStatus.SENDING).update(claimed_until=past)


@pytest.mark.django_db(transaction=True)
def test_a_dead_workers_claims_are_taken_over(settings, smtp_sink, delivery):
    settings.DELIVERY_LEASE = LEASE
    services.beat(worker="killed")
    token, won = services.claim_deliveries([delivery.id])  # and then it was killed
    assert won == 1
    assert services.recover()["released"] == 0  # its lease has not run out yet

    _silence("killed")
    assert services.recover() == {"workers": 1, "events": 0, "released": 1, "deliveries": 1}
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SENT, 1)
    assert len(smtp_sink.mails) == 1
    assert not services.mark_sent(delivery.id, token)  # its late commit is refused


@pytest.mark.django_db(transaction=True)
def test_what_a_dead_worker_took_from_the_queue_unclaimed_is_sent(settings, smtp_sink, delivery):
    settings.DELIVERY_LEASE = LEASE
    services.beat(worker="killed")  # it took the delivery's task, and died before claiming
    services.beat(worker="alive")
    assert services.recover()["workers"] == 0

    _silence("killed")
    services.beat(worker="alive")
    assert services.recover()["workers"] == 1
    assert list(Worker.objects.values_list("code", flat=True)) == ["alive"]
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT
    assert len(smtp_sink.mails) == 1


@pytest.mark.django_db(transaction=True)
def test_a_fan_out_whose_worker_died_is_taken_over(settings, smtp_sink, delivery):
    settings.DELIVERY_LEASE = LEASE
    event = delivery.event
    Delivery.objects.all().delete()
    assert services.claim_event(event.id) is None  # done: nobody can claim it
    Event.objects.filter(id=event.id).update(state="pending")
    token = services.claim_event(event.id)  # and then its worker was killed
    assert token is not None
    Event.objects.filter(id=event.id).update(claimed_until=timezone.now() - timedelta(seconds=1))
    assert services.recover()["events"] == 1
    event.refresh_from_db()
    assert (event.state, event.recipients) == ("done", 1)
    assert len(smtp_sink.mails) == 1


@pytest.mark.django_db(transaction=True)
def test_a_worker_taken_for_dead_after_a_stall_carries_on(settings, smtp_sink, delivery):
    settings.DELIVERY_LEASE = LEASE
    services.beat(worker="stalled")
    token, _ = services.claim_deliveries([delivery.id])
    with services.HELD.holding(Delivery, token, [delivery.id]):
        _silence("stalled")
        services.recover()  # another worker takes its claim over and enqueues it again
        assert services.beat(worker="stalled") == 0  # nothing of it is renewed
    assert Worker.objects.filter(code="stalled").exists()  # it beats again, under its name
    assert not services.mark_sent(delivery.id, token)


@pytest.mark.django_db
def test_recovery_with_nothing_to_recover_is_three_indexed_reads(django_assert_num_queries):
    services.beat(worker="alive")
    with django_assert_num_queries(3):
        assert services.recover() == {"workers": 0, "events": 0, "released": 0, "deliveries": 0}
