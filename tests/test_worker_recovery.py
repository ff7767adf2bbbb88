"""A worker killed (SIGKILL) in the middle of a fan-out costs seconds, not minutes: what it held
is sent within the default lease and a beat of it, whether another worker runs or the killed
one is restarted, and nothing is sent twice (but the message in flight at the kill, with the
same Message-ID: see test_notification_crash).

The bound asserted is a correctness bound, not a benchmark: before workers had heartbeats the
same deliveries waited for a two-minute lease; now they wait for the default lease after the
last heartbeat (UPSTATE_DELIVERY_LEASE, 10 s) and at most one more beat (2 s), well within it.
The measured figure is printed."""

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
RECOVERY_BOUND = 30.0
# The sink answers each RCPT after this long: the fan-out takes a worker a few seconds, so it
# is surely in the middle of its batches (holding claims) when it is killed, and the rest
# takes less than the lease to send.
SLOW_SMTP = 0.05


@pytest.fixture
def fan_out(page, tmp_path):
    """Four hundred subscribers, an SMTP sink, and an incident declared from the command line,
    whose fan-out waits in the queue for a worker."""
    sink = SmtpSink().start()
    sink.delay = SLOW_SMTP
    now = timezone.now()
    Subscriber.objects.bulk_create(
        Subscriber(page=page, channel="email", address=f"s{n}@example.com", confirmed_at=now)
        for n in range(SUBSCRIBERS)
    )
    env = environment(tmp_path, sink, "sqlite")
    declare = run(env, tmp_path, "incident", "create", "--page", page.slug, "--title", "Down")
    assert declare.wait(60) == 0
    yield sink, env, Event.objects.get(kind=EventKind.INCIDENT_CREATED)
    sink.stop()
    forget_queue(env)


def _recovered_within(event: Event, since: float) -> float:
    """Seconds from `since` until every delivery of the event is sent (fails past the bound)."""
    done = wait(lambda: statuses(event) == {DeliveryStatus.SENT: SUBSCRIBERS}, RECOVERY_BOUND)
    seconds = time.monotonic() - since
    assert done, f"still {statuses(event)} after {seconds:.1f} s"
    return seconds


def _log(tmp_path) -> str:  # noqa: ANN001
    return (tmp_path / "worker.log").read_text()


def _taken_over(tmp_path) -> bool:  # noqa: ANN001
    """The workers' log says claimed deliveries were taken over (services.recover)."""
    log = _log(tmp_path)
    return "stopped beating" in log and "took over from stopped workers" in log


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_while_another_runs_costs_seconds(fan_out, tmp_path, capsys):
    sink, env, event = fan_out
    workers = [run(env, tmp_path, "worker") for _ in range(2)]
    try:
        assert wait(lambda: _log(tmp_path).count("Huey consumer started") == 2, 60)
        started = sink.count
        assert wait(lambda: sink.count >= started + 40, 60), "the workers never sent"
        at_kill = sink.count
        kill(workers[0])  # in the middle of its batches
        seconds = _recovered_within(event, time.monotonic())
        time.sleep(2)  # let any late duplicate arrive
    finally:
        for worker in workers:
            kill(worker)
    with capsys.disabled():
        print(f"\n  all deliveries sent {seconds:.1f} s after one of two workers was killed")
    assert at_kill < SUBSCRIBERS
    assert_each_got_one(sink, SUBSCRIBERS, kills=1)
    assert _taken_over(tmp_path)  # the lease recovered it, not the queue


@pytest.mark.django_db(transaction=True)
def test_the_only_worker_killed_and_restarted_costs_seconds(fan_out, tmp_path, capsys):
    sink, env, event = fan_out
    worker = run(env, tmp_path, "worker")
    try:
        assert wait(lambda: sink.count >= SUBSCRIBERS // 4, 60), "the worker never sent"
        at_kill = sink.count
        kill(worker)
        worker = run(env, tmp_path, "worker")
        seconds = _recovered_within(event, time.monotonic())
        time.sleep(2)  # let any late duplicate arrive
    finally:
        kill(worker)
    with capsys.disabled():
        print(f"\n  all deliveries sent {seconds:.1f} s after the killed worker was restarted")
    assert at_kill < SUBSCRIBERS
    assert_each_got_one(sink, SUBSCRIBERS, kills=1)
    assert _taken_over(tmp_path)
