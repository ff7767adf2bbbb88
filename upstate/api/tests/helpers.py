"""Test helpers: the Django test client speaking JSON to /api/v1 as a persona."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.test import Client

PREFIX = "/api/v1"


class Api:
    """Requests to the REST API, with the persona's key (or none, when persona is None)."""

    def __init__(self, client: Client, persona: Any = None) -> None:
        self.client = client
        self.headers = persona.auth if persona is not None else {}

    def call(self, method: str, path: str, body: Any = None) -> HttpResponse:
        send = getattr(self.client, method.lower())
        if method.upper() == "GET":
            return send(PREFIX + path, **self.headers)
        if isinstance(body, str | bytes):
            return send(PREFIX + path, body, content_type="application/json", **self.headers)
        return send(
            PREFIX + path,
            {} if body is None else body,
            content_type="application/json",
            **self.headers,
        )

    def get(self, path: str) -> HttpResponse:
        return self.call("GET", path)

    def post(self, path: str, body: Any = None) -> HttpResponse:
        return self.call("POST", path, body)

    def put(self, path: str, body: Any = None) -> HttpResponse:
        return self.call("PUT", path, body)

    def patch(self, path: str, body: Any = None) -> HttpResponse:
        return self.call("PATCH", path, body)

    def delete(self, path: str) -> HttpResponse:
        return self.call("DELETE", path)


def field_errors(response: HttpResponse) -> dict[str, str]:
    """The error body's field -> message pairs."""
    body = response.json()
    assert set(body) == {"message", "errors"}, body
    return {error["field"]: error["message"] for error in body["errors"]}
