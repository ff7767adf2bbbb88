"""Running Upstate: the web server (granian), the background worker (huey) and `serve`,
which supervises both as child processes so that one command runs a whole installation."""

from __future__ import annotations

import contextlib
import ctypes
import gc
import logging
import math
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger("upstate.server")

APP_TARGET = "upstate.rsgi:application"
# Beyond UPSTATE_SHUTDOWN_GRACE_SECONDS: how long `serve` lets a child that stopped its
# requests and tasks take to exit, before it stops what is left of it (its process group).
EXIT_MARGIN = 5.0
POLL_INTERVAL = 0.2
_PR_SET_PDEATHSIG = 1


def default_threads() -> int:
    """Django's threads per web process (2 x cores + 1); more only contend for the GIL, and
    each may hold a database connection. Public documents need none of them."""
    return 2 * (os.cpu_count() or 1) + 1


@dataclass(frozen=True)
class WebOptions:
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    threads: int = field(default_factory=lambda: default_threads())

    def as_args(self) -> list[str]:
        return [
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
            "--threads",
            str(self.threads),
        ]


def migrate(*, verbosity: int = 1) -> int:
    """Applies pending migrations; returns how many there were."""
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if pending:
        call_command("migrate", interactive=False, verbosity=verbosity)
    return len(pending)


def rebuild_snapshots() -> None:
    """Rebuilds every public page snapshot, so a restart never serves stale pages."""
    from upstate.public.snapshot import rebuild_all

    rebuild_all()


def prepare_database() -> None:
    """Migrate and rebuild the public pages. When the database cannot be reached, say so and
    go on: the web processes serve what their host last had and follow the database once it
    answers (the worker's periodic rebuild then refreshes every page)."""
    from django.db import OperationalError, connections

    try:
        applied = migrate(verbosity=0)
        if applied:
            log.info("applied %d database migrations", applied)
        rebuild_snapshots()
    except OperationalError as error:
        log.error(
            "the database is unreachable (%s); starting anyway: the public pages are served "
            "from this host's last copies until it answers (run `upstate migrate` then)",
            str(error).strip().splitlines()[0] if str(error).strip() else "no answer",
        )
    finally:
        connections.close_all()


def _granian_log_level() -> str:
    from django.conf import settings

    level = settings.THIRD_PARTY_LOG_LEVEL.lower()
    return level if level in ("critical", "error", "warning", "info", "debug") else "warning"


def _grace_seconds() -> int:
    """Whole seconds (granian counts in them), at least one."""
    from django.conf import settings

    return max(1, math.ceil(settings.SHUTDOWN_GRACE_SECONDS))


def run_web(options: WebOptions) -> int:
    """Serves the application with granian until SIGINT or SIGTERM."""
    from django.db import connections
    from granian import Granian
    from granian.constants import Interfaces
    from granian.log import LogLevels

    # Workers are forked from this process: never hand them an open database connection.
    connections.close_all()
    os.environ["UPSTATE_WEB_THREADS"] = str(options.threads)
    server = Granian(
        target=APP_TARGET,
        address=options.host,
        port=options.port,
        interface=Interfaces.RSGI,
        workers=options.workers,
        log_level=LogLevels(_granian_log_level()),
        # Requests in flight finish within the grace period; then granian stops its workers.
        workers_kill_timeout=_grace_seconds(),
    )
    server.serve()
    return 0


def run_worker() -> int:
    """Runs the huey consumer (tasks and periodic tasks) until SIGINT or SIGTERM. Either lets
    running tasks finish within UPSTATE_SHUTDOWN_GRACE_SECONDS; a second one interrupts them."""
    # A stop signal during start-up waits for huey's handlers: huey logs "started" before it
    # installs them, and a signal in between ended the worker with a KeyboardInterrupt.
    signal.pthread_sigmask(signal.SIG_BLOCK, WORKER_STOP_SIGNALS)
    # Where the worker shares a host with web processes (`upstate serve`), readers of the
    # public page come first: its notifications and indexing can wait a few milliseconds.
    with contextlib.suppress(OSError):
        os.nice(WORKER_NICENESS)
    from django.conf import settings
    from django.db import connections
    from django.utils.module_loading import autodiscover_modules
    from huey.consumer_options import ConsumerConfig
    from huey.contrib.djhuey import HUEY

    from upstate.lib import coalesce
    from upstate.public import handoff, publish

    autodiscover_modules("tasks")
    # Running tasks (a batch of deliveries) finish within the grace period on a graceful stop
    # (SIGINT); what is still running then is interrupted and its claims expire (the lease).
    config = ConsumerConfig(
        **{
            "periodic": True,
            "shutdown_timeout": settings.SHUTDOWN_GRACE_SECONDS,
            **settings.HUEY.get("consumer", {}),
        }
    )
    config.validate()
    _warm_up()
    # Monitors and maintenance windows change pages from here: build them off the tasks,
    # and, on SQLite, the pages the host's web processes changed (upstate.public.handoff).
    coalesce.start_all()
    handoff.listen(publish.build_for_others)
    connections.close_all()
    # What start-up loaded lives as long as the process: out of the cyclic collector's sight,
    # which otherwise walked all of it again and again during a fan-out (8% of its CPU).
    gc.freeze()
    _waking_consumer_class()(HUEY, **config.values).run()
    return 0


WORKER_STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}
WORKER_NICENESS = 5

# What every notification renders (the email templates compile once per process).
NOTIFICATION_TEMPLATES = [
    f"{folder}/{name}"
    for folder, names in (
        ("notifications/email", ("incident", "maintenance")),
        ("paging/email", ("page",)),
    )
    for stem in names
    for name in (f"{stem}.html", f"{stem}.txt", f"{stem}_subject.txt")
]


def _warm_up() -> None:
    """Load at start what the first notification would otherwise load while its readers
    wait: the URL configuration (every message holds links; importing it, the API's schemas
    with it, took about a second) and the notification templates."""
    from django.template.loader import get_template
    from django.urls import get_resolver

    get_resolver().reverse_dict  # noqa: B018 - reading it imports every URL module
    for name in NOTIFICATION_TEMPLATES:
        get_template(name)


def _waking_consumer_class() -> type:
    """Huey's consumer with waking worker threads; it takes the stop signals held back while
    it started once its handlers are in place."""
    from huey.consumer import Consumer

    class WakingConsumer(Consumer):
        def __init__(self, huey: Any, **options: Any) -> None:
            self.worker_class = _waking_worker_class(huey)
            super().__init__(huey, **options)
            # Huey interrupts running tasks on SIGTERM; but SIGTERM is how systemd and
            # container runtimes ask a service to stop: let the tasks finish, as on SIGINT.
            self._signal_actions[signal.SIGTERM] = (False, True)

        def _set_signal_handlers(self) -> None:
            super()._set_signal_handlers()
            signal.pthread_sigmask(signal.SIG_UNBLOCK, WORKER_STOP_SIGNALS)

        def stop(self, graceful: bool = False) -> None:
            from upstate.monitors.tasks import stop_scheduler

            self.worker_class.wake_all()
            super().stop(graceful)
            # Huey runs shutdown hooks in the worker threads that finish their loop; after an
            # interrupting stop (SIGTERM) none may, and the process would exit under the
            # monitor scheduler in the middle of a database call.
            stop_scheduler()

    return WakingConsumer


def _waking_worker_class(huey: Any) -> type:
    """Huey's worker threads, woken when this process enqueues a task. On the SQLite queue an
    idle thread polls with a back-off (up to UPSTATE_WORKER_POLL_SECONDS); the deliveries a
    fan-out enqueues then waited most of a second for a thread to look (bench/fanout.py)."""
    from huey.consumer import Worker
    from huey.signals import SIGNAL_ENQUEUED

    enqueued = threading.Event()

    @huey.signal(SIGNAL_ENQUEUED)
    def _wake(signal: str, task: object, *args: object) -> None:
        enqueued.set()

    class WakingWorker(Worker):
        @staticmethod
        def wake_all() -> None:
            enqueued.set()  # every thread waiting now returns, whoever clears it first

        def sleep(self) -> None:
            if self.stop_flag.is_set():
                return
            self.delay = min(self.delay, self.max_delay)
            if enqueued.wait(self.delay):
                enqueued.clear()
                # The signal comes just before the task is stored: give the store a moment.
                self.stop_flag.wait(0.01)
                self.delay = self.default_delay
            else:
                self.delay *= self.backoff

    return WakingWorker


def _die_with_parent() -> None:
    """Runs in the child before exec: if `serve` is killed hard, its children get SIGTERM
    instead of living on as orphans holding the port."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _spawn(args: list[str]) -> subprocess.Popen:
    # A process group of their own: a terminal's Ctrl-C reaches only `serve`, which then
    # stops each child exactly once, in the way that child expects.
    return subprocess.Popen(
        [sys.executable, "-m", "upstate.cli", *args],
        process_group=0,
        preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
    )


class Supervisor:
    """Runs the web server and the worker side by side; stops both when either stops.

    A stop signal lets each child finish what it is doing within the grace period; a second
    one, or a child still there after the grace period, ends each child's whole process group
    (granian's worker processes too, which would otherwise keep the port)."""

    # SIGINT is huey's graceful stop (running tasks finish); granian drains on SIGTERM.
    STOP_SIGNALS = {"web": signal.SIGTERM, "worker": signal.SIGINT}

    def __init__(self, web: WebOptions) -> None:
        self.web = web
        self.children: dict[str, subprocess.Popen] = {}
        self.signals: list[int] = []

    def _on_signal(self, signum: int, frame: object) -> None:
        self.signals.append(signum)
        if len(self.signals) > 1:  # asked twice: stop waiting for a graceful exit
            self._kill_all()

    def _kill_all(self) -> None:
        for child in self.children.values():
            # Each child leads a process group of its own (_spawn): this reaches what it
            # started too. A group outlives its leader while any member lives.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(child.pid, signal.SIGKILL)

    def run(self) -> int:
        signal.signal(signal.SIGINT, self._on_signal)
        signal.signal(signal.SIGTERM, self._on_signal)
        self.children = {"web": _spawn(["web", *self.web.as_args()]), "worker": _spawn(["worker"])}
        log.info(
            "Upstate is serving on http://%s:%s/ (Ctrl-C stops it)", self.web.host, self.web.port
        )
        while not self.signals:
            exited = [name for name, child in self.children.items() if child.poll() is not None]
            if exited:
                log.error("the %s process stopped unexpectedly; stopping Upstate", exited[0])
                self.stop()
                return 1
            time.sleep(POLL_INTERVAL)
        return self.stop()

    def stop(self) -> int:
        """Asks every child to stop, waits for them, and kills what outlives the grace."""
        from django.conf import settings

        for name, child in self.children.items():
            if child.poll() is None:
                child.send_signal(self.STOP_SIGNALS[name])
        deadline = time.monotonic() + settings.SHUTDOWN_GRACE_SECONDS + EXIT_MARGIN
        while time.monotonic() < deadline and any(
            child.poll() is None for child in self.children.values()
        ):
            time.sleep(POLL_INTERVAL / 4)
        if any(child.poll() is None for child in self.children.values()):
            log.error("stopping what did not stop within the grace period")
            self._kill_all()
        for child in self.children.values():
            child.wait()
        self._kill_all()  # nothing of theirs may outlive `serve` (e.g. a granian worker)
        if len(self.signals) > 1:
            return 130  # stopped at once, as asked
        failed = {name: c.returncode for name, c in self.children.items() if c.returncode != 0}
        for name, code in failed.items():
            log.error("the %s process exited with code %s", name, code)
        return 1 if failed else 0


def serve(web: WebOptions) -> int:
    """The embedded default: migrate, rebuild the public pages, then web server + worker."""
    prepare_database()
    return Supervisor(web).run()
