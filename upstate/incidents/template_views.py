"""Dashboard screens of incident templates: list, create, edit, delete (responders)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from upstate.dashboard.access import get_for_member, member_context
from upstate.dashboard.formerrors import apply_invalid
from upstate.incidents import template_services as services
from upstate.incidents.models import IncidentTemplate
from upstate.incidents.template_forms import TemplateForm, form_initial
from upstate.lib.errors import InvalidInput
from upstate.pages.models import StatusPage

ALIASES = {"page_id": "page", "components": "__all__"}


def _pages(org_id: int) -> list[StatusPage]:
    return list(StatusPage.objects.filter(org_id=org_id).order_by("name"))


def _fields(form: TemplateForm) -> dict[str, object]:
    data = form.cleaned_data
    keys = ("name", "group", "title", "status", "impact", "message", "notify", "page")
    return {key: data[key] for key in keys} | {"components": form.component_changes()}


@login_required
@require_GET
def template_list(request: HttpRequest, org_slug: str) -> HttpResponse:
    member = member_context(request, org_slug)
    templates = IncidentTemplate.objects.filter(org=member.org).select_related("page")
    context = {"templates": templates, "can_write": member.can_respond}
    return render(request, "incidents/template_list.html", context)


def _form_screen(
    request: HttpRequest,
    org_slug: str,
    form: TemplateForm,
    template: IncidentTemplate | None,
    save: Callable[..., object],
) -> HttpResponse:
    """The create and edit screens: `save` takes the form's fields."""
    if request.method == "POST" and form.is_valid():
        fields = _fields(form)
        try:
            save(**fields)
        except InvalidInput as exc:
            apply_invalid(form, exc, ALIASES)
        else:
            messages.success(request, f"Saved the template “{fields['name']}”.")
            return redirect("dashboard:template-list", org_slug=org_slug)
    status = 400 if form.is_bound else 200
    context = {"form": form, "template": template}
    return render(request, "incidents/template_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def template_create(request: HttpRequest, org_slug: str) -> HttpResponse:
    member = member_context(request, org_slug, require="respond")
    form = TemplateForm(request.POST or None, pages=_pages(member.org.id))
    save = partial(services.create_template, org=member.org)
    return _form_screen(request, org_slug, form, None, save)


@login_required
@require_http_methods(["GET", "POST"])
def template_edit(request: HttpRequest, org_slug: str, code: str) -> HttpResponse:
    template, _ = get_for_member(
        request, IncidentTemplate, org_slug=org_slug, require="respond", code=code
    )
    form = TemplateForm(
        request.POST or None, pages=_pages(template.org_id), initial=form_initial(template)
    )
    save = partial(services.change_template, template=template)
    return _form_screen(request, org_slug, form, template, save)


@login_required
@require_http_methods(["GET", "POST"])
def template_delete(request: HttpRequest, org_slug: str, code: str) -> HttpResponse:
    template, _ = get_for_member(
        request, IncidentTemplate, org_slug=org_slug, require="respond", code=code
    )
    if request.method == "POST":
        services.delete_template(template=template)
        messages.success(request, f"Deleted the template “{template.name}”.")
        return redirect("dashboard:template-list", org_slug=org_slug)
    return render(request, "incidents/template_delete.html", {"template": template})
