"""Security headers of the dashboard and the API: a Content-Security-Policy that runs no
inline script (every script is a static file of ours), and HSTS when the public URL is
https. Public pages keep the headers their snapshot documents carry."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from upstate.public.hosts import own_hosts
from upstate.public.lookup import request_host

# Inline styles stay allowed: templates and htmx's indicator use style attributes; scripts
# never. Images and frames may come from the pages' own addresses (logos, badges, the embed
# preview at a custom domain).
CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: https:",
        "connect-src 'self'",
        "frame-src 'self' https:",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)
HSTS = "max-age=31536000"
GUARDED_PREFIXES = ("/dashboard/", "/api/")


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path.startswith(GUARDED_PREFIXES):
            response.setdefault("Content-Security-Policy", CSP)
        if settings.PUBLIC_URL.startswith("https://") and request_host(request) in own_hosts():
            response.setdefault("Strict-Transport-Security", HSTS)
        return response
