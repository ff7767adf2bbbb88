"""Which public page a request for a form behind the public page (subscribe, "having
trouble?") is about: by slug under ``/p/<slug>/``, or by the Host header on a custom domain;
and what the public page's frame needs to render that form's answer."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404, HttpRequest

from upstate.pages.models import StatusPage
from upstate.public.links import page_url


def public_page(request: HttpRequest, slug: str | None) -> StatusPage:
    pages = StatusPage.objects.select_related("org").filter(private=False)
    if slug is not None:
        page = pages.filter(slug=slug).first()
    else:
        page = verified_domain_pages(pages, request).first()
    if page is None:
        raise Http404("No such status page.")
    return page


def verified_domain_pages(
    pages: QuerySet[StatusPage], request: HttpRequest
) -> QuerySet[StatusPage]:
    """The page whose verified custom domain the request's Host names (none for every other
    host, among them this installation's own)."""
    return pages.filter(custom_domain=request_host(request), domain_verified_at__isnull=False)


def request_host(request: HttpRequest) -> str:
    """The Host header without its port, lowercase."""
    host = request.get_host().lower()
    if host.startswith("["):
        return host.split("]")[0] + "]"
    return host.split(":")[0]


def frame_context(request: HttpRequest, page: StatusPage, path: str) -> dict:
    """The context of the public page's frame (links relative to the page's root, under
    ``/p/<slug>/`` or on its custom domain) for a page rendered by Django at `path`."""
    return {
        "page": page,
        "root": f"/p/{page.slug}/" if request.path.startswith("/p/") else "/",
        "canonical": page_url(page),
        "accent": page.accent_color,
        "time_zone": page.time_zone,
        "path": path,
    }
