"""Stopping `upstate serve` for real: a request in flight and an email being sent finish,
every process it started exits and the port is free; a second signal stops everything at
once, leaving no child."""

from __future__ import annotations

import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.test_serve import UPSTATE, _free_port, sqlite_env
from upstate.notifications.tests.sinks import SmtpSink, _Handler

STARTUP_ATTEMPTS = 600  # x 0.1 s: bounded, but generous for a loaded machine
BODY_BYTES = 20


@pytest.fixture
def env(tmp_path) -> dict[str, str]:
    return sqlite_env(tmp_path / "data", drop=("UPSTATE_LOG_LEVEL",))  # the default: quiet


def _descendants(pid: int) -> set[int]:
    """Every process below `pid`, from /proc (threads' children included)."""
    found: set[int] = set()
    tasks = Path(f"/proc/{pid}/task")
    for task in tasks.iterdir() if tasks.exists() else []:
        children = task / "children"
        for child in children.read_text().split() if children.exists() else []:
            found |= {int(child)} | _descendants(int(child))
    return found


def _alive(pid: int) -> bool:
    status = Path(f"/proc/{pid}/status")
    try:
        return "State:\tZ" not in status.read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class SlowRequest(threading.Thread):
    """A POST whose body arrives a byte at a time: in flight for as long as it trickles
    (`stall` stops sending halfway, so that it never ends by itself)."""

    def __init__(self, port: int, seconds: float, *, stall: bool = False) -> None:
        super().__init__(daemon=True)
        self.port, self.pause, self.stall = port, seconds / BODY_BYTES, stall
        self.started = threading.Event()
        self.status_line = b""
        self.error: Exception | None = None

    def run(self) -> None:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=120) as sock:
                sock.sendall(
                    b"POST /api/v1/incidents HTTP/1.1\r\nHost: localhost\r\n"
                    b"Content-Type: application/json\r\n"
                    + f"Content-Length: {BODY_BYTES}\r\nConnection: close\r\n\r\n".encode()
                )
                for sent in range(BODY_BYTES):
                    sock.sendall(b" ")
                    self.started.set()
                    if self.stall and sent == BODY_BYTES // 2:
                        time.sleep(600)
                    time.sleep(self.pause)
                answer = b""
                while chunk := sock.recv(65536):
                    answer += chunk
                self.status_line = answer.split(b"\r\n", 1)[0]
        except OSError as error:
            self.error = error


def _start(env: dict[str, str], tmp_path: Path, port: int) -> subprocess.Popen:
    with (tmp_path / "serve.log").open("w") as log:
        server = subprocess.Popen(
            [UPSTATE, "serve", "--port", str(port)], env=env, stdout=log, stderr=log
        )
    for _ in range(STARTUP_ATTEMPTS):
        assert server.poll() is None, (tmp_path / "serve.log").read_text()
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
            return server
        except httpx.TransportError:
            time.sleep(0.1)
    server.kill()
    pytest.fail("serve never answered")


def test_sigterm_finishes_the_request_in_flight_then_frees_everything(env, tmp_path):
    env["UPSTATE_SHUTDOWN_GRACE_SECONDS"] = "60"
    port = _free_port()
    server = _start(env, tmp_path, port)
    try:
        processes = _descendants(server.pid)
        request = SlowRequest(port, seconds=3)
        request.start()
        assert request.started.wait(60)

        server.send_signal(signal.SIGTERM)
        request.join(120)
        code = server.wait(timeout=120)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()

    log = (tmp_path / "serve.log").read_text()
    assert request.error is None, log
    assert request.status_line == b"HTTP/1.1 401 Unauthorized"  # Django answered it
    assert code == 0, log
    assert len(processes) >= 3  # granian's main and worker processes, the task worker
    assert not [pid for pid in processes if _alive(pid)]
    assert _port_free(port)
    assert "Traceback" not in log
    # Quiet by default: Upstate's one line, no banner of the web server or the task queue.
    assert "Upstate is serving on" in log
    for banner in ("granian", "Huey consumer", "Listening at", "Consumer exiting"):
        assert banner not in log


def test_a_second_signal_stops_everything_at_once(env, tmp_path):
    env["UPSTATE_SHUTDOWN_GRACE_SECONDS"] = "600"  # the first signal alone would wait
    port = _free_port()
    server = _start(env, tmp_path, port)
    try:
        processes = _descendants(server.pid)
        request = SlowRequest(port, seconds=2, stall=True)  # never finishes by itself
        request.start()
        assert request.started.wait(60)

        server.send_signal(signal.SIGINT)
        time.sleep(1)
        assert server.poll() is None  # still waiting for the request
        server.send_signal(signal.SIGINT)
        code = server.wait(timeout=60)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()

    assert code == 130
    assert len(processes) >= 3
    assert not [pid for pid in processes if _alive(pid)]
    assert _port_free(port)


class _NoticingHandler(_Handler):
    """The sink's handler, telling the test when a message is being received."""

    def __init__(self, sink: SmtpSink, receiving: threading.Event) -> None:
        super().__init__(sink)
        self.receiving = receiving

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: ANN001
        self.receiving.set()
        return await super().handle_RCPT(server, session, envelope, address, rcpt_options)


def test_sigterm_lets_an_email_being_sent_finish(env, tmp_path):
    receiving = threading.Event()
    sink = SmtpSink()
    sink.controller.handler = _NoticingHandler(sink, receiving)
    sink.delay = 3  # a slow mail server: the send is in flight when the signal comes
    sink.start()
    env.update(EMAIL_URL=sink.url, UPSTATE_SHUTDOWN_GRACE_SECONDS="60")
    try:
        # The demo's live incident pages its admin: the worker sends that email once it runs.
        demo = subprocess.run([UPSTATE, "demo"], env=env, capture_output=True, timeout=300)
        assert demo.returncode == 0, demo.stderr
        port = _free_port()
        server = _start(env, tmp_path, port)
        try:
            assert receiving.wait(300), (tmp_path / "serve.log").read_text()
            server.send_signal(signal.SIGTERM)
            code = server.wait(timeout=120)
        finally:
            if server.poll() is None:
                server.kill()
                server.wait()
    finally:
        sink.stop()

    log = (tmp_path / "serve.log").read_text()
    assert code == 0, log
    assert sink.count >= 1, log  # the send in flight completed
    assert sink.mails[0].recipients[0].endswith("@acme.test")  # a responder, paged
    assert "Traceback" not in log
