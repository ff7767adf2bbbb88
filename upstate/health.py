"""``/healthz`` for load balancers and container probes: is the database answering, and are
this process's public documents current (the newest version it serves, and how long ago the
database last confirmed that nothing newer exists)?"""

from __future__ import annotations

from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse

from upstate.public import store


def healthz(request: HttpRequest) -> JsonResponse:
    public = store.status()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        body = {"status": "unavailable", "database": "unreachable", "public": public}
        return JsonResponse(body, status=503)
    if not public["current"]:
        return JsonResponse({"status": "stale", "database": "ok", "public": public}, status=503)
    return JsonResponse({"status": "ok", "database": "ok", "public": public})
