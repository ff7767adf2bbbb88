"""What the benchmark scripts share: free loopback ports, throwaway installations (a data
directory, a PostgreSQL database, a Redis queue name), real `upstate` processes in process
groups of their own that are always stopped, wrk, and small statistics helpers.

Not a benchmark itself; the scripts next to it import it (`import _harness`)."""

from __future__ import annotations

import contextlib
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parent.parent
STARTUP_ATTEMPTS = 300  # x 0.1 s
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (0..1) by nearest rank; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- installations -----------------------------------------------------------------------


def upstate_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of one installation's processes: its own data directory, SQLite and the
    SQLite queue unless `extra` names DATABASE_URL / REDIS_URL."""
    env = dict(os.environ)
    for name in ("DATABASE_URL", "REDIS_URL", "UPSTATE_TASKS_IMMEDIATE", "UPSTATE_QUEUE_NAME"):
        env.pop(name, None)
    env.update(
        # The code of the checkout this script sits in, whichever one the venv installed.
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
        UPSTATE_DATA_DIR=str(data_dir),
        UPSTATE_LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="upstate.settings",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def upstate(env: dict[str, str], *args: str) -> str:
    """Runs an `upstate` command to its end; returns its stdout, or exits with its output."""
    done = subprocess.run(
        [str(BIN / "upstate"), *args], env=env, capture_output=True, text=True, cwd=ROOT
    )
    if done.returncode != 0:
        sys.exit(f"error: upstate {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def unique_name(prefix: str) -> str:
    return f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"


@contextlib.contextmanager
def postgres_database(prefix: str = "upstate_bench") -> Iterator[str]:
    """A throwaway PostgreSQL database (its URL), dropped on the way out whatever happens."""
    import psycopg

    name = unique_name(prefix)
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield POSTGRES_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def drop_redis_keys(queue_name: str) -> None:
    """Removes what a throwaway queue left in Redis (huey's queue, schedule and results)."""
    with contextlib.suppress(Exception):
        import redis

        client = redis.Redis.from_url(REDIS_URL)
        keys = list(client.scan_iter(match=f"*{queue_name}*", count=1000))
        if keys:
            client.delete(*keys)


# --- processes ---------------------------------------------------------------------------


def _stat_fields(pid: str) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None


def session_cpu_seconds(session: int) -> float:
    """User + system CPU time of every living process of a session (Linux /proc): a server
    started by `Processes` with all the processes it forks or spawns."""
    total = 0
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            fields = _stat_fields(pid)
            if fields and int(fields[3]) == session:
                total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def comm_cpu_seconds(name: str) -> float:
    """User + system CPU time of every living process whose command name starts with `name`
    (e.g. "postgres": the database server's backends, which are not ours to start)."""
    total = 0
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                comm = Path(f"/proc/{pid}/comm").read_text()
            except OSError:
                continue
            fields = _stat_fields(pid) if comm.startswith(name) else None
            if fields:
                total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


class Processes:
    """Every process a benchmark starts, each in a session (and process group) of its own,
    so that stopping or killing one reaches what it forked; all are stopped on exit."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.running: list[subprocess.Popen] = []

    def start(
        self, name: str, argv: list[str], env: dict[str, str] | None
    ) -> subprocess.Popen[bytes]:
        log = (self.logs / f"{name}.log").open("ab")
        proc = subprocess.Popen(
            argv, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, cwd=ROOT
        )
        proc.name = name  # type: ignore[attr-defined]
        self.running.append(proc)
        return proc

    def upstate(self, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        return self.start(name, [str(BIN / "upstate"), *args], env)

    def log(self, proc: subprocess.Popen) -> str:
        path = self.logs / f"{proc.name}.log"  # type: ignore[attr-defined]
        return path.read_text(errors="replace") if path.exists() else ""

    def kill(self, proc: subprocess.Popen) -> None:
        """kill -9 of the process and everything in its group, at once."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()

    def stop(self, proc: subprocess.Popen, timeout: float = 30) -> None:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
        # Whatever the leader left in its group (a server's forked workers) goes too.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()

    def stop_all(self) -> None:
        for proc in reversed(self.running):
            self.stop(proc)


def wait_until_up(
    url: str, proc: subprocess.Popen, procs: Processes | None = None
) -> httpx.Response:
    for _ in range(STARTUP_ATTEMPTS):
        if proc.poll() is not None:
            log = procs.log(proc)[-3000:] if procs is not None else ""
            sys.exit(f"error: the server for {url} exited with code {proc.returncode}\n{log}")
        try:
            return httpx.get(url, timeout=5)
        except httpx.TransportError:
            time.sleep(0.1)
    sys.exit(f"error: nothing answered on {url}")


def wait_for_log(procs: Processes, proc: subprocess.Popen, text: str, timeout: float) -> bool:
    """Waits until the process's log holds `text` (e.g. huey's "consumer started")."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in procs.log(proc):
            return True
        if proc.poll() is not None:
            sys.exit(f"error: {proc.name} exited with code {proc.returncode}")  # type: ignore[attr-defined]
        time.sleep(0.05)
    return False


# --- wrk ---------------------------------------------------------------------------------


def ensure_debian_packages(tools: dict[str, str]) -> None:
    """Installs the Debian packages whose tool (package -> path found, "" if none) is missing,
    when we may (root and apt-get); otherwise exits saying what to install."""
    missing = [package for package, path in tools.items() if not path]
    if not missing:
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        sys.exit(
            f"error: the benchmark needs Debian's {' and '.join(missing)}; "
            f"install with: apt-get install {' '.join(missing)}"
        )
    subprocess.run(["apt-get", "update"], check=True)
    subprocess.run(["apt-get", "install", "-y", *missing], check=True)


def ensure_wrk() -> str:
    if not shutil.which("wrk"):
        ensure_debian_packages({"wrk": ""})
    return shutil.which("wrk") or sys.exit("error: wrk is not installed")


@dataclass(frozen=True)
class WrkResult:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


WRK_LATENCY = re.compile(r"^\s+(50|99)(?:\.000)?%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)
TO_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk_argv(wrk: str, url: str, connections: int, duration: int, threads: int) -> list[str]:
    return [
        wrk, "--latency", "-t", str(threads), "-c", str(connections), "-d", f"{duration}s",
        "--timeout", "10s", url,
    ]  # fmt: skip


def parse_wrk(out: str) -> WrkResult:
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if rps is None:
        sys.exit(f"error: could not read wrk's output:\n{out}")
    latency = {p: float(v) * TO_MS[unit] for p, v, unit in WRK_LATENCY.findall(out)}
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    errors = int(non_2xx.group(1)) if non_2xx else 0
    errors += sum(int(n) for n in socket_errors.groups()) if socket_errors else 0
    return WrkResult(float(rps.group(1)), latency.get("50", 0.0), latency.get("99", 0.0), errors)


def run_wrk(
    wrk: str, url: str, connections: int, duration: int, threads: int | None = None
) -> WrkResult:
    threads = threads or min(connections, os.cpu_count() or 1)
    argv = wrk_argv(wrk, url, connections, duration, threads)
    return parse_wrk(
        subprocess.run(argv, capture_output=True, text=True, timeout=duration + 60).stdout
    )
