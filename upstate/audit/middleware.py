from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from upstate.audit.services import acting_as


class AuditActorMiddleware:
    """Attributes the request's changes to the signed-in user. `request.user` stays lazy, so
    requests that change nothing never touch the session for it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with acting_as(user=getattr(request, "user", None)):
            return self.get_response(request)
