"""A worker killed (SIGKILL) in the middle of a fan-out loses nothing and sends nothing twice:
after each restart it carries on, and in the end every subscriber has one message at the SMTP
server. Run with the task queue in SQLite (the default) and in Redis.

One case is beyond any sender: a kill after the SMTP server has the final "." but before the
database has committed the send (see `services.mark_sent`). That message goes out again after
the lease, with the same Message-ID, so mail systems see one message. The test kills right as
the sink counts a message, which is exactly that moment, so it allows such a resend for the
message in flight at each kill, and only with the same Message-ID."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter

import pytest
from django.db import connection
from django.utils import timezone

from upstate.notifications.models import Delivery, DeliveryStatus, Event, EventKind
from upstate.notifications.tests.sinks import SmtpSink
from upstate.subscribers.models import Subscriber

SUBSCRIBERS = 400
LEASE = 2
REDIS_URL = os.environ.get("UPSTATE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _database_url() -> str:
    config = connection.settings_dict
    if config["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{config['NAME']}"
    auth = config["USER"] + (f":{config['PASSWORD']}" if config["PASSWORD"] else "")
    return f"postgres://{auth}@{config['HOST']}:{config['PORT'] or 5432}/{config['NAME']}"


def _environment(tmp_path, sink: SmtpSink, queue: str) -> dict[str, str]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PYTEST")},
        "DATABASE_URL": _database_url(),
        "UPSTATE_DATA_DIR": str(tmp_path / "worker"),
        "EMAIL_URL": sink.url,
        "UPSTATE_DELIVERY_LEASE": str(LEASE),
        "UPSTATE_DELIVERY_BATCH": "10",
        "UPSTATE_WORKER_THREADS": "4",
        "UPSTATE_TASKS_IMMEDIATE": "False",
        # Unique per run: other test runs may share the Redis server.
        "UPSTATE_QUEUE_NAME": f"crash-test-{uuid.uuid4().hex}",
        "UPSTATE_LOG_LEVEL": "WARNING",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.pop("REDIS_URL", None)
    if queue == "redis":
        env["REDIS_URL"] = REDIS_URL
    return env


def _run(env: dict[str, str], tmp_path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "upstate.cli", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=open(tmp_path / "worker.log", "ab"),  # noqa: SIM115
    )


def _wait(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.002)
    return condition()


def _kill(worker: subprocess.Popen) -> None:
    worker.send_signal(signal.SIGKILL)
    worker.wait()


def _forget_queue(env: dict[str, str]) -> None:
    if "REDIS_URL" not in env:
        return
    import redis

    client = redis.Redis.from_url(env["REDIS_URL"])
    for key in client.scan_iter(f"huey.*{env['UPSTATE_QUEUE_NAME']}*"):
        client.delete(key)


@pytest.mark.parametrize("queue", ["sqlite", "redis"])
@pytest.mark.django_db(transaction=True)
def test_a_killed_worker_loses_nothing_and_sends_nothing_twice(page, tmp_path, queue):
    sink = SmtpSink().start()
    env = _environment(tmp_path, sink, queue)
    now = timezone.now()
    Subscriber.objects.bulk_create(
        Subscriber(page=page, channel="email", address=f"s{n}@example.com", confirmed_at=now)
        for n in range(SUBSCRIBERS)
    )
    # Declared as a person would from the command line: the event and its fan-out task land
    # in the worker's queue, which nobody is consuming yet.
    declare = _run(env, tmp_path, "incident", "create", "--page", page.slug, "--title", "Down")
    assert declare.wait(60) == 0
    event = Event.objects.get(kind=EventKind.INCIDENT_CREATED)

    kills = []
    worker = _run(env, tmp_path, "worker")
    try:
        # Once as the first messages go out, once half-way through.
        for threshold in (1, SUBSCRIBERS // 2):
            assert _wait(lambda t=threshold: sink.count >= t, 60), "the worker never sent"
            _kill(worker)
            kills.append(sink.count)
            worker = _run(env, tmp_path, "worker")
        assert _wait(lambda: sink.count >= SUBSCRIBERS, 90), (sink.count, _statuses(event))
        assert _wait(lambda: _statuses(event) == {DeliveryStatus.SENT: SUBSCRIBERS}, 30)
        time.sleep(LEASE + 2)  # let any late duplicate arrive
    finally:
        _kill(worker)
        sink.stop()
        _forget_queue(env)

    assert all(0 < count < SUBSCRIBERS for count in kills), kills  # killed mid-fan-out
    received = Counter(mail.recipients[0] for mail in sink.mails)
    assert len(received) == SUBSCRIBERS
    resent = {address: count for address, count in received.items() if count > 1}
    assert len(resent) <= len(kills) and set(resent.values()) <= {2}, received.most_common(3)
    for address in resent:
        ids = {mail.message["Message-ID"] for mail in sink.to(address)}
        assert len(ids) == 1, (address, ids)  # the same message again, not a second one


def _statuses(event: Event) -> dict[str, int]:
    return dict(Counter(Delivery.objects.filter(event=event).values_list("status", flat=True)))
