"""Real receivers on loopback for tests and the benchmark: an aiosmtpd SMTP server that keeps
what it receives, and an HTTP server that records every request and answers as told."""

from __future__ import annotations

import asyncio
import email
import json
import socket
import threading
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Mail:
    sender: str
    recipients: list[str]
    data: bytes

    @property
    def message(self) -> Message:
        return email.message_from_bytes(self.data)

    def part(self, subtype: str) -> str:
        for part in self.message.walk():
            if part.get_content_type() == f"text/{subtype}":
                return part.get_payload(decode=True).decode()
        raise AssertionError(f"no text/{subtype} part")


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: ANN001
        await asyncio.sleep(self.sink.delay)
        if address in self.sink.reject:
            return self.sink.reject[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001
        data = envelope.original_content  # the bytes as sent, whether or not decode_data
        self.sink.add(Mail(envelope.mail_from, list(envelope.rcpt_tos), data))
        return "250 Message accepted for delivery"


class SmtpSink:
    """`mails` holds every accepted message; `reject` maps an address to an SMTP reply;
    `delay` is how many seconds the server takes to answer each RCPT (a slow mail server)."""

    def __init__(self, *, keep: bool = True, eight_bit: bool = True) -> None:
        from aiosmtpd.controller import Controller

        self.keep = keep
        self.mails: list[Mail] = []
        self.count = 0
        self.reject: dict[str, str] = {}
        self.delay = 0.0
        self.lock = threading.Lock()
        self.changed = threading.Condition(self.lock)
        self.port = free_port()
        self.controller = Controller(
            _Handler(self),
            hostname="127.0.0.1",
            port=self.port,
            data_size_limit=0,
            # A server that decodes what it gets announces no 8BITMIME (an older one).
            decode_data=not eight_bit,
        )

    def add(self, mail: Mail) -> None:
        with self.changed:
            self.count += 1
            if self.keep:
                self.mails.append(mail)
            self.changed.notify_all()

    def wait_for(self, count: int, timeout: float = 10.0) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: self.count >= count, timeout)

    def to(self, address: str) -> list[Mail]:
        return [m for m in self.mails if address in m.recipients]

    def start(self) -> SmtpSink:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class HttpReceiver:
    """Records every POST; `answers` maps a path to (status, body)."""

    requests: list[Request] = field(default_factory=list)
    answers: dict[str, tuple[int, str]] = field(default_factory=dict)
    port: int = 0

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def at(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path == path]


def _http_handler(receiver: HttpReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            receiver.requests.append(Request(self.path, dict(self.headers.items()), body))
            status, text = receiver.answers.get(self.path, (200, "ok"))
            payload = text.encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    return Handler


@pytest.fixture
def smtp_sink(settings):
    """An aiosmtpd server on loopback, and Django's email pointed at it."""
    sink = SmtpSink().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 10
    settings.DEFAULT_FROM_EMAIL = "Upstate <status@acme.test>"
    settings.PUBLIC_URL = "https://status.acme.test"
    yield sink
    sink.stop()


@pytest.fixture
def http_receiver(settings):
    """An HTTP server on loopback; private targets are allowed so the transports reach it."""
    receiver = HttpReceiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _http_handler(receiver))
    receiver.port = server.server_port
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.ALLOW_PRIVATE_TARGETS = True
    yield receiver
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def _tasks_inline():
    """Huey runs tasks in the caller's thread (the settings' UPSTATE_TASKS_IMMEDIATE is read
    before the root conftest can set it)."""
    from huey.contrib.djhuey import HUEY

    was = HUEY.immediate
    HUEY.immediate = True
    yield
    HUEY.immediate = was
