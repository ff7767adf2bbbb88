"""Two hosts and a worker, for real, on PostgreSQL and Redis: every host serves the same
public documents, keeps serving them while the database is gone, and catches up by itself.

Each test starts two `upstate web` processes with data directories of their own (two hosts)
and one `upstate worker`, all on the test database, one Redis queue per test and one secret
key. The web processes reach PostgreSQL through a TCP relay in the test (`Relay`), which
"stops the database" for them by closing its port and cutting every connection; the worker
and the test itself use the real port.

Delays are measured from just before a change is sent until the other host shows it; they
are printed, and asserted only against a correctness bound (the product's target is under a
second, which a loaded two-core machine cannot promise every time).
"""

from __future__ import annotations

import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.conf import settings
from django.db import connection

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="several hosts share PostgreSQL (LISTEN/NOTIFY); SQLite is one host",
    ),
    pytest.mark.django_db(transaction=True),
]

REDIS_URL = os.environ.get("UPSTATE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
STALE_SECONDS = 2.0  # UPSTATE_PUBLIC_STALE_SECONDS: small, so that an outage shows quickly
SHOWN_WITHIN = 5.0  # correctness bound for a change to reach the other host
# The follower retries with back-off up to 5 s, then fetches what it missed.
CAUGHT_UP_WITHIN = 5.0 + SHOWN_WITHIN
# A monitor created after the worker's scheduler has looked is checked within its refresh
# (2 s) and a failure stored at once; a cold scheduler may wait up to the interval (10 s).
WORKER_SHOWN_WITHIN = 10.0 + SHOWN_WITHIN
STARTUP_SECONDS = 60.0  # bounded, but generous for a loaded CI machine
SUMMARY = "api/v2/summary.json"
LOST = "lost the database while following public page versions"  # a web process's log line
# Bytes as stored: no transparent decompression between the host and the comparison.
HEADERS = {"Accept-Encoding": "identity"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _database_url(port: int) -> str:
    config = connection.settings_dict
    auth = config["USER"] + (f":{config['PASSWORD']}" if config["PASSWORD"] else "")
    return f"postgres://{auth}@{config['HOST'] or '127.0.0.1'}:{port}/{config['NAME']}"


def _database_port() -> int:
    return int(connection.settings_dict["PORT"] or 5432)


def _wait(condition: Callable[[], Any], timeout: float, every: float = 0.01) -> Any:
    """The first truthy value of `condition` within `timeout` seconds, else None."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() >= deadline:
            return value or None
        time.sleep(every)


# --- a database that can be stopped -----------------------------------------------------------


class Relay:
    """A TCP relay to PostgreSQL on a port of its own. `cut` plays the database stopping:
    the port refuses connections and every relayed connection ends at once; `restore`
    listens on the same port again."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = _free_port()
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._sockets: set[socket.socket] = set()

    def restore(self) -> None:
        listener = socket.create_server(("127.0.0.1", self.port))  # SO_REUSEADDR: same port
        with self._lock:
            self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        with self._lock:
            listener, self._listener = self._listener, None
            sockets, self._sockets = list(self._sockets), set()
        if listener is not None:
            _close(listener)  # shutdown wakes the thread blocked in accept()
        for sock in sockets:
            _close(sock)

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
                upstream.settimeout(None)
            except OSError:
                _close(client)
                continue
            with self._lock:
                if self._listener is not listener:  # cut while this one connected
                    _close(client)
                    _close(upstream)
                    return
                self._sockets |= {client, upstream}
            for source, target in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        with self._lock:
            self._sockets -= {source, target}
        _close(source)
        _close(target)


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


# --- the installation -------------------------------------------------------------------------


@dataclass
class Host:
    name: str
    port: int
    log: Path
    process: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def get(self, path: str) -> httpx.Response:
        return httpx.get(self.base + path, headers=HEADERS, timeout=10)

    def health(self) -> httpx.Response:
        return self.get("/healthz")

    def version(self) -> int | None:
        return self.health().json()["public"]["newest_version"]

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@dataclass
class Cluster:
    tmp: Path
    relay: Relay
    queue: str
    slug: str
    hosts: dict[str, Host] = field(default_factory=dict)
    worker: subprocess.Popen | None = None

    def env(self, name: str, database_port: int) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
        for variable in ("DJANGO_SETTINGS_MODULE", "EMAIL_URL", "UPSTATE_CDN_PURGE_URL"):
            env.pop(variable, None)
        env.update(
            DATABASE_URL=_database_url(database_port),
            REDIS_URL=REDIS_URL,
            UPSTATE_QUEUE_NAME=self.queue,
            UPSTATE_SECRET_KEY=settings.SECRET_KEY,
            UPSTATE_TASKS_IMMEDIATE="False",
            UPSTATE_DATA_DIR=str(self.tmp / name),  # each host its own disk
            UPSTATE_PUBLIC_STALE_SECONDS=str(STALE_SECONDS),
            # The worker's monitor checks a closed port on loopback (a real failure).
            UPSTATE_ALLOW_PRIVATE_TARGETS="True",
            UPSTATE_LOG_LEVEL="INFO",
            PYTHONUNBUFFERED="1",
        )
        return env

    def _spawn(self, name: str, env: dict[str, str], *args: str) -> subprocess.Popen:
        with (self.tmp / f"{name}.log").open("ab") as log:
            return subprocess.Popen(
                [sys.executable, "-m", "upstate.cli", *args],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                process_group=0,  # granian's workers are stopped with their server
            )

    def start_web(self, name: str) -> Host:
        host = self.hosts.get(name) or Host(name, _free_port(), self.tmp / f"{name}.log")
        self.hosts[name] = host
        env = self.env(name, self.relay.port)
        host.process = self._spawn(name, env, "web", "--port", str(host.port), "--threads", "3")
        return host

    def wait_serving(self, host: Host) -> httpx.Response:
        """The host's summary.json, once it answers 200."""

        def serving() -> httpx.Response | None:
            assert host.process.poll() is None, f"{host.name} exited:\n{host.output()}"
            try:
                response = host.get(f"/p/{self.slug}/{SUMMARY}")
            except httpx.TransportError:
                return None
            return response if response.status_code == 200 else None

        response = _wait(serving, STARTUP_SECONDS, every=0.05)
        assert response is not None, f"{host.name} never served the page:\n{host.output()}"
        return response

    def stop_web(self, host: Host) -> None:
        _stop(host.process)

    def start_worker(self) -> None:
        self.worker = self._spawn("worker", self.env("worker", _database_port()), "worker")

    def run(self, *args: str) -> str:
        """A command-line call on a host of its own, on the real database port."""
        result = subprocess.run(
            [sys.executable, "-m", "upstate.cli", *args],
            env=self.env("cli", _database_port()),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    def stop_all(self) -> None:
        for process in [self.worker, *(host.process for host in self.hosts.values())]:
            if process is not None:
                _stop(process)


def _stop(process: subprocess.Popen) -> None:
    # The whole group: granian's worker process outlives a server that died first.
    _signal_group(process, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        _signal_group(process, signal.SIGKILL)
        process.wait()


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    try:
        os.killpg(process.pid, signum)
    except ProcessLookupError:
        pass


def _forget_queue(queue: str) -> None:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"huey.*{queue}*"):
        client.delete(key)


@pytest.fixture
def cluster(page, api_component, tmp_path) -> Iterator[Cluster]:
    """Hosts A and B, through the relay, serving `page` (which the test process built and
    committed), with Django loaded in each: the first dashboard, API or /healthz request of a
    process imports the URL configuration, which is no part of what the tests measure."""
    relay = Relay(_database_port())
    relay.restore()
    installation = Cluster(tmp_path, relay, f"cluster-{uuid.uuid4().hex}", page.slug)
    try:
        hosts = [installation.start_web(name) for name in ("a", "b")]
        for host in hosts:
            installation.wait_serving(host)
            host.health()
        yield installation
    finally:
        installation.stop_all()  # before the test database is flushed under them
        relay.cut()
        _forget_queue(installation.queue)


@pytest.fixture
def worker(cluster) -> Cluster:
    """The cluster with an `upstate worker` (on the real database port); stopped with it."""
    cluster.start_worker()
    return cluster


# --- what the hosts serve ---------------------------------------------------------------------


def _summary(host: Host, slug: str) -> dict[str, Any] | None:
    try:
        response = host.get(f"/p/{slug}/{SUMMARY}")
    except httpx.TransportError:
        return None
    return response.json() if response.status_code == 200 else None


def _shown_within(
    host: Host, slug: str, shows: Callable[[dict[str, Any]], bool], started: float
) -> float:
    """Seconds from `started` until `host` serves a summary for which `shows` is true."""
    found = _wait(lambda: (s := _summary(host, slug)) is not None and shows(s), SHOWN_WITHIN)
    delay = time.perf_counter() - started
    assert found, f"{host.name} did not show the change within {SHOWN_WITHIN} s:\n{host.output()}"
    return delay


def _incident(summary: dict[str, Any], code: str) -> dict[str, Any] | None:
    return next((i for i in summary["incidents"] if i["id"] == code), None)


def _same_version_everywhere(cluster: Cluster, path: str) -> tuple[int, list[httpx.Response]]:
    """One version of the page and each host's response for `path` at it (a build may land
    between two requests, so ask again until none did)."""

    def attempt() -> tuple[int, list[httpx.Response]] | None:
        hosts = list(cluster.hosts.values())
        before = [host.version() for host in hosts]
        responses = [host.get(path) for host in hosts]
        after = [host.version() for host in hosts]
        if len({*before, *after}) == 1:
            return before[0], responses
        return None

    found = _wait(attempt, SHOWN_WITHIN, every=0.05)
    assert found, "the hosts never served one version at the same time"
    return found


def _assert_identical(cluster: Cluster) -> int:
    version, responses = _same_version_everywhere(cluster, f"/p/{cluster.slug}/{SUMMARY}")
    first, *others = responses
    assert first.status_code == 200
    for other in others:
        assert other.status_code == 200
        assert other.content == first.content
        assert other.headers["ETag"] == first.headers["ETag"]
        assert other.headers["Last-Modified"] == first.headers["Last-Modified"]
    return version


def _report(capsys: pytest.CaptureFixture, line: str) -> None:
    with capsys.disabled():
        print(f"\n  {line}", end="")


# --- 1. one truth -----------------------------------------------------------------------------


def test_a_change_through_one_host_shows_on_the_other(cluster, page, owner, api_component, capsys):
    a, b = cluster.hosts["a"], cluster.hosts["b"]
    api = httpx.Client(
        base_url=f"{a.base}/api/v1", headers={"Authorization": f"Bearer {owner.key}"}, timeout=30
    )
    assert api.get("/incidents").status_code == 200  # the API's first call loads its schemas
    sent: list[float] = []  # seconds from sending each change until B showed it
    answered: list[float] = []  # ... from A's answer until B showed it
    versions = [_assert_identical(cluster)]

    def change(method: str, path: str, body: dict, shows: Callable[[dict], bool]) -> dict:
        started = time.perf_counter()
        response = api.request(method, path, json=body)
        answered_at = time.perf_counter()
        assert response.is_success, response.text
        sent.append(_shown_within(b, cluster.slug, shows, started))
        answered.append(time.perf_counter() - answered_at)
        versions.append(_assert_identical(cluster))
        return response.json()

    declared = {
        "page_id": page.code,
        "title": "Checkout fails",
        "status": "investigating",
        "impact": "critical",
        "component_ids": [api_component.code],
        "message": "We are looking into it.",
    }
    critical = {("Checkout fails", "critical")}  # the code is known once A has answered
    code = change(
        "POST",
        "/incidents",
        declared,
        lambda s: critical <= {(i["name"], i["impact"]) for i in s["incidents"]},
    )["id"]
    assert _summary(b, cluster.slug)["status"]["indicator"] == "critical"
    for n in range(3):
        message = f"Still on it ({n})."
        change(
            "POST",
            f"/incidents/{code}/updates",
            {"status": "identified", "message": message},
            lambda s, m=message: m in _update_bodies(_incident(s, code)),
        )
    change(
        "PATCH",
        f"/incidents/{code}",
        {"status": "resolved", "message": "Fixed."},
        lambda s: _incident(s, code) is None,
    )
    assert _summary(b, cluster.slug)["status"]["indicator"] == "none"

    assert versions == sorted(set(versions))  # a new version per change, only forward
    _report(
        capsys,
        "host B showed each change made through host A "
        + ", ".join(f"{d * 1000:.0f}" for d in sent)
        + f" ms after it was sent (median {statistics.median(sent) * 1000:.0f} ms), "
        + ", ".join(f"{d * 1000:.0f}" for d in answered)
        + f" ms after A answered (median {statistics.median(answered) * 1000:.0f} ms)",
    )


def _update_bodies(incident: dict | None) -> set[str]:
    return {u["body"] for u in incident["incident_updates"]} if incident else set()


# --- 1b. changes made by processes that serve nothing -----------------------------------------


def test_a_change_made_by_the_worker_or_the_command_line_shows_on_both_hosts(
    worker, page, api_component, capsys
):
    cluster = worker
    from upstate.monitors.models import SchedulerLease
    from upstate.monitors.services import create_monitor

    # The worker checks a monitor created after its scheduler's first look at once (before
    # that, it spreads checks over their interval): wait until it has looked.
    assert _wait(lambda: SchedulerLease.objects.exists(), STARTUP_SECONDS, every=0.1)
    time.sleep(0.5)
    started = time.perf_counter()
    create_monitor(
        org=page.org,
        name="Payments gateway",
        kind="tcp",
        host="127.0.0.1",
        port=_free_port(),  # nobody listens on it: a real refusal
        interval_seconds=10,
        timeout_seconds=2,
        failures_before_open=1,
        page=page,
        component=api_component,
        impact="major",
    )
    title = "Payments gateway is down"
    opened = _wait_all(
        cluster, lambda s: any(i["name"] == title for i in s["incidents"]), WORKER_SHOWN_WITHIN
    )
    worker_seconds = time.perf_counter() - started

    started = time.perf_counter()
    code = cluster.run(
        "incident", "create", "--page", page.slug, "--title", "Slow search", "--impact", "minor"
    ).strip()
    declared = _wait_all(cluster, lambda s: _incident(s, code) is not None, SHOWN_WITHIN)
    cli_seconds = time.perf_counter() - started

    assert opened, "the worker's incident never showed on both hosts"
    assert declared, "the command line's incident never showed on both hosts"
    _assert_identical(cluster)
    _report(
        capsys,
        f"worker's monitor incident on both hosts {worker_seconds:.2f} s after the monitor "
        f"was created; command line's incident {cli_seconds:.2f} s after the command started",
    )


def _wait_all(cluster: Cluster, shows: Callable[[dict[str, Any]], bool], timeout: float) -> bool:
    def everywhere() -> bool:
        summaries = [_summary(host, cluster.slug) for host in cluster.hosts.values()]
        return all(s is not None and shows(s) for s in summaries)

    return bool(_wait(everywhere, timeout, every=0.02))


# --- 2. the database stops --------------------------------------------------------------------


def _health(host: Host) -> tuple[int, dict[str, Any]]:
    response = host.health()
    return response.status_code, response.json()


def _health_everywhere(cluster: Cluster, status: int, timeout: float) -> float | None:
    """Seconds until each host's /healthz has answered `status` (each in its own time: a
    host's health may change between two answers), or None past `timeout`."""
    started = time.monotonic()
    for host in cluster.hosts.values():
        left = timeout - (time.monotonic() - started)
        if not _wait(lambda h=host: _health(h)[0] == status, max(left, 0.0), every=0.05):
            return None
    return time.monotonic() - started


def test_a_healthy_idle_host_says_it_is_current(cluster):
    from upstate.public.store import FULL_SYNC_SECONDS

    # Nothing changes and the database answers: a load balancer must see healthy hosts the
    # whole time, including between two of the follower's full syncs (every
    # FULL_SYNC_SECONDS), whatever UPSTATE_PUBLIC_STALE_SECONDS is set to.
    answers = []
    deadline = time.monotonic() + FULL_SYNC_SECONDS + 1
    while time.monotonic() < deadline:
        for host in cluster.hosts.values():
            status, body = _health(host)
            answers.append((host.name, status, body["status"], body["public"]["last_sync_seconds"]))
        time.sleep(0.1)

    unhealthy = [answer for answer in answers if answer[1] != 200]
    assert not unhealthy, f"{len(unhealthy)} of {len(answers)} answers: {unhealthy[:3]}"


def test_hosts_keep_serving_while_the_database_is_down_and_catch_up(
    cluster, page, api_component, capsys
):
    from upstate.incidents.services import create_incident, post_update

    path = f"/p/{cluster.slug}/{SUMMARY}"
    version = _assert_identical(cluster)
    before = cluster.hosts["a"].get(path).content

    cluster.relay.cut()
    unhealthy_after = _health_everywhere(cluster, 503, STALE_SECONDS)
    assert unhealthy_after is not None, "a host still said it was healthy"
    # The database is gone and Upstate knows it; the public still gets the last documents.
    incident = create_incident(
        page=page, title="Queue backlog", impact="major", components={api_component: None}
    )  # through the real port: the hosts miss its announcement
    time.sleep(STALE_SECONDS)
    for host in cluster.hosts.values():
        answer = host.get(path)
        assert (answer.status_code, answer.content) == (200, before), host.name
        status, body = _health(host)
        assert status == 503
        assert body["public"]["current"] is False  # its own follower knows it is behind
        assert body["public"]["newest_version"] == version
        assert LOST in host.output()

    cluster.relay.restore()
    restored = time.perf_counter()
    caught_up = _wait_all(
        cluster, lambda s: _incident(s, incident.code) is not None, CAUGHT_UP_WITHIN
    )
    catch_up_seconds = time.perf_counter() - restored
    assert caught_up, "the hosts never fetched what they missed"
    healthy_after = _health_everywhere(cluster, 200, CAUGHT_UP_WITHIN)
    assert healthy_after is not None, "a host never said it was healthy again"

    # Following again, not only caught up once: the next change arrives as any other.
    started = time.perf_counter()
    post_update(incident=incident, status="resolved", message="Drained.")
    resolved = _wait_all(cluster, lambda s: _incident(s, incident.code) is None, SHOWN_WITHIN)
    assert resolved, "a change after the outage never showed on both hosts"
    after_seconds = time.perf_counter() - started
    assert _assert_identical(cluster) > version
    _report(
        capsys,
        f"database cut: /healthz 503 on both after {unhealthy_after:.2f} s; restored: the "
        f"change made meanwhile on both after {catch_up_seconds:.2f} s, /healthz 200 "
        f"{healthy_after:.2f} s later; the next change on both after {after_seconds:.2f} s",
    )


def test_a_host_reports_and_survives_every_outage_not_only_the_first(cluster, page):
    from upstate.incidents.services import create_incident

    # A database fails over more than once in a host's life: each time the follower must
    # say so and reconnect with its back-off starting over, as after the first.
    hosts = list(cluster.hosts.values())
    for outage in (1, 2):
        cluster.relay.cut()
        # Operators learn of each outage from the log, the second as well as the first.
        logged = _wait(lambda n=outage: all(h.output().count(LOST) >= n for h in hosts), 3.0)
        counts = {h.name: h.output().count(LOST) for h in hosts}
        assert logged, f"outage {outage}: lines saying the database was lost: {counts}"
        incident = create_incident(page=page, title=f"Outage {outage}", impact="minor")
        cluster.relay.restore()
        caught_up = _wait_all(cluster, lambda s, i=incident: _incident(s, i.code), CAUGHT_UP_WITHIN)
        assert caught_up, f"outage {outage}: the hosts never fetched what they missed"


# --- 3. a host starts while the database is down ----------------------------------------------


def test_a_host_started_while_the_database_is_down_serves_its_disk_copy(cluster, page, capsys):
    from upstate.incidents.services import create_incident

    b = cluster.hosts["b"]
    path = f"/p/{cluster.slug}/{SUMMARY}"
    version = _assert_identical(cluster)
    served = b.get(path)
    cluster.stop_web(b)
    cluster.relay.cut()
    incident = create_incident(page=page, title="Login errors", impact="minor")
    earlier_output = len(b.output())

    cluster.start_web("b")
    started = time.perf_counter()
    answer = cluster.wait_serving(b)
    serving_seconds = time.perf_counter() - started
    assert answer.content == served.content
    assert answer.headers["ETag"] == served.headers["ETag"]
    assert answer.headers["Last-Modified"] == served.headers["Last-Modified"]
    status, body = _health(b)
    assert status == 503
    assert (body["public"]["source"], body["public"]["newest_version"]) == ("disk", version)
    log = b.output()[earlier_output:]
    assert "serving the public pages this host last had (1)" in log, log

    cluster.relay.restore()
    restored = time.perf_counter()
    caught_up = _wait(
        lambda: (s := _summary(b, cluster.slug)) is not None and _incident(s, incident.code),
        CAUGHT_UP_WITHIN,
    )
    catch_up_seconds = time.perf_counter() - restored
    assert caught_up, f"host B never fetched what it missed:\n{b.output()}"
    assert _health_everywhere(cluster, 200, CAUGHT_UP_WITHIN) is not None
    status, body = _health(b)
    assert body["public"]["source"] == "database"
    assert _assert_identical(cluster) > version
    _report(
        capsys,
        f"host B started without the database: its disk copy served {serving_seconds:.2f} s "
        f"after start; caught up {catch_up_seconds:.2f} s after the database came back",
    )
