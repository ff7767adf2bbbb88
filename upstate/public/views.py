"""What the fast path leaves to Django: private pages (members only) and snapshots not yet on
disk. Both still serve snapshot bytes; nothing here renders a public template."""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotModified
from django.shortcuts import redirect
from django.utils.cache import patch_vary_headers

from upstate.orgs.services import role_of
from upstate.pages.models import StatusPage
from upstate.public.snapshot import Snapshot, build_snapshot, load_snapshot, page_file


def page_document(request: HttpRequest, slug: str, rest: str = "") -> HttpResponse:
    page = StatusPage.objects.filter(slug=slug).select_related("org").first()
    return _serve(request, page, rest)


def domain_document(request: HttpRequest, rest: str = "") -> HttpResponse:
    host = request.get_host().split(":")[0].lower()
    page = StatusPage.objects.filter(custom_domain=host).select_related("org").first()
    if page is None and not rest:
        return redirect("dashboard:home")
    return _serve(request, page, rest)


def _serve(request: HttpRequest, page: StatusPage | None, rest: str) -> HttpResponse:
    if page is None:
        raise Http404("No such status page.")
    if page.private:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if role_of(request.user, page.org) is None:
            raise Http404("No such status page.")
    snapshot = _snapshot(page)
    document = snapshot.documents.get(rest.strip("/"))
    if document is None:
        raise Http404("No such document on this status page.")
    if request.headers.get("If-None-Match") == document.etag:
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(document.body, content_type=document.content_type)
    response["ETag"] = document.etag
    response["Last-Modified"] = snapshot.last_modified
    if page.private:
        response["Cache-Control"] = "private, no-cache"
        patch_vary_headers(response, ["Cookie"])
    else:
        response["Cache-Control"] = "public, max-age=0, must-revalidate"
        response["Access-Control-Allow-Origin"] = "*"
    return response


def _snapshot(page: StatusPage) -> Snapshot:
    snapshot = load_snapshot(page_file(page.code))
    if snapshot is None or snapshot.slug != page.slug or snapshot.private != page.private:
        snapshot = build_snapshot(page)
    return snapshot
