"""A worker killed (SIGKILL) in the middle of a fan-out loses nothing and sends nothing twice:
after each restart it carries on, and in the end every subscriber has one message at the SMTP
server. Run with the task queue in SQLite (the default) and in Redis.

One case is beyond any sender: a kill after the SMTP server has the final "." but before the
database has committed the send (see `services.mark_sent`). That message goes out again after
the lease, with the same Message-ID, so mail systems see one message. The test kills right as
the sink counts a message, which is exactly that moment, so it allows such a resend for the
message in flight at each kill, and only with the same Message-ID."""

from __future__ import annotations

import time

import pytest
from django.utils import timezone

from tests.workers import (
    assert_each_got_one,
    environment,
    forget_queue,
    kill,
    run,
    statuses,
    wait,
)
from upstate.notifications.models import DeliveryStatus, Event, EventKind
from upstate.notifications.tests.sinks import SmtpSink
from upstate.subscribers.models import Subscriber

SUBSCRIBERS = 400
LEASE = 2


@pytest.mark.parametrize("queue", ["sqlite", "redis"])
@pytest.mark.django_db(transaction=True)
def test_a_killed_worker_loses_nothing_and_sends_nothing_twice(page, tmp_path, queue):
    sink = SmtpSink().start()
    env = environment(tmp_path, sink, queue, UPSTATE_DELIVERY_LEASE=str(LEASE))
    now = timezone.now()
    Subscriber.objects.bulk_create(
        Subscriber(page=page, channel="email", address=f"s{n}@example.com", confirmed_at=now)
        for n in range(SUBSCRIBERS)
    )
    # Declared as a person would from the command line: the event and its fan-out task land
    # in the worker's queue, which nobody is consuming yet.
    declare = run(env, tmp_path, "incident", "create", "--page", page.slug, "--title", "Down")
    assert declare.wait(60) == 0
    event = Event.objects.get(kind=EventKind.INCIDENT_CREATED)

    kills = []
    worker = run(env, tmp_path, "worker")
    try:
        # Once as the first messages go out, once half-way through.
        for threshold in (1, SUBSCRIBERS // 2):
            assert wait(lambda t=threshold: sink.count >= t, 60), "the worker never sent"
            kill(worker)
            kills.append(sink.count)
            worker = run(env, tmp_path, "worker")
        assert wait(lambda: sink.count >= SUBSCRIBERS, 90), (sink.count, statuses(event))
        assert wait(lambda: statuses(event) == {DeliveryStatus.SENT: SUBSCRIBERS}, 30)
        time.sleep(LEASE + 2)  # let any late duplicate arrive
    finally:
        kill(worker)
        sink.stop()
        forget_queue(env)

    assert all(0 < count < SUBSCRIBERS for count in kills), kills  # killed mid-fan-out
    assert_each_got_one(sink, SUBSCRIBERS, kills=len(kills))
