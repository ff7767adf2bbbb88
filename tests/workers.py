"""Real `upstate worker` processes against the test database, for the tests that kill them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from django.db import connection

from upstate.notifications.models import Delivery, Event
from upstate.notifications.tests.sinks import SmtpSink

REDIS_URL = os.environ.get("UPSTATE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def database_url() -> str:
    config = connection.settings_dict
    if config["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{config['NAME']}"
    auth = config["USER"] + (f":{config['PASSWORD']}" if config["PASSWORD"] else "")
    return f"postgres://{auth}@{config['HOST']}:{config['PORT'] or 5432}/{config['NAME']}"


def environment(tmp_path: Path, sink: SmtpSink, queue: str, **extra: str) -> dict[str, str]:
    """A worker's environment: the test database, the sink, small batches and four threads;
    the delivery lease is the default unless `extra` sets UPSTATE_DELIVERY_LEASE."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PYTEST")},
        "DATABASE_URL": database_url(),
        "UPSTATE_DATA_DIR": str(tmp_path / "worker"),
        "EMAIL_URL": sink.url,
        "UPSTATE_DELIVERY_BATCH": "10",
        "UPSTATE_WORKER_THREADS": "4",
        "UPSTATE_TASKS_IMMEDIATE": "False",
        # Unique per run: other test runs may share the Redis server.
        "UPSTATE_QUEUE_NAME": f"crash-test-{uuid.uuid4().hex}",
        # INFO: the tests wait for the task queue's start line (at WARNING by default).
        "UPSTATE_LOG_LEVEL": "INFO",
    }
    for name in ("DJANGO_SETTINGS_MODULE", "REDIS_URL", "UPSTATE_DELIVERY_LEASE"):
        env.pop(name, None)
    if queue == "redis":
        env["REDIS_URL"] = REDIS_URL
    return {**env, **extra}


def run(env: dict[str, str], tmp_path: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "upstate.cli", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=open(tmp_path / "worker.log", "ab"),  # noqa: SIM115
    )


def wait(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.002)
    return condition()


def kill(worker: subprocess.Popen) -> None:
    worker.send_signal(signal.SIGKILL)
    worker.wait()


def forget_queue(env: dict[str, str]) -> None:
    if "REDIS_URL" not in env:
        return
    import redis

    client = redis.Redis.from_url(env["REDIS_URL"])
    for key in client.scan_iter(f"huey.*{env['UPSTATE_QUEUE_NAME']}*"):
        client.delete(key)


def statuses(event: Event) -> dict[str, int]:
    return dict(Counter(Delivery.objects.filter(event=event).values_list("status", flat=True)))


def assert_each_got_one(sink: SmtpSink, subscribers: int, kills: int) -> None:
    """Every subscriber has one message; the only repeat allowed is the message in flight at
    each kill (see test_notification_crash), sent again with the same Message-ID."""
    received = Counter(mail.recipients[0] for mail in sink.mails)
    assert len(received) == subscribers
    resent = {address: count for address, count in received.items() if count > 1}
    assert len(resent) <= kills and set(resent.values()) <= {2}, received.most_common(3)
    for address in resent:
        ids = {mail.message["Message-ID"] for mail in sink.to(address)}
        assert len(ids) == 1, (address, ids)  # the same message again, not a second one
