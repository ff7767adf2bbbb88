"""Which public page a request for a form behind the public page (subscribe, "having
trouble?") is about: by slug under ``/p/<slug>/``, or by the Host header on a custom domain."""

from __future__ import annotations

from django.http import Http404, HttpRequest

from upstate.pages.models import StatusPage


def public_page(request: HttpRequest, slug: str | None) -> StatusPage:
    pages = StatusPage.objects.select_related("org").filter(private=False)
    if slug is not None:
        page = pages.filter(slug=slug).first()
    else:
        page = pages.filter(custom_domain=request.get_host().split(":")[0].lower()).first()
    if page is None:
        raise Http404("No such status page.")
    return page
