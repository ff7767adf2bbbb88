"""GET /metrics: Prometheus' text format, for a scraper holding UPSTATE_METRICS_TOKEN."""

from __future__ import annotations

import hmac
import os
import re
from pathlib import Path

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET
from prometheus_client import REGISTRY, CollectorRegistry, multiprocess
from prometheus_client.exposition import choose_encoder

from upstate.metrics.database import DatabaseCollector


def _registry() -> CollectorRegistry:
    """This process's metrics, or in multiprocess mode every process's of this host; plus
    the database's figures, read now."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        _forget_dead(Path(directory))
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=directory)
    else:
        registry = CollectorRegistry()
        registry.register(_Default())
    registry.register(DatabaseCollector())
    return registry


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _forget_dead(directory: Path) -> None:
    """Drop the files of processes that are gone (web workers granian replaced, earlier
    runs): they would pile up with every restart. Their counters leave the sums, which
    Prometheus reads as a counter reset, as for a restarted process."""
    for path in directory.glob("*.db"):
        match = re.search(r"_(\d+)\.db$", path.name)
        if match and not _alive(int(match.group(1))):
            path.unlink(missing_ok=True)


class _Default:
    """The default registry's collectors (this process's metrics, its CPU and memory)."""

    def collect(self):  # noqa: ANN201 - prometheus_client's Collector protocol
        return REGISTRY.collect()


def _authorized(request: HttpRequest, token: str) -> bool:
    header = request.headers.get("Authorization", "")
    scheme, _, given = header.partition(" ")
    # Constant time: the comparison must not tell how much of a guess was right.
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode(), token.encode()
    )


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    token = settings.METRICS_TOKEN
    if not token:
        return JsonResponse({"message": "Not found", "errors": []}, status=404)
    if not _authorized(request, token):
        response = JsonResponse(
            {"message": "Send 'Authorization: Bearer <UPSTATE_METRICS_TOKEN>'", "errors": []},
            status=401,
        )
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    # What the scraper asks for: Prometheus' text format, or OpenMetrics.
    encode, content_type = choose_encoder(request.headers.get("Accept", ""))
    response = HttpResponse(encode(_registry()), content_type=content_type)
    response["Cache-Control"] = "no-store"
    return response
