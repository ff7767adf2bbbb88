"""The public page's "Having trouble? Describe it" box. The page itself is a pre-rendered
snapshot; its plain HTML form posts here, so it works without JavaScript. No CSRF token can
be in a snapshot, so the view is CSRF-exempt: it changes nothing, it only answers. Nothing the
visitor writes is stored."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from upstate.awareness import matcher
from upstate.lib import text as accepted_text
from upstate.lib.ratelimit import client_ip
from upstate.metrics.instruments import timed_match
from upstate.pages.models import StatusPage
from upstate.public.lookup import frame_context, public_page
from upstate.throttle.services import hit

# Descriptions per client address per window: each one runs the model.
LIMIT_PER_IP = 20
WINDOW = 600
MAX_TEXT = 1000


def _over_limit(request: HttpRequest) -> bool:
    return hit(f"awareness:trouble:ip:{client_ip(request)}", WINDOW) > LIMIT_PER_IP


def _render(
    request: HttpRequest, page: StatusPage, context: dict, status: int = 200
) -> HttpResponse:
    base = {**frame_context(request, page, "trouble"), "trouble_max": MAX_TEXT}
    response = render(request, "awareness/trouble.html", {**base, **context}, status=status)
    response["Cache-Control"] = "no-store"
    return response


@csrf_exempt
@require_http_methods(["GET", "POST"])
def trouble(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    page = public_page(request, slug)
    if request.method == "GET":
        return redirect(f"/p/{page.slug}/" if slug is not None else "/")
    text = request.POST.get("text", "").strip()
    if not text:
        return _render(request, page, {"error": "Describe what is not working."}, status=400)
    if len(text) > MAX_TEXT:
        error = f"Please keep it under {MAX_TEXT} characters."
        return _render(request, page, {"error": error, "trouble_text": text[:MAX_TEXT]}, 400)
    if (reason := accepted_text.problem(text)) is not None:
        error = f"Your message {reason}."
        safe = accepted_text.xml_safe(text)
        return _render(request, page, {"error": error, "trouble_text": safe}, status=400)
    if _over_limit(request):
        error = "Too many requests from your address. Please try again in a few minutes."
        return _render(request, page, {"error": error, "trouble_text": text}, status=429)
    scope = matcher.Scope(org_id=page.org_id, page_id=page.id, public_only=True)
    with timed_match("public"):
        matches = matcher.match(text, scope, limit=3)
    return _render(request, page, {"matches": matches, "trouble_text": text})
