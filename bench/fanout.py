"""Fan-out benchmark: N email subscribers on one page, one incident update, time until an
aiosmtpd sink on loopback has received all N, printed beside the sink's own ceiling measured
in the same run by a plain smtplib sender on reused connections.

    .venv/bin/python bench/fanout.py                        # 10,000 subscribers
    .venv/bin/python bench/fanout.py --subscribers 100000   # target: under 2 minutes

Target: at least 0.7x the sink's ceiling. The machine's load average is printed with the
figures: on a shared machine, compare figures of one run rather than runs.

The worker is the real one (`upstate worker`, a subprocess) against a fresh SQLite database
(or DATABASE_URL); the sink runs in its own process so it gets a core of its own.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import smtplib
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _sink(port: int, counter, ready) -> None:  # noqa: ANN001
    import asyncio

    from aiosmtpd.controller import Controller

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # noqa: ANN001
            with counter.get_lock():
                counter.value += 1
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    asyncio.new_event_loop().run_until_complete(asyncio.sleep(10**9))


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, all its threads (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def ceiling(port: int, counter, total: int, connections: int) -> float:  # noqa: ANN001
    """Messages/s the sink accepts from plain smtplib senders on reused connections."""
    # About the size of a real notification (~5 KB, text and HTML).
    body = (
        b"From: a@example.com\r\nTo: b@example.com\r\nSubject: ceiling\r\n\r\n"
        + (b"x" * 70 + b"\r\n") * 70
    )
    start_count = counter.value

    def send(n: int) -> None:
        with smtplib.SMTP("127.0.0.1", port) as smtp:
            for _ in range(n):
                smtp.sendmail("a@example.com", ["b@example.com"], body)

    started = time.perf_counter()
    threads = [
        threading.Thread(target=send, args=(total // connections,)) for _ in range(connections)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    return (counter.value - start_count) / elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--subscribers", "--n", dest="n", type=int, default=10_000, help="default 10,000"
    )
    parser.add_argument("--100k", dest="big", action="store_true", help="100,000 subscribers")
    parser.add_argument(
        "--threads", type=int, default=8, help="worker threads (default 8, as the product's)"
    )
    parser.add_argument("--batch", type=int, default=200, help="deliveries per task")
    args = parser.parse_args()
    n = 100_000 if args.big else args.n

    data = Path(tempfile.mkdtemp(prefix="upstate-fanout-"))
    env = {
        **os.environ,
        "UPSTATE_DATA_DIR": str(data),
        "UPSTATE_TASKS_IMMEDIATE": "False",
        "UPSTATE_LOG_LEVEL": "WARNING",
        "UPSTATE_QUEUE_NAME": f"bench-fanout-{os.getpid()}",
        "UPSTATE_WORKER_THREADS": str(args.threads),
        "UPSTATE_DELIVERY_BATCH": str(args.batch),
    }
    port = _free_port()
    env["EMAIL_URL"] = f"smtp://127.0.0.1:{port}"
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "upstate.settings")

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from upstate.incidents.services import create_incident
    from upstate.notifications.models import Event, EventKind
    from upstate.orgs.services import create_org
    from upstate.pages.services import create_page
    from upstate.subscribers.models import Subscriber

    if connection.vendor != "sqlite":
        print("using", connection.settings_dict["NAME"], "- it must be an empty database")
    call_command("migrate", verbosity=0)
    org = create_org(slug=f"bench{os.getpid()}", name="Bench")
    page = create_page(org=org, name="Bench Status", slug=f"bench{os.getpid()}")
    now = timezone.now()
    for start in range(0, n, 5000):
        Subscriber.objects.bulk_create(
            Subscriber(page=page, channel="email", address=f"s{i}@example.com", confirmed_at=now)
            for i in range(start, min(n, start + 5000))
        )

    counter = multiprocessing.Value("l", 0)
    ready = multiprocessing.Event()
    sink = multiprocessing.Process(target=_sink, args=(port, counter, ready), daemon=True)
    sink.start()
    ready.wait(10)
    sample = min(n, 10_000)
    print("load average (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
    sink_rate = ceiling(port, counter, sample, 8)
    print(f"sink ceiling (smtplib, 8 reused connections, {sample} msgs): {sink_rate:,.0f} msg/s")
    counter.value = 0

    worker = subprocess.Popen([sys.executable, "-m", "upstate.cli", "worker"], env=env, cwd=ROOT)
    try:
        # Wait until the worker answers a task: its start-up is not part of the fan-out, and
        # right after a task it polls the queue at its quickest.
        # (A fan-out of an event that does not exist: it finds nothing to do.)
        from upstate.notifications.tasks import fan_out_task

        fan_out_task(0).get(blocking=True, timeout=120)
        worker_cpu_before = _cpu_seconds(worker.pid)
        started = time.perf_counter()
        # As in the web process: the event is written with the incident and the fan-out is
        # enqueued on commit; the worker does the rest.
        create_incident(page=page, title="Benchmark incident", message="Fan-out benchmark.")
        first = None
        while counter.value < n:
            time.sleep(0.01)
            if first is None and counter.value:
                first = time.perf_counter() - started
                print(f"first message after {first:.2f} s")
            if time.perf_counter() - started > 600:
                print(f"timeout: {counter.value}/{n} delivered")
                return 1
        elapsed = time.perf_counter() - started
        worker_cpu = _cpu_seconds(worker.pid) - worker_cpu_before
        event = Event.objects.get(kind=EventKind.INCIDENT_CREATED)
        written = (event.fanned_out_at - event.created_at).total_seconds()
    finally:
        worker.terminate()
        worker.wait()
        sink.terminate()
        if connection.vendor == "sqlite":
            connection.close()
            shutil.rmtree(data, ignore_errors=True)
    rate = n / elapsed
    print(f"deliveries written (fan-out, while sending) in {written:.1f} s")
    print(
        f"upstate fan-out: {n:,} subscribers delivered in {elapsed:.1f} s = {rate:,.0f} msg/s "
        f"({rate / sink_rate:.2f}x the sink's ceiling; target >= 0.7x)"
    )
    # CPU time is not stolen by neighbours: it tells the worker's own cost on a busy machine.
    print(f"worker CPU: {worker_cpu * 1000 / n:.3f} ms per message")
    print("load average (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
