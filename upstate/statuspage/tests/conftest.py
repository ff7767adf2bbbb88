"""A Statuspage-speaking client: the Django test client sending `Authorization: OAuth <key>`
to /statuspage/v1, JSON or form-encoded like Statuspage's own clients."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import pytest
from django.http import HttpResponse
from django.test import Client

from upstate.notifications.tests.sinks import _tasks_inline, smtp_sink  # noqa: F401

BASE = "/statuspage/v1"


class Statuspage:
    def __init__(self, client: Client, key: str | None) -> None:
        self.client = client
        self.headers = {"HTTP_AUTHORIZATION": f"OAuth {key}"} if key else {}

    def call(self, method: str, path: str, body: Any = None, *, form: bool = False) -> HttpResponse:
        send = getattr(self.client, method.lower())
        if method == "GET":
            return send(BASE + path, **self.headers)
        if form:
            data = body if isinstance(body, str) else urlencode(body or [], doseq=True)
            content_type = "application/x-www-form-urlencoded"
        else:
            data = json.dumps(body) if body is not None else ""
            content_type = "application/json"
        return send(BASE + path, data, content_type=content_type, **self.headers)

    def get(self, path: str) -> HttpResponse:
        return self.call("GET", path)

    def post(self, path: str, body: Any = None, **kw: Any) -> HttpResponse:
        return self.call("POST", path, body, **kw)

    def patch(self, path: str, body: Any = None, **kw: Any) -> HttpResponse:
        return self.call("PATCH", path, body, **kw)

    def put(self, path: str, body: Any = None, **kw: Any) -> HttpResponse:
        return self.call("PUT", path, body, **kw)

    def delete(self, path: str, **kw: Any) -> HttpResponse:
        return self.call("DELETE", path, **kw)


@pytest.fixture
def sp(client, owner) -> Statuspage:
    return Statuspage(client, owner.key)


@pytest.fixture
def sp_responder(client, responder) -> Statuspage:
    return Statuspage(client, responder.key)


@pytest.fixture
def sp_viewer(client, viewer) -> Statuspage:
    return Statuspage(client, viewer.key)


@pytest.fixture
def sp_outsider(client, outsider) -> Statuspage:
    return Statuspage(client, outsider.key)
