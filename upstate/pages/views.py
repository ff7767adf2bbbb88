"""Dashboard screens for status pages: components and groups, page settings, new pages."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from upstate.dashboard.access import get_for_member, member_context
from upstate.dashboard.formerrors import apply_invalid
from upstate.lib.errors import InvalidInput
from upstate.pages import domains
from upstate.pages.forms import ComponentForm, GroupForm, PageCreateForm, PageSettingsForm
from upstate.pages.health import component_statuses
from upstate.pages.models import Component, ComponentGroup, StatusPage
from upstate.pages.services import (
    create_component,
    create_group,
    create_page,
    delete_component,
    delete_group,
    move_component,
    update_component,
    update_group,
    update_page,
)

COMPONENT_ALIASES = {"status": "baseline_status", "group_id": "group"}


def _page(request: HttpRequest, org_slug: str, page_slug: str, require: str = "read"):
    return get_for_member(
        request, StatusPage, org_slug=org_slug, require=require, write="manage", slug=page_slug
    )


def _component(request: HttpRequest, org_slug: str, page_slug: str, code: str) -> Component:
    queryset = Component.objects.select_related("page", "group")
    component, _ = get_for_member(
        request,
        queryset,
        org_slug=org_slug,
        org_path="page__org",
        require="manage",
        write="manage",
        code=code,
        page__slug=page_slug,
    )
    return component


def _group(request: HttpRequest, org_slug: str, page_slug: str, code: str) -> ComponentGroup:
    group, _ = get_for_member(
        request,
        ComponentGroup.objects.select_related("page"),
        org_slug=org_slug,
        org_path="page__org",
        require="manage",
        write="manage",
        code=code,
        page__slug=page_slug,
    )
    return group


def _sections(page: StatusPage) -> list[dict[str, Any]]:
    """Ungrouped components first, then each group with its components, each with its
    derived status right now."""
    statuses = component_statuses(page)
    groups = list(ComponentGroup.objects.filter(page=page))
    by_group: dict[int | None, list[Component]] = {None: [], **{g.id: [] for g in groups}}
    for component in Component.objects.filter(page=page).order_by("position", "id"):
        component.current_status = statuses.get(component.id)
        by_group.setdefault(component.group_id, []).append(component)
    sections = [{"group": None, "components": by_group[None]}]
    sections += [{"group": g, "components": by_group[g.id]} for g in groups]
    return sections


def _list_context(page: StatusPage, can_write: bool) -> dict[str, Any]:
    return {"page": page, "can_write": can_write, "sections": _sections(page)}


@login_required
def component_list(request: HttpRequest, org_slug: str, page_slug: str) -> HttpResponse:
    page, can_write = _page(request, org_slug, page_slug)
    context = {
        **_list_context(page, can_write),
        "form": ComponentForm(page=page),
        "group_form": GroupForm(),
    }
    return render(request, "pages/components.html", context)


def _component_form_page(
    request: HttpRequest, page: StatusPage, form: ComponentForm, component: Component | None
) -> HttpResponse:
    context = {"page": page, "form": form, "component": component}
    return render(request, "pages/component_form.html", context, status=400 if form.errors else 200)


@login_required
def component_create(request: HttpRequest, org_slug: str, page_slug: str) -> HttpResponse:
    page, _ = _page(request, org_slug, page_slug, require="manage")
    form = ComponentForm(request.POST or None, page=page)
    if request.method == "POST" and form.is_valid():
        try:
            component = create_component(page=page, **form.cleaned_data)
        except InvalidInput as exc:
            apply_invalid(form, exc, COMPONENT_ALIASES)
        else:
            messages.success(request, f"Added “{component.name}”.")
            return redirect("dashboard:component-list", org_slug=org_slug, page_slug=page_slug)
    return _component_form_page(request, page, form, None)


@login_required
def component_edit(request: HttpRequest, org_slug: str, page_slug: str, code: str) -> HttpResponse:
    component = _component(request, org_slug, page_slug, code)
    initial = {
        "name": component.name,
        "description": component.description,
        "group": component.group,
        "baseline_status": component.baseline_status,
        "only_show_if_degraded": component.only_show_if_degraded,
        "start_date": component.start_date,
        "keywords": component.keywords,
    }
    form = ComponentForm(request.POST or None, page=component.page, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            update_component(component=component, **form.cleaned_data)
        except InvalidInput as exc:
            apply_invalid(form, exc, COMPONENT_ALIASES)
        else:
            messages.success(request, f"Saved “{component.name}”.")
            return redirect("dashboard:component-list", org_slug=org_slug, page_slug=page_slug)
    return _component_form_page(request, component.page, form, component)


@login_required
@require_POST
def component_move(
    request: HttpRequest, org_slug: str, page_slug: str, code: str, direction: str
) -> HttpResponse:
    """Up/down; answers htmx with the refreshed list, a plain form post with a redirect."""
    if direction not in ("up", "down"):
        raise Http404("No such direction")
    component = _component(request, org_slug, page_slug, code)
    move_component(component=component, direction=direction)
    if request.headers.get("HX-Request"):
        context = _list_context(component.page, True)
        return render(request, "pages/_component_sections.html", context)
    return redirect("dashboard:component-list", org_slug=org_slug, page_slug=page_slug)


@login_required
def component_delete(
    request: HttpRequest, org_slug: str, page_slug: str, code: str
) -> HttpResponse:
    component = _component(request, org_slug, page_slug, code)
    if request.method == "POST":
        delete_component(component=component)
        messages.success(request, f"Deleted “{component.name}”.")
        return redirect("dashboard:component-list", org_slug=org_slug, page_slug=page_slug)
    context = {"object": component, "kind": "component", "page": component.page}
    return render(request, "pages/confirm_delete.html", context)


@login_required
def group_create(request: HttpRequest, org_slug: str, page_slug: str) -> HttpResponse:
    page, _ = _page(request, org_slug, page_slug, require="manage")
    form = GroupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            group = create_group(page=page, **form.cleaned_data)
        except InvalidInput as exc:
            apply_invalid(form, exc)
        else:
            messages.success(request, f"Added the group “{group.name}”.")
            return redirect("dashboard:component-list", org_slug=org_slug, page_slug=page_slug)
    context = {"page": page, "form": form, "group": None}
    return render(request, "pages/group_form.html", context, status=400 if form.errors else 200)


@login_required
def group_edit(request: HttpRequest, org_slug: str, page_slug: str, code: str) -> HttpResponse:
    group = _group(request, org_slug, page_slug, code)
    initial = {"name": group.name, "description": group.description}
    form = GroupForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            update_group(group=group, **form.cleaned_data)
        except InvalidInput as exc:
            apply_invalid(form, exc)
        else:
            messages.success(request, f"Saved the group “{group.name}”.")
            return redirect("dashboard:component-list", org_slug=org_slug, page_slug=page_slug)
    context = {"page": group.page, "form": form, "group": group}
    return render(request, "pages/group_form.html", context, status=400 if form.errors else 200)


@login_required
def group_delete(request: HttpRequest, org_slug: str, page_slug: str, code: str) -> HttpResponse:
    group = _group(request, org_slug, page_slug, code)
    if request.method == "POST":
        delete_group(group=group)
        messages.success(request, f"Deleted the group “{group.name}”; its components stay.")
        return redirect("dashboard:component-list", org_slug=org_slug, page_slug=page_slug)
    context = {"object": group, "kind": "group", "page": group.page}
    return render(request, "pages/confirm_delete.html", context)


def cname_target() -> str:
    """The host custom domains should point at: the host of PUBLIC_URL."""
    return urlsplit(settings.PUBLIC_URL).hostname or "localhost"


@login_required
def page_settings(request: HttpRequest, org_slug: str, page_slug: str) -> HttpResponse:
    page, can_write = _page(request, org_slug, page_slug)
    initial = {name: getattr(page, name) for name in PageSettingsForm.base_fields}
    form = PageSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST":
        member_context(request, org_slug, require="manage")
        if form.is_valid():
            try:
                update_page(page=page, **form.cleaned_data)
            except InvalidInput as exc:
                page.refresh_from_db()
                apply_invalid(form, exc)
            else:
                messages.success(request, "Page settings saved.")
                return redirect("dashboard:page-settings", org_slug=org_slug, page_slug=page.slug)
    context = {
        "page": page,
        "form": form,
        "can_write": can_write,
        "cname_target": cname_target(),
        "domain": _domain_context(page),
    }
    return render(request, "pages/settings.html", context, status=400 if form.errors else 200)


def _domain_context(page: StatusPage) -> dict[str, Any]:
    claimed = bool(page.custom_domain)
    return {
        "status": domains.status(page),
        "record_name": domains.challenge_name(page.custom_domain) if claimed else "",
        "record_value": domains.challenge_value(page.domain_token) if claimed else "",
    }


@login_required
@require_POST
def page_domain_check(request: HttpRequest, org_slug: str, page_slug: str) -> HttpResponse:
    """'Check now': the worker looks the domain's TXT record up at once."""
    page, _ = _page(request, org_slug, page_slug, require="manage")
    if page.custom_domain:
        domains.request_check(page=page)
        messages.info(request, f"Checking the DNS records of {page.custom_domain}.")
    return redirect("dashboard:page-settings", org_slug=org_slug, page_slug=page.slug)


@login_required
def page_create(request: HttpRequest, org_slug: str) -> HttpResponse:
    member = member_context(request, org_slug, require="manage")
    form = PageCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            page = create_page(org=member.org, **form.cleaned_data)
        except InvalidInput as exc:
            apply_invalid(form, exc)
        else:
            messages.success(request, f"Created “{page.name}”. Add its components next.")
            return redirect("dashboard:component-list", org_slug=org_slug, page_slug=page.slug)
    return render(
        request, "pages/page_create.html", {"form": form}, status=400 if form.errors else 200
    )
