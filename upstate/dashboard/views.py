"""The dashboard's own screens: the landing redirect and the page switcher."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from upstate.dashboard.access import member_context
from upstate.orgs.models import Membership
from upstate.pages.models import StatusPage

SESSION_PAGE = "dashboard-page:{org}"


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Straight to the first organization's overview; a page explaining it when there is none."""
    membership = (
        Membership.objects.filter(user=request.user).select_related("org").order_by("org__name")
    ).first()
    if membership is None:
        return render(request, "dashboard/no_org.html")
    return redirect("dashboard:overview", org_slug=membership.org.slug)


@login_required
def switch_page(request: HttpRequest, org_slug: str, page_slug: str) -> HttpResponse:
    """Remember the chosen status page and go back where the user was, on that page."""
    member = member_context(request, org_slug)
    page = get_object_or_404(StatusPage, org=member.org, slug=page_slug)
    previous = request.session.get(SESSION_PAGE.format(org=member.org.id))
    request.session[SESSION_PAGE.format(org=member.org.id)] = page.slug
    target = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = ""
    if not target.startswith(f"/dashboard/{org_slug}/"):
        return redirect("dashboard:overview", org_slug=org_slug)
    if previous and f"/pages/{previous}/" in target:
        target = target.replace(f"/pages/{previous}/", f"/pages/{page.slug}/", 1)
    return redirect(target)
