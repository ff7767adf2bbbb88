"""Which host a request is for. This installation's own host names (the public URL's, the
loopback names and any set in ALLOWED_HOSTS) answer everything; any other host answers only
the public page of the verified custom domain it names. So a forged Host header reaches no
dashboard, sign-in or password-reset form, and a tenant's domain shows no one else's pages.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound

from upstate.pages.models import StatusPage
from upstate.public import store
from upstate.public.lookup import request_host

LOOPBACK = frozenset({"localhost", "127.0.0.1", "[::1]"})
# Load balancers and Prometheus reach each process by its address, whatever the name (the
# metrics need their token anyway).
ANY_HOST_PATHS = frozenset({"/healthz", "/metrics"})
# Under these a custom domain would show the installation itself or other tenants' pages.
OWN_HOST_PREFIXES = ("/dashboard/", "/api/v1/", "/statuspage/v1/", "/p/", "/static/")


def public_host() -> str:
    """The host of UPSTATE_PUBLIC_URL as a Host header names it (IPv6 in brackets)."""
    host = (urlsplit(settings.PUBLIC_URL).hostname or "").lower()
    return f"[{host}]" if ":" in host else host


def own_hosts() -> frozenset[str]:
    named = {h.lower() for h in settings.ALLOWED_HOSTS if h != "*" and not h.startswith(".")}
    return LOOPBACK | {public_host()} | named


def is_verified_domain(host: str) -> bool:
    if store.by_host(host) is not None:  # what this process serves: no query
        return True
    return StatusPage.objects.filter(custom_domain=host, domain_verified_at__isnull=False).exists()


class HostMiddleware:
    """Answers 404 for what a host other than this installation's own may not reach."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        host = request_host(request)
        if host in own_hosts() or request.path in ANY_HOST_PATHS:
            return self.get_response(request)
        if request.path.startswith(OWN_HOST_PREFIXES) or not is_verified_domain(host):
            return HttpResponseNotFound(
                "Not found: this host is not a verified status page domain.\n",
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)
