"""What Django answers when a request fails outside a view's own handling (Django's
handler400 and handler500): the API's JSON error shape under /api/, a short plain page
elsewhere; 503 with Retry-After when the database cannot be reached, 413 naming `body` when
a request body is longer than UPSTATE_MAX_REQUEST_BYTES."""

from __future__ import annotations

import sys

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults

# The database refused or dropped the connection: worth trying again shortly.
UNAVAILABLE = (OperationalError, InterfaceError)
RETRY_AFTER = "30"  # seconds

_UNAVAILABLE_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Temporarily unavailable</title></head>
<body style="font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem">
<h1>Temporarily unavailable</h1>
<p>Upstate cannot reach its database right now. Try again in a minute.</p>
</body></html>
"""


def _api(request: HttpRequest) -> bool:
    # Statuspage's management API (/statuspage/v1/) answers JSON too; its clients read
    # `message`, which this shape has.
    return request.path.startswith(("/api/", "/statuspage/"))


def _error(message: str, status: int, field: str | None = None, **headers: str) -> JsonResponse:
    errors = [{"field": field, "message": message}] if field else []
    text = f"{field}: {message}" if field else message
    return JsonResponse({"message": text, "errors": errors}, status=status, headers=headers)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if isinstance(exception, RequestDataTooBig):
        message = f"must be at most {settings.MAX_REQUEST_BYTES} bytes"
        if _api(request):
            return _error(message, 413, "body")
        return HttpResponse(f"Request body {message}.\n", status=413, content_type="text/plain")
    if _api(request):
        return _error("Bad request", 400)
    return defaults.bad_request(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    # Django calls this while it handles the exception: sys.exc_info() names it.
    if isinstance(sys.exc_info()[1], UNAVAILABLE):
        if _api(request):
            message = "The database is unavailable; try again shortly"
            return _error(message, 503, **{"Retry-After": RETRY_AFTER})
        response = HttpResponse(_UNAVAILABLE_PAGE, status=503)
        response["Retry-After"] = RETRY_AFTER
        return response
    if _api(request):
        return _error("Server error", 500)
    return defaults.server_error(request)
