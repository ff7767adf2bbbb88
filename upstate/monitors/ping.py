"""The heartbeat push URL, /api/v1/heartbeat/<token>: cron and batch jobs call it (GET, HEAD
or POST, no API key: the token is the secret) to say they ran."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from upstate.audit.services import acting_as
from upstate.monitors.services import record_ping


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def heartbeat(request: HttpRequest, token: str) -> HttpResponse:
    with acting_as(label="heartbeat"):
        monitor = None if len(token) > 64 else record_ping(token=token)
    if monitor is None:
        body = {"message": "No active heartbeat monitor has this token", "errors": []}
        return JsonResponse(body, status=404)
    return JsonResponse({"ok": True, "monitor": monitor.name})
