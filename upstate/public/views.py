"""What the fast path leaves to Django: private pages (members only), snapshots not yet on
disk, badges with a custom label and, without the fast path in front, ``/widget.js``. All
serve snapshot bytes or render from snapshot data; nothing here renders a public template."""

from __future__ import annotations

import hashlib
import json

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotModified
from django.shortcuts import redirect
from django.utils.cache import patch_vary_headers

from upstate.lib.badges import DEFAULT_STYLE, clean_label
from upstate.orgs.services import role_of
from upstate.pages.models import StatusPage
from upstate.public import store
from upstate.public.embeds import WIDGET_DATA, badge_for
from upstate.public.lookup import request_host, verified_domain_pages
from upstate.public.snapshot import FRAMABLE, Snapshot, build_snapshot, latest_snapshot
from upstate.public.widget import WIDGET_CACHE_CONTROL, widget_document


def page_document(request: HttpRequest, slug: str, rest: str = "") -> HttpResponse:
    page = StatusPage.objects.filter(slug=slug).select_related("org").first()
    return _serve(request, page, rest)


def domain_document(request: HttpRequest, rest: str = "") -> HttpResponse:
    page = verified_domain_pages(StatusPage.objects, request).select_related("org").first()
    if page is None and not rest:
        return redirect("dashboard:home")
    return _serve(request, page, rest)


def _readable_snapshot(request: HttpRequest, page: StatusPage | None) -> Snapshot | HttpResponse:
    """The page's snapshot if the caller may read the page, else the response saying why."""
    if page is None:
        raise Http404("No such status page.")
    if page.private:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if role_of(request.user, page.org) is None:
            raise Http404("No such status page.")
    return _snapshot(page)


def _serve(request: HttpRequest, page: StatusPage | None, rest: str) -> HttpResponse:
    snapshot = _readable_snapshot(request, page)
    if isinstance(snapshot, HttpResponse):
        return snapshot
    key = rest.strip("/")
    query = request.META.get("QUERY_STRING")
    document = (query and snapshot.documents.get(f"{key}?{query}")) or snapshot.documents.get(key)
    if document is None:
        raise Http404("No such document on this status page.")
    if request.headers.get("If-None-Match") == document.etag:
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(document.body, content_type=document.content_type)
    for name, value in document.headers:
        response[name] = value
    # Django denies framing to everything; the embed view is made to be framed.
    response.xframe_options_exempt = key in FRAMABLE
    return _cacheable(response, document.etag, snapshot)


def _cacheable(response: HttpResponse, etag: str, snapshot: Snapshot) -> HttpResponse:
    response["ETag"] = etag
    response["Last-Modified"] = snapshot.last_modified
    if snapshot.private:
        response["Cache-Control"] = "private, no-cache"
        patch_vary_headers(response, ["Cookie"])
    else:
        response["Cache-Control"] = store.cache_control()
        response["Access-Control-Allow-Origin"] = "*"
    return response


# --- Badges with a query the snapshot has no variant for (``?label=...``) ------------------


def page_badge(request: HttpRequest, slug: str, code: str | None = None) -> HttpResponse:
    # A public page's snapshot is found by its slug without a query.
    served = store.by_slug(slug)
    snapshot = None if served is None else served.snapshot
    if snapshot is None:
        page = StatusPage.objects.filter(slug=slug).select_related("org").first()
        snapshot = _readable_snapshot(request, page)
        if isinstance(snapshot, HttpResponse):
            return snapshot
    return _badge(request, snapshot, code)


def domain_badge(request: HttpRequest, code: str | None = None) -> HttpResponse:
    served = store.by_host(request_host(request))
    snapshot = None if served is None else served.snapshot
    if snapshot is None:
        page = verified_domain_pages(StatusPage.objects, request).select_related("org").first()
        snapshot = _readable_snapshot(request, page)
        if isinstance(snapshot, HttpResponse):
            return snapshot
    return _badge(request, snapshot, code)


def _badge(request: HttpRequest, snapshot: Snapshot, code: str | None) -> HttpResponse:
    data_document = snapshot.documents.get(WIDGET_DATA)
    if data_document is None:
        raise Http404("No badge for this page yet.")
    label = request.GET.get("label")
    style = request.GET.get("style", DEFAULT_STYLE)
    label = None if label is None else clean_label(label)
    body = badge_for(json.loads(data_document.body), code, style=style, label=label)
    if body is None:
        raise Http404("No such component on this status page.")
    etag = f'"{hashlib.blake2b(body, digest_size=12).hexdigest()}"'
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(body, content_type="image/svg+xml")
        response["X-Content-Type-Options"] = "nosniff"
    return _cacheable(response, etag, snapshot)


# --- The script widget (the fast path serves it; this is for Django on its own) -------------


def widget_js(request: HttpRequest) -> HttpResponse:
    document, _ = widget_document()
    if request.headers.get("If-None-Match") == document.etag:
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(document.body, content_type=document.content_type)
    response["ETag"] = document.etag
    response["Cache-Control"] = WIDGET_CACHE_CONTROL
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _snapshot(page: StatusPage) -> Snapshot:
    """What this process serves of the page, else the stored version, else (a page whose
    first build has not finished yet) a build now."""
    snapshot = store.snapshot_of(page.code)
    if snapshot is None:
        snapshot = latest_snapshot(page.code)
        if snapshot is not None:
            store.install(snapshot)
    if snapshot is None or snapshot.slug != page.slug or snapshot.private != page.private:
        snapshot = build_snapshot(page)
    return snapshot
