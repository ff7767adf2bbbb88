"""Running Upstate: the web server (granian), the background worker (huey) and `serve`,
which supervises both as child processes so that one command runs a whole installation."""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field

log = logging.getLogger("upstate.server")

WSGI_TARGET = "upstate.wsgi:application"
# How long a child may take to finish in-flight requests and tasks after a stop request.
SHUTDOWN_TIMEOUT = 30.0
POLL_INTERVAL = 0.2
_PR_SET_PDEATHSIG = 1


def default_threads() -> int:
    """Request threads per web process: granian's advice for WSGI (2 x cores + 1); more
    threads only contend for the GIL, and each may hold a database connection."""
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


def _granian_log_level() -> str:
    level = os.environ.get("UPSTATE_LOG_LEVEL", "INFO").lower()
    return level if level in ("critical", "error", "warning", "info", "debug") else "info"


def run_web(options: WebOptions) -> int:
    """Serves the WSGI application with granian until SIGINT or SIGTERM."""
    from django.db import connections
    from granian import Granian
    from granian.constants import Interfaces
    from granian.log import LogLevels

    # Workers are forked from this process: never hand them an open database connection.
    connections.close_all()
    server = Granian(
        target=WSGI_TARGET,
        address=options.host,
        port=options.port,
        interface=Interfaces.WSGI,
        workers=options.workers,
        blocking_threads=options.threads,
        log_level=LogLevels(_granian_log_level()),
    )
    server.serve()
    return 0


def run_worker() -> int:
    """Runs the huey consumer (tasks and periodic tasks) until SIGINT or SIGTERM.
    SIGINT lets running tasks finish; SIGTERM interrupts them."""
    from django.conf import settings
    from django.db import connections
    from django.utils.module_loading import autodiscover_modules
    from huey.consumer_options import ConsumerConfig
    from huey.contrib.djhuey import HUEY

    autodiscover_modules("tasks")
    config = ConsumerConfig(**{"periodic": True, **settings.HUEY.get("consumer", {})})
    config.validate()
    connections.close_all()
    HUEY.create_consumer(**config.values).run()
    return 0


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
    """Runs the web server and the worker side by side; stops both when either stops."""

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
            if child.poll() is None:
                child.kill()

    def run(self) -> int:
        signal.signal(signal.SIGINT, self._on_signal)
        signal.signal(signal.SIGTERM, self._on_signal)
        self.children = {"web": _spawn(["web", *self.web.as_args()]), "worker": _spawn(["worker"])}
        log.info("Upstate is serving on http://%s:%s/", self.web.host, self.web.port)
        while not self.signals:
            exited = [name for name, child in self.children.items() if child.poll() is not None]
            if exited:
                log.error("the %s process stopped unexpectedly; stopping Upstate", exited[0])
                self.stop()
                return 1
            time.sleep(POLL_INTERVAL)
        return self.stop()

    def stop(self) -> int:
        """Asks every child to stop, waits for them, and kills what outlives the timeout."""
        for name, child in self.children.items():
            if child.poll() is None:
                child.send_signal(self.STOP_SIGNALS[name])
        deadline = time.monotonic() + SHUTDOWN_TIMEOUT
        for child in self.children.values():
            try:
                child.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        clean = all(child.returncode == 0 for child in self.children.values())
        return 0 if clean else 1


def serve(web: WebOptions) -> int:
    """The embedded default: migrate, rebuild the public pages, then web server + worker."""
    from django.db import connections

    applied = migrate()
    if applied:
        log.info("applied %d database migrations", applied)
    rebuild_snapshots()
    connections.close_all()
    return Supervisor(web).run()
