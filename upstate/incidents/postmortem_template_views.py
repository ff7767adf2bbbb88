"""Organization settings: the postmortem template (admins and owners change it)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from upstate.dashboard.access import member_context
from upstate.incidents.postmortem_template_forms import PostmortemTemplateForm
from upstate.incidents.postmortem_template_services import (
    save_postmortem_template,
    sections_of,
)
from upstate.lib.errors import InvalidInput


@login_required
@require_http_methods(["GET", "POST"])
def postmortem_template(request: HttpRequest, org_slug: str) -> HttpResponse:
    """GET shows the sections (read-only below admin); POST replaces them."""
    level = "manage" if request.method == "POST" else "read"
    member = member_context(request, org_slug, require=level)
    data = request.POST if request.method == "POST" else None
    form = PostmortemTemplateForm(data, sections=sections_of(member.org))
    if form.is_bound and form.is_valid():
        try:
            save_postmortem_template(org=member.org, sections=form.sections())
        except InvalidInput as exc:
            form.add_error(None, f"{exc.field.replace('_', ' ')}: {exc.message}")
        else:
            messages.success(request, "Postmortem template saved; new postmortems use it.")
            return redirect("dashboard:postmortem-template", org_slug=org_slug)
    context = {"form": form, "can_write": member.can_manage}
    status = 400 if form.is_bound else 200
    return render(request, "incidents/postmortem_template.html", context, status=status)
