"""A local HTTP server speaking Twilio's Messages API and Meta's WhatsApp Cloud API, for the
SMS and WhatsApp transports: it checks credentials and the request's shape as the providers
do, answers in their JSON, and records every message it accepted or refused."""

from __future__ import annotations

import base64
import json
import re
import secrets
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import pytest

TWILIO_PATH = re.compile(r"^/2010-04-01/Accounts/(AC[0-9a-f]{32})/Messages\.json$")
WHATSAPP_PATH = re.compile(r"^/v21\.0/(\d+)/messages$")


@dataclass
class Received:
    provider: str  # "twilio" or "whatsapp"
    path: str
    headers: dict[str, str]
    form: dict[str, str]  # Twilio
    json: dict[str, Any]  # WhatsApp
    status: int


@dataclass
class ProviderServer:
    """`twilio` maps Account SID to Auth Token, `whatsapp` phone number id to access token;
    `fail` maps a recipient number (E.164) to the (status, error code) to answer."""

    twilio: dict[str, str] = field(default_factory=dict)
    whatsapp: dict[str, str] = field(default_factory=dict)
    fail: dict[str, tuple[int, int]] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    port: int = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def accepted(self, provider: str) -> list[Received]:
        return [r for r in self.received if r.provider == provider and r.status < 300]


def _twilio(server: ProviderServer, sid: str, headers: dict, body: bytes) -> tuple[int, dict]:
    expected = base64.b64encode(f"{sid}:{server.twilio.get(sid, '')}".encode()).decode()
    if sid not in server.twilio or headers.get("Authorization") != f"Basic {expected}":
        return 401, {"code": 20003, "message": "Authenticate", "status": 401}
    if headers.get("Content-Type", "").split(";")[0] != "application/x-www-form-urlencoded":
        return 400, {"code": 20001, "message": "Expected a form", "status": 400}
    form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
    if "To" not in form or "Body" not in form:
        return 400, {"code": 21604, "message": "A 'To' and a 'Body' are required", "status": 400}
    if "From" not in form and "MessagingServiceSid" not in form:
        return 400, {"code": 21603, "message": "A 'From' phone number is required", "status": 400}
    number = form["To"].removeprefix("whatsapp:")
    if number in server.fail:
        status, code = server.fail[number]
        message = f"The 'To' number {number} is not a valid phone number."
        return status, {"code": code, "message": message, "status": status}
    return 201, {"sid": f"SM{secrets.token_hex(16)}", "status": "queued", "to": form["To"]}


def _whatsapp(server: ProviderServer, number_id: str, headers: dict, body: bytes) -> tuple:
    token = server.whatsapp.get(number_id)
    if token is None or headers.get("Authorization") != f"Bearer {token}":
        return 401, {"error": {"message": "Invalid OAuth access token.", "code": 190}}
    try:
        message = json.loads(body)
    except ValueError:
        return 400, {"error": {"message": "Invalid JSON", "code": 100}}
    if message.get("messaging_product") != "whatsapp" or not str(message.get("to", "")).isdigit():
        return 400, {"error": {"message": "(#100) Invalid parameter", "code": 100}}
    number = f"+{message['to']}"
    if number in server.fail:
        status, code = server.fail[number]
        return status, {"error": {"message": "Message undeliverable", "code": code}}
    return 200, {
        "messaging_product": "whatsapp",
        "contacts": [{"input": message["to"], "wa_id": message["to"]}],
        "messages": [{"id": f"wamid.{secrets.token_hex(12)}"}],
    }


def _handler(server: ProviderServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            headers = dict(self.headers.items())
            if match := TWILIO_PATH.match(self.path):
                provider = "twilio"
                status, answer = _twilio(server, match[1], headers, body)
                form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
                payload: dict = {}
            elif match := WHATSAPP_PATH.match(self.path):
                provider = "whatsapp"
                status, answer = _whatsapp(server, match[1], headers, body)
                form, payload = {}, json.loads(body or b"{}")
            else:
                provider, status, answer, form, payload = "?", 404, {"message": "no route"}, {}, {}
            server.received.append(Received(provider, self.path, headers, form, payload, status))
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    return Handler


@pytest.fixture
def provider_server(settings):
    """The provider server on loopback, with Upstate's provider URLs pointed at it."""
    server = ProviderServer()
    http = ThreadingHTTPServer(("127.0.0.1", 0), _handler(server))
    server.port = http.server_port
    threading.Thread(target=http.serve_forever, daemon=True).start()
    settings.ALLOW_PRIVATE_TARGETS = True
    settings.TWILIO_API_URL = server.base
    settings.WHATSAPP_API_URL = f"{server.base}/v21.0"
    yield server
    http.shutdown()
    http.server_close()
