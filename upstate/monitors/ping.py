"""The heartbeat push URL, /api/v1/heartbeat/<token>: cron and batch jobs call it (GET, HEAD
or POST, no API key: the token is the secret) to say they ran. As with healthchecks.io,
`/start` says a run began, `/fail` that it failed, and `/<exit code>` how it ended (0 is a
success). A POST's body (a log tail, say) is kept, capped, to show on the dashboard."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from upstate.audit.services import acting_as
from upstate.monitors.services import MAX_PING_BODY, PingKind, ping_body, record_ping

MAX_EXIT_CODE = 255


def _not_found(message: str = "No active heartbeat monitor has this token") -> JsonResponse:
    return JsonResponse({"message": message, "errors": []}, status=404)


def _ping(
    request: HttpRequest, token: str, kind: str, exit_code: int | None = None
) -> HttpResponse:
    if len(token) > 64:
        return _not_found()
    # Only the first bytes are read: the rest of a long log is not worth the memory.
    raw = request.read(MAX_PING_BODY * 4) if request.method == "POST" else b""
    with acting_as(label="heartbeat"):
        monitor = record_ping(token=token, kind=kind, exit_code=exit_code, body=ping_body(raw))
    if monitor is None:
        return _not_found()
    return JsonResponse({"ok": True, "monitor": monitor.name, "kind": kind})


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def heartbeat(request: HttpRequest, token: str) -> HttpResponse:
    return _ping(request, token, PingKind.SUCCESS)


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def heartbeat_start(request: HttpRequest, token: str) -> HttpResponse:
    return _ping(request, token, PingKind.START)


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def heartbeat_fail(request: HttpRequest, token: str) -> HttpResponse:
    return _ping(request, token, PingKind.FAIL)


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def heartbeat_exit(request: HttpRequest, token: str, code: int) -> HttpResponse:
    if code > MAX_EXIT_CODE:
        body = {
            "message": f"exit code: must be between 0 and {MAX_EXIT_CODE}",
            "errors": [{"field": "exit_code", "message": f"must be between 0 and {MAX_EXIT_CODE}"}],
        }
        return JsonResponse(body, status=400)
    return _ping(request, token, PingKind.EXIT, code)
