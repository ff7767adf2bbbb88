"""Requests that reach Django, counted by surface. Public documents answered by the fast
path in front of Django are counted there (upstate.metrics.public)."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from upstate.metrics.instruments import REQUEST_SECONDS, REQUESTS

_STATUS = {1: "1xx", 2: "2xx", 3: "3xx", 4: "4xx", 5: "5xx"}
_OTHER = ("/metrics", "/healthz", "/static/")


def surface(path: str) -> str:
    if path.startswith(("/api/", "/statuspage/")):  # Statuspage's management API too
        return "api"
    if path.startswith("/dashboard/") or path == "/dashboard":
        return "dashboard"
    if path.startswith(_OTHER):
        return "other"
    return "public"  # public pages, forms and documents Django renders (e.g. private pages)


class RequestMetricsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        start = time.perf_counter()
        response = self.get_response(request)
        name = surface(request.path)
        REQUESTS.labels(name, _STATUS.get(response.status_code // 100, "other")).inc()
        REQUEST_SECONDS.labels(name).observe(time.perf_counter() - start)
        return response
