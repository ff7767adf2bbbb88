"""`upstate serve` for real: a child process on a free loopback port, with its own data dir."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from upstate.cli import main

UPSTATE = Path(sys.executable).with_name("upstate")
STARTUP_ATTEMPTS = 300  # x 0.1 s: bounded, but generous for slow CI machines


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def sqlite_env(data_dir: Path, *, drop: tuple[str, ...] = (), **extra: str) -> dict[str, str]:
    """The environment of a throwaway SQLite installation in `data_dir`, whatever database the
    test run itself uses; without the variables in `drop`, with `extra`."""
    env = dict(os.environ)
    for name in ("DATABASE_URL", "REDIS_URL", "UPSTATE_TASKS_IMMEDIATE", "DJANGO_SETTINGS_MODULE"):
        env.pop(name, None)
    for name in drop:
        env.pop(name, None)
    return {**env, "UPSTATE_DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1", **extra}


@pytest.fixture
def env(tmp_path) -> dict[str, str]:
    # INFO: these tests follow the web server's and the task queue's own start and stop lines.
    return sqlite_env(tmp_path / "data", UPSTATE_LOG_LEVEL="INFO")


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()] if path.exists() else []


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/status")
    return not (status.exists() and "State:\tZ" in status.read_text())


def _wait_for_http(url: str, server: subprocess.Popen) -> httpx.Response:
    for _ in range(STARTUP_ATTEMPTS):
        assert server.poll() is None, "upstate serve exited during startup"
        try:
            return httpx.get(url, timeout=5)
        except httpx.TransportError:
            time.sleep(0.1)
    pytest.fail(f"nothing answered on {url}")


def run(env: dict[str, str], *args: str) -> str:
    """An `upstate` command run to its end (raising if it fails): its stripped stdout."""
    return subprocess.run(
        [UPSTATE, *args], env=env, check=True, capture_output=True, text=True, timeout=120
    ).stdout.strip()


def stop(server: subprocess.Popen, signum: int = signal.SIGTERM, timeout: float = 60) -> None:
    """Ask the server to stop; kill it if it has not within ``timeout`` seconds."""
    server.send_signal(signum)
    try:
        server.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def _wait_for_text(path: Path, text: str) -> None:
    for _ in range(STARTUP_ATTEMPTS):
        if text in path.read_text():
            return
        time.sleep(0.1)
    pytest.fail(f"{text!r} never appeared in the server output")


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_it_serves_the_demo_page_and_stops_cleanly(env, tmp_path, stop_signal):
    subprocess.run([UPSTATE, "demo"], env=env, check=True, capture_output=True, timeout=120)
    port = _free_port()
    log_path = tmp_path / "serve.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [UPSTATE, "serve", "--port", str(port)], env=env, stdout=log, stderr=log
        )
    try:
        page = _wait_for_http(f"http://127.0.0.1:{port}/p/acme/", server)
        assert page.status_code == 200
        assert "Acme Status" in page.text
        _wait_for_text(log_path, "Huey consumer started")
        children = _children(server.pid)

        server.send_signal(stop_signal)
        assert server.wait(timeout=60) == 0, log_path.read_text()
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()

    assert len(children) == 2  # the web server and the worker
    assert not any(_alive(child) for child in children)
    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://127.0.0.1:{port}/p/acme/", timeout=5)
    output = log_path.read_text()
    assert "Consumer exiting." in output
    assert "Traceback" not in output


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_worker_stopped_as_it_starts_still_stops_cleanly(env, stop_signal):
    # Huey announces itself before it installs its signal handlers: the signal lands between.
    subprocess.run([UPSTATE, "migrate"], env=env, check=True, capture_output=True, timeout=120)
    worker = subprocess.Popen(
        [UPSTATE, "worker"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        output = ""
        while "Huey consumer started" not in output:
            line = worker.stdout.readline()
            assert line, f"the worker ended before it started: {output}"
            output += line
        worker.send_signal(stop_signal)
        output += worker.communicate(timeout=60)[0]
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()

    assert worker.returncode == 0, output
    assert "Consumer exiting." in output
    assert "Traceback" not in output


def test_it_stops_the_worker_when_the_web_server_cannot_start(env, tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        result = subprocess.run(
            [UPSTATE, "serve", "--port", str(port)], env=env, capture_output=True, timeout=120
        )

    assert result.returncode == 1
    assert b"stopped unexpectedly" in result.stderr


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--workers", "0"], "workers: must be at least 1"),
        (["--threads", "0"], "threads: must be at least 1"),
        (["--port", "70000"], "port: must be between 1 and 65535"),
    ],
)
def test_it_rejects_bad_server_options_before_starting(capsys, argv, message):
    assert main(["serve", *argv]) == 2

    assert capsys.readouterr().err.strip() == f"upstate: error: {message}"


@pytest.mark.parametrize("command", ["web", "serve"])
def test_the_public_page_stays_up_when_the_database_is_unreachable(env, tmp_path, command):
    # The demo's build leaves this host's copy of the page in the data directory.
    subprocess.run([UPSTATE, "demo"], env=env, check=True, capture_output=True, timeout=120)
    env = dict(env, DATABASE_URL="postgres://postgres@127.0.0.1:9/gone")  # nobody listens
    port = _free_port()
    log_path = tmp_path / "web.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [UPSTATE, command, "--port", str(port)], env=env, stdout=log, stderr=log
        )
    try:
        base = f"http://127.0.0.1:{port}"
        health = _wait_for_http(f"{base}/healthz", server)
        page = httpx.get(f"{base}/p/acme/", timeout=5)
        summary = httpx.get(f"{base}/p/acme/api/v2/summary.json", timeout=5)
    finally:
        server.terminate()
        server.wait(timeout=60)

    assert health.status_code == 503
    assert page.status_code == 200
    assert "Acme Status" in page.text
    assert summary.status_code == 200
    assert summary.json()["page"]["name"] == "Acme Status"
    assert "database is unreachable" in log_path.read_text()


def test_a_request_body_over_the_limit_gets_413_before_django(env, tmp_path):
    env = dict(env, UPSTATE_MAX_REQUEST_BYTES="1000")
    subprocess.run([UPSTATE, "migrate"], env=env, check=True, capture_output=True, timeout=120)
    port = _free_port()
    with (tmp_path / "web.log").open("w") as log:
        server = subprocess.Popen(
            [UPSTATE, "web", "--port", str(port)], env=env, stdout=log, stderr=log
        )
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_for_http(f"{base}/healthz", server)
        declared = httpx.post(f"{base}/api/v1/incidents", content=b"x" * 1001, timeout=5)

        def chunks():  # no Content-Length: found while reading
            for _ in range(20):
                yield b"y" * 100

        streamed = httpx.post(f"{base}/api/v1/incidents", content=chunks(), timeout=5)
        small = httpx.post(f"{base}/api/v1/incidents", content=b"{}", timeout=5)
    finally:
        server.terminate()
        server.wait(timeout=60)

    for response in (declared, streamed):
        assert response.status_code == 413
        assert response.json()["errors"] == [
            {"field": "body", "message": "must be at most 1000 bytes"}
        ]
    assert small.status_code == 401  # within the limit, Django answered (no API key)
