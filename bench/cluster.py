"""Cluster benchmark: two web hosts and a worker on PostgreSQL + Redis, measured from outside.

    .venv/bin/python bench/cluster.py                       # ~5 min today (default lease)
    .venv/bin/python bench/cluster.py --changes 20 --lease 10 --subscribers 200   # quick look

It builds one throwaway installation on free loopback ports: a PostgreSQL database of its own
(dropped at the end), Redis with a queue name of its own, and three processes as three hosts
would run them, each with its OWN UPSTATE_DATA_DIR and the same DATABASE_URL, REDIS_URL,
UPSTATE_QUEUE_NAME, UPSTATE_SECRET_KEY and UPSTATE_PUBLIC_URL: `upstate web` as host A,
`upstate web` as host B, and `upstate worker`. An aiosmtpd sink in a process of its own is
the mail server (EMAIL_URL=smtp://127.0.0.1:<port>). `upstate migrate` runs once, then
`upstate org create` and `upstate apikey create`; the page, its components, an incident and
the subscribers are made through the REST API of host A.

1. Propagation delay (--changes, default 100): every --interval seconds (0.2) one change is
   written through host A, alternately an incident update (POST /api/v1/incidents/{id}/updates
   with a unique message) and a component status change (PATCH /api/v1/components/{id}: a new
   baseline_status, tagged with a numbered description so that each change can be told from
   the next). Pollers fetch host B's summary.json (and host A's, for comparison) every
   --poll-ms (3) and parse it when its bytes change. A change's delay runs from just before its
   request is sent (conservative) until a response from B shows it; a component counts as shown
   when B serves its change or a later one of the same component. Each change is given 10 s;
   the ones never shown are counted. Changes overlap when they take longer than the interval,
   which is why each carries its own mark. Target: p99 < 1 s on B.
2. Throughput: wrk on host A's summary.json alone (64 connections, 2 threads), then on A and B
   at once (one wrk each, 64 connections and 1 thread: the same client threads in all), for
   --wrk-seconds each. Target: two hosts together no slower than one alone.
3. Recovery after kill -9 of the worker in the middle of a fan-out: --subscribers confirmed
   email subscribers (POST /api/v1/pages/{id}/subscribers, "confirmed": true with the admin
   key); an update that notifies them; the sink answers each message after --sink-delay
   seconds so that the fan-out lasts a few seconds; once --kill-at of them have their message
   the worker is killed with SIGKILL (its whole process group), and then
   a. a replacement worker is started at once, or
   b. a second worker, started before the update, carries on alone.
   Printed: the time from the kill until every subscriber has the message, and duplicates (a
   subscriber who got it twice; whether with the same Message-ID). Target: within 15 s, no
   duplicate. --lease sets UPSTATE_DELIVERY_LEASE; the default is the product's lease.

Everything binds to 127.0.0.1, stops by itself (process groups are killed on the way out) and
drops its database. It prints figures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import queue
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import _harness
import httpx
from _harness import Processes, percentile, progress, upstate, upstate_env, wait_until_up

SLUG = "cluster"
SUMMARY = f"/p/{SLUG}/api/v2/summary.json"
CAP = 10.0  # seconds a change may take to show before it counts as never shown
COMPONENT_STATUSES = ("degraded_performance", "partial_outage", "major_outage", "operational")
INCIDENT_STATUSES = ("investigating", "identified", "monitoring")
TAG = re.compile(r"^chg-(\d+)$")
MESSAGE_ID = re.compile(rb"(?im)^Message-ID:\s*<([^>\r\n]+)>")
TARGET_PROPAGATION_P99 = 1.0
TARGET_RECOVERY = 15.0
TIMEOUT = httpx.Timeout(60.0)
DEFAULT_LEASE = 10  # the product's UPSTATE_DELIVERY_LEASE default, for the report


# --- the mail sink (a process of its own) ---------------------------------------------------


def _sink(port: int, records, ready, delay: float) -> None:  # noqa: ANN001
    from aiosmtpd.controller import Controller

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # noqa: ANN001
            data = envelope.original_content or envelope.content
            found = MESSAGE_ID.search(data)
            message_id = found.group(1).decode(errors="replace") if found else ""
            port = session.peer[1] if isinstance(session.peer, tuple) else 0
            for rcpt in envelope.rcpt_tos:
                records.put((time.monotonic(), rcpt.lower(), message_id, port))
            if delay:
                await asyncio.sleep(delay)  # a mail server taking its time to queue it
            return "250 OK: queued"

    controller = Controller(Handler(), hostname="127.0.0.1", port=port, data_size_limit=0)
    controller.start()
    ready.set()
    while True:
        time.sleep(3600)


class Sink:
    def __init__(self, delay: float) -> None:
        context = multiprocessing.get_context("fork")
        self.port = _harness.free_port()
        self.records = context.Queue()
        ready = context.Event()
        self.proc = context.Process(
            target=_sink, args=(self.port, self.records, ready, delay), daemon=True
        )
        self.proc.start()
        if not ready.wait(30):
            sys.exit("error: the SMTP sink did not start")
        self.received: list[tuple[float, str, str, int]] = []

    def drain(self) -> list[tuple[float, str, str, int]]:
        """Moves what arrived into `received`; returns the new records."""
        new = []
        while True:
            try:
                new.append(self.records.get_nowait())
            except queue.Empty:
                break
        self.received.extend(new)
        return new

    def stop(self) -> None:
        self.proc.kill()
        self.proc.join()


# --- the installation ------------------------------------------------------------------------


@dataclass
class Cluster:
    procs: Processes
    tmp: Path
    common: dict[str, str]
    a: str = ""
    b: str = ""
    key: str = ""
    page: str = ""
    incident: str = ""
    components: list[str] = field(default_factory=list)
    workers: int = 0  # workers started so far, for their data directories

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}

    def env(self, host: str) -> dict[str, str]:
        return upstate_env(self.tmp / f"data-{host}", **self.common)

    def start_web(self, host: str, port: int, web_workers: int) -> str:
        args = ["web", "--port", str(port), "--workers", str(web_workers)]
        proc = self.procs.upstate(f"web-{host}", args, self.env(host))
        base = f"http://127.0.0.1:{port}"
        wait_until_up(base + "/healthz", proc, self.procs)
        return base

    def start_worker(self, wait: bool = True) -> subprocess.Popen:
        self.workers += 1
        name = f"worker{self.workers}"
        # INFO: huey says "consumer started" at that level (the harness's default is WARNING).
        env = {**self.env(name), "UPSTATE_LOG_LEVEL": "INFO"}
        proc = self.procs.upstate(name, ["worker"], env)
        if wait and not _harness.wait_for_log(self.procs, proc, "consumer started", 60):
            progress(f"  ({name} did not say it started within 60 s; carrying on)")
        return proc


def set_up(cluster: Cluster, web_workers: int, components: int) -> subprocess.Popen:
    env_a = cluster.env("a")
    upstate(env_a, "migrate")
    upstate(env_a, "org", "create", SLUG, "--name", "Cluster")
    key = upstate(env_a, "apikey", "create", "--org", SLUG, "--role", "admin", "--name", "bench")
    cluster.key = key.strip()
    port_a = int(cluster.common["UPSTATE_PUBLIC_URL"].rsplit(":", 1)[1])
    cluster.a = cluster.start_web("a", port_a, web_workers)
    cluster.b = cluster.start_web("b", _harness.free_port(), web_workers)
    worker = cluster.start_worker()
    api = cluster.a + "/api/v1"
    with httpx.Client(headers=cluster.auth, timeout=TIMEOUT) as client:
        page = client.post(f"{api}/pages", json={"name": "Cluster Status", "slug": SLUG})
        page.raise_for_status()
        cluster.page = page.json()["id"]
        for n in range(components):
            made = client.post(
                f"{api}/pages/{cluster.page}/components", json={"name": f"Service {n + 1}"}
            )
            made.raise_for_status()
            cluster.components.append(made.json()["id"])
        made = client.post(
            f"{api}/incidents",
            json={
                "page_id": cluster.page,
                "title": "Elevated error rates",
                "status": "investigating",
                "impact": "minor",
                "message": "We are investigating.",
            },
        )
        made.raise_for_status()
        cluster.incident = made.json()["id"]
    for base in (cluster.a, cluster.b):  # each host's first look at the page
        httpx.get(base + SUMMARY, timeout=TIMEOUT).raise_for_status()
    return worker


# --- 1. propagation ---------------------------------------------------------------------------


@dataclass
class Change:
    number: int
    kind: str  # "incident update" or "component status"
    mark: str  # the update's message, or the component's id
    started: float = 0.0
    seen: dict[str, float] = field(default_factory=dict)  # host -> perf_counter when shown


class _Look:
    """One parsed summary.json: update messages of the incidents, component tags."""

    def __init__(self, data: dict) -> None:
        incidents = data["incidents"]
        self.messages = {u["body"] for i in incidents for u in i["incident_updates"]}
        self.tags = {}
        for component in data["components"]:
            found = TAG.match(component.get("description") or "")
            if found:
                self.tags[component["id"]] = int(found.group(1))

    def shows(self, change: Change) -> bool:
        if change.kind == "incident update":
            return change.mark in self.messages
        return self.tags.get(change.mark, -1) >= change.number


async def _poll(
    client: httpx.AsyncClient, host: str, url: str, changes: list[Change], done: asyncio.Event,
    every: float,
) -> int:  # fmt: skip
    last_body, look, polls = b"", None, 0
    while not done.is_set():
        response = await client.get(url)
        received = time.perf_counter()
        polls += 1
        if response.is_success:
            if response.content != last_body:
                last_body, look = response.content, _Look(response.json())
            for change in changes:
                if change.started and host not in change.seen and look.shows(change):
                    change.seen[host] = received
        await asyncio.sleep(every)
    return polls


async def _ticker(lags: list[float], done: asyncio.Event) -> None:
    while not done.is_set():
        before = time.perf_counter()
        await asyncio.sleep(0.01)
        lags.append((time.perf_counter() - before - 0.01) * 1000)


async def _propagation(
    cluster: Cluster, count: int, interval: float, poll_every: float
) -> tuple[list[Change], float, dict[str, int]]:
    changes = []
    for n in range(count):
        if n % 2 == 0:
            changes.append(Change(n, "incident update", f"propagation change {n}"))
        else:
            component = cluster.components[(n // 2) % len(cluster.components)]
            changes.append(Change(n, "component status", component))
    done = asyncio.Event()
    lags: list[float] = []
    limits = httpx.Limits(max_connections=8)
    async with (
        httpx.AsyncClient(limits=limits, timeout=TIMEOUT) as readers,
        httpx.AsyncClient(headers=cluster.auth, timeout=TIMEOUT) as writer,
    ):
        pollers = [
            asyncio.create_task(_poll(readers, host, base + SUMMARY, changes, done, poll_every))
            for host, base in (("B", cluster.b), ("A", cluster.a))
        ]
        ticker = asyncio.create_task(_ticker(lags, done))
        api = cluster.a + "/api/v1"
        next_at = time.perf_counter()
        for change in changes:
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
            n = change.number
            if change.kind == "incident update":
                url = f"{api}/incidents/{cluster.incident}/updates"
                status = INCIDENT_STATUSES[(n // 2) % len(INCIDENT_STATUSES)]
                body = {"status": status, "message": change.mark}
                change.started = time.perf_counter()
                response = await writer.post(url, json=body)
            else:
                status = COMPONENT_STATUSES[(n // 2) % len(COMPONENT_STATUSES)]
                body = {"baseline_status": status, "description": f"chg-{n}"}
                change.started = time.perf_counter()
                response = await writer.patch(f"{api}/components/{change.mark}", json=body)
            if not response.is_success:
                print(f"  change {n} answered {response.status_code}: {response.text[:200]}")
            next_at = max(change.started + interval, time.perf_counter())
            if (n + 1) % 20 == 0:
                shown = sum("B" in c.seen for c in changes if c.started)
                progress(f"  {n + 1} changes written, {shown} shown on B so far")
        last = changes[-1].started
        while time.perf_counter() - last < CAP and not all(len(c.seen) == 2 for c in changes):
            await asyncio.sleep(0.05)
        done.set()
        polls = dict(zip(("B", "A"), await asyncio.gather(*pollers), strict=True))
        await ticker
    return changes, percentile(lags, 0.99), polls


# --- 2. throughput ----------------------------------------------------------------------------


def throughput(cluster: Cluster, seconds: int, connections: int) -> list[tuple[str, str]]:
    wrk = _harness.ensure_wrk()
    _harness.run_wrk(wrk, cluster.a + SUMMARY, 16, 1, threads=1)  # warm up
    _harness.run_wrk(wrk, cluster.b + SUMMARY, 16, 1, threads=1)
    progress(f"throughput: host A alone, {connections} connections, {seconds} s")
    alone = _harness.run_wrk(wrk, cluster.a + SUMMARY, connections, seconds, threads=2)
    progress(f"throughput: hosts A and B at once, {connections} connections each, {seconds} s")
    running = [
        subprocess.Popen(
            _harness.wrk_argv(wrk, base + SUMMARY, connections, seconds, 1),
            stdout=subprocess.PIPE,
            text=True,
        )
        for base in (cluster.a, cluster.b)
    ]
    both = [_harness.parse_wrk(proc.communicate(timeout=seconds + 60)[0]) for proc in running]
    total = sum(r.rps for r in both)
    verdict = "ok" if total >= alone.rps else "MISSED"
    return [
        ("host A alone", f"{alone.rps:,.0f} req/s (p50 {alone.p50_ms:.2f} ms, "
         f"p99 {alone.p99_ms:.2f} ms, errors {alone.errors})"),
        ("hosts A + B at once", f"{total:,.0f} req/s = A {both[0].rps:,.0f} + B "
         f"{both[1].rps:,.0f} (p99 {both[0].p99_ms:.2f} / {both[1].p99_ms:.2f} ms, errors "
         f"{both[0].errors + both[1].errors}); target >= A alone: {verdict} "
         f"({total / alone.rps:.2f}x)"),
    ]  # fmt: skip


# --- 3. recovery ------------------------------------------------------------------------------


def create_subscribers(cluster: Cluster, count: int) -> None:
    async def run() -> None:
        url = f"{cluster.a}/api/v1/pages/{cluster.page}/subscribers"
        slots = asyncio.Semaphore(8)
        async with httpx.AsyncClient(headers=cluster.auth, timeout=TIMEOUT) as client:

            async def one(n: int) -> None:
                body = {"channel": "email", "address": f"s{n}@example.com", "confirmed": True}
                async with slots:
                    response = await client.post(url, json=body)
                if not response.is_success:
                    sys.exit(f"error: subscriber {n}: {response.status_code} {response.text}")

            await asyncio.gather(*(one(n) for n in range(count)))

    asyncio.run(run())


def _client_ports(pid: int) -> set[int]:
    """Local TCP ports of the process's sockets (Linux /proc): which worker holds a
    connection the sink sees."""
    inodes = set()
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    except OSError:
        return set()
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            cells = row.split()
            if len(cells) > 9 and cells[9] in inodes:
                ports.add(int(cells[1].rsplit(":", 1)[1], 16))
    return ports


@dataclass
class Recovery:
    variant: str
    before_kill: int = 0
    recovered: float | None = None  # seconds from the kill until every subscriber had it
    last: int = 0  # subscribers reached in the end
    duplicates: int = 0
    same_id: int = 0
    killed_at_end: bool = False  # the fan-out finished before the kill threshold


def recover(
    cluster: Cluster, sink: Sink, worker: subprocess.Popen, variant: str, subscribers: int,
    kill_at: float, cap: float, n: int,
) -> tuple[Recovery, subprocess.Popen]:  # fmt: skip
    """One kill -9 in the middle of a fan-out; returns the figures and the worker now running
    (the replacement or the second one)."""
    result = Recovery(variant)
    second = cluster.start_worker() if variant == "second" else None
    time.sleep(1.0)
    sink.drain()
    start = len(sink.received)
    url = f"{cluster.a}/api/v1/incidents/{cluster.incident}/updates"
    body = {"status": "identified", "message": f"Recovery run {n}: the cause is found."}
    httpx.post(url, json=body, headers=cluster.auth, timeout=TIMEOUT).raise_for_status()
    threshold = max(1, int(subscribers * kill_at))
    reached: set[str] = set()
    posted = time.monotonic()
    while len(reached) < threshold and time.monotonic() - posted < 120:
        reached.update(rcpt for _, rcpt, _, _ in sink.drain())
        time.sleep(0.002)
    if second is not None:
        # Kill the one that is sending (the one holding the SMTP connection of the last
        # message); the other carries on.
        last_port = sink.received[-1][3] if len(sink.received) > start else 0
        if last_port and last_port in _client_ports(second.pid):
            worker, second = second, worker
    progress(f"  kill -9 of the worker with {len(reached)} of {subscribers} delivered")
    cluster.procs.kill(worker)
    killed = time.monotonic()
    result.before_kill = len(reached)
    result.killed_at_end = len(reached) >= subscribers
    survivor = second if second is not None else cluster.start_worker(wait=False)
    next_note = killed + 15
    while len(reached) < subscribers and time.monotonic() - killed < cap:
        reached.update(rcpt for _, rcpt, _, _ in sink.drain())
        time.sleep(0.005)
        if time.monotonic() > next_note:
            progress(
                f"  {len(reached)} of {subscribers} delivered, {next_note - killed:.0f} s after"
            )
            next_note += 15
    if len(reached) >= subscribers:
        # The arrival of the last one, not the moment the loop looked.
        firsts: dict[str, float] = {}
        for at, rcpt, _, _ in sink.received[start:]:
            firsts.setdefault(rcpt, at)
        result.recovered = max(firsts.values()) - killed
    time.sleep(3.0)  # a duplicate may trail the last first copy
    sink.drain()
    result.last = len({rcpt for _, rcpt, _, _ in sink.received[start:]})
    copies = Counter(rcpt for _, rcpt, _, _ in sink.received[start:])
    ids: dict[str, set[str]] = {}
    for _, rcpt, message_id, _ in sink.received[start:]:
        ids.setdefault(rcpt, set()).add(message_id)
    dupes = [rcpt for rcpt, c in copies.items() if c > 1]
    result.duplicates = len(dupes)
    result.same_id = sum(1 for rcpt in dupes if len(ids[rcpt]) == 1)
    return result, survivor


# --- the report -------------------------------------------------------------------------------


def _seconds(value: float) -> str:
    return "-" if value != value else f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def print_report(
    args: argparse.Namespace, changes: list[Change], lag: float, polls: dict[str, int],
    window: float, rates: list[tuple[str, str]], recoveries: list[Recovery],
) -> None:  # fmt: skip
    lease = args.lease or DEFAULT_LEASE
    if changes:
        _print_propagation(args, changes, lag, polls, window)
    if rates:
        print()
        print(f"== Throughput: public summary.json, wrk, {args.wrk_seconds} s per run")
        for what, figure in rates:
            print(f"   {what:<22} {figure}")
    if recoveries:
        _print_recoveries(args, recoveries, lease)


def _print_propagation(
    args: argparse.Namespace, changes: list[Change], lag: float, polls: dict[str, int],
    window: float,
) -> None:  # fmt: skip
    print()
    print(
        f"== Propagation: {len(changes)} changes written through host A, one every "
        f"{args.interval} s; host B's summary.json polled every {args.poll_ms} ms"
    )
    header = f"   {'':<34} {'p50':>9} {'p99':>9} {'max':>9} {'never within 10 s':>18}"
    print(header)
    for host in ("B", "A"):
        for kind in ("all", "incident update", "component status"):
            chosen = [c for c in changes if kind == "all" or c.kind == kind]
            delays = [c.seen[host] - c.started for c in chosen if host in c.seen]
            delays = [d for d in delays if d <= CAP]
            missing = len(chosen) - len(delays)
            label = f"host {host}{' (the writer itself)' if host == 'A' else ''}"
            label = label if kind == "all" else f"  {kind} changes"
            line = (
                f"   {label:<34} {_seconds(percentile(delays, 0.5)):>9} "
                f"{_seconds(percentile(delays, 0.99)):>9} "
                f"{_seconds(max(delays) if delays else float('nan')):>9} "
                f"{missing:>8} of {len(chosen):<4}"
            )
            if host == "B" and kind == "all":
                shown_all = not missing
                p99 = percentile(delays, 0.99)
                ok = shown_all and p99 < TARGET_PROPAGATION_P99
                line += f"  target p99 < 1 s: {'ok' if ok else 'MISSED'}"
            print(line)
    print(
        f"   (polls: B {polls['B'] / window:.0f}/s, A {polls['A'] / window:.0f}/s; "
        f"bench loop lag p99 {lag:.1f} ms)"
    )


def _print_recoveries(args: argparse.Namespace, recoveries: list[Recovery], lease: int) -> None:
    print()
    print(
        f"== Recovery after kill -9 of the worker mid fan-out: {args.subscribers} email "
        f"subscribers, delivery lease {lease} s{'' if args.lease else ' (the default)'}, "
        f"sink {args.sink_delay * 1000:.0f} ms per message"
    )
    for r in recoveries:
        label = {
            "replacement": "replacement started at once",
            "second": "second worker already running",
        }[r.variant]
        took = (
            f"{r.recovered:.1f} s"
            if r.recovered is not None
            else f"NOT within the cap ({r.last} of {args.subscribers})"
        )
        ok = r.recovered is not None and r.recovered < TARGET_RECOVERY and not r.duplicates
        note = " (the fan-out had ended before the kill)" if r.killed_at_end else ""
        print(
            f"   {label:<31} delivered before the kill {r.before_kill:>4}; kill -> all: "
            f"{took:>8}; duplicates {r.duplicates} ({r.same_id} with the same Message-ID); "
            f"target <= 15 s, no duplicate: {'ok' if ok else 'MISSED'}{note}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--changes", type=int, default=100, help="changes through A (100)")
    parser.add_argument("--interval", type=float, default=0.2, help="s between changes (0.2)")
    parser.add_argument("--poll-ms", type=float, default=3, help="summary.json poll period (3)")
    parser.add_argument("--components", type=int, default=4, help="components of the page (4)")
    parser.add_argument("--wrk-seconds", type=int, default=5, help="seconds per wrk run (5)")
    parser.add_argument("--connections", type=int, default=64, help="wrk connections/host (64)")
    parser.add_argument("--subscribers", type=int, default=300, help="email subscribers (300)")
    parser.add_argument(
        "--lease",
        type=int,
        default=0,
        help=f"UPSTATE_DELIVERY_LEASE in s (default: unset, the product's {DEFAULT_LEASE} s)",
    )
    parser.add_argument(
        "--sink-delay", type=float, default=0.01, help="s the sink takes per message (0.01)"
    )
    parser.add_argument(
        "--kill-at", type=float, default=0.3, help="share delivered when the worker is killed"
    )
    parser.add_argument("--web-workers", type=int, default=1, help="processes per host (1)")
    parser.add_argument(
        "--skip", nargs="*", default=[], choices=("propagation", "throughput", "recovery")
    )
    args = parser.parse_args()
    lease = args.lease or DEFAULT_LEASE
    print("load average (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))

    queue_name = _harness.unique_name("bench-cluster")
    sink = Sink(args.sink_delay)
    with tempfile.TemporaryDirectory(prefix="upstate-cluster-") as tmp_name:
        tmp = Path(tmp_name)
        procs = Processes(tmp)
        try:
            with _harness.postgres_database("upstate_cluster") as url:
                common = {
                    "DATABASE_URL": url,
                    "REDIS_URL": _harness.REDIS_URL,
                    "UPSTATE_QUEUE_NAME": queue_name,
                    "UPSTATE_SECRET_KEY": "bench-cluster-" + os.urandom(12).hex(),
                    "UPSTATE_PUBLIC_URL": f"http://127.0.0.1:{_harness.free_port()}",
                    "EMAIL_URL": f"smtp://127.0.0.1:{sink.port}",
                }
                if args.lease:
                    common["UPSTATE_DELIVERY_LEASE"] = str(args.lease)
                cluster = Cluster(procs, tmp, common)
                try:
                    changes, lag, polls, window, rates, recoveries = run(cluster, sink, args, lease)
                finally:
                    procs.stop_all()  # before the database is dropped
        finally:
            procs.stop_all()
            sink.stop()
            _harness.drop_redis_keys(queue_name)
    print_report(args, changes, lag, polls, window, rates, recoveries)
    print()
    print("load average (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
    return 0


def run(cluster: Cluster, sink: Sink, args: argparse.Namespace, lease: int) -> tuple:
    progress("setting up: migrate, org, API key, hosts A and B, the worker, the page")
    worker = set_up(cluster, args.web_workers, args.components)
    changes, lag, polls, window = [], float("nan"), {"A": 0, "B": 0}, 1.0
    if "propagation" not in args.skip and args.changes:
        progress(f"propagation: {args.changes} changes, one every {args.interval} s")
        started = time.perf_counter()
        changes, lag, polls = asyncio.run(
            _propagation(cluster, args.changes, args.interval, args.poll_ms / 1000)
        )
        window = time.perf_counter() - started
    rates: list[tuple[str, str]] = []
    if "throughput" not in args.skip:
        rates = throughput(cluster, args.wrk_seconds, args.connections)
    recoveries = []
    if "recovery" not in args.skip:
        progress(f"recovery: creating {args.subscribers} confirmed email subscribers")
        create_subscribers(cluster, args.subscribers)
        cap = lease + 150
        for n, variant in enumerate(("replacement", "second"), start=1):
            what = "a replacement at once" if variant == "replacement" else "a second worker"
            progress(f"recovery {n}: kill -9 mid fan-out, {what} (lease {lease} s)")
            result, worker = recover(
                cluster, sink, worker, variant, args.subscribers, args.kill_at, cap, n
            )
            recoveries.append(result)
            took = f"{result.recovered:.1f} s" if result.recovered is not None else "not done"
            progress(f"  every subscriber had it {took} after the kill")
    return changes, lag, polls, window, rates, recoveries


if __name__ == "__main__":
    sys.exit(main())
