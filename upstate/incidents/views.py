"""The responder dashboard's incident screens: one action per view, rules in services."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Case, IntegerField, Prefetch, QuerySet, Value, When
from django.forms import BaseFormSet, Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from upstate.dashboard.access import Member, get_for_member, member_context
from upstate.dashboard.context import current_page
from upstate.dashboard.live import polled
from upstate.incidents import live, services
from upstate.incidents.forms import (
    COMPONENT_PREFIX,
    IncidentCreateForm,
    IncidentEditForm,
    PostmortemForm,
    ResolveForm,
    UpdateForm,
)
from upstate.incidents.models import (
    ACTIVE_STATUSES,
    Category,
    Incident,
    IncidentStatus,
    IncidentTemplate,
    IncidentUpdate,
    Postmortem,
    ResponseState,
    Severity,
    UpdateComponentChange,
)
from upstate.incidents.template_forms import filled_in
from upstate.incidents.template_services import templates_for
from upstate.lib.errors import InvalidInput
from upstate.orgs.models import Membership
from upstate.pages.health import component_statuses
from upstate.pages.models import StatusPage
from upstate.tasks.forms import ActionItemFormSet, action_items_payload, initial_rows

RESOLVED_MESSAGE = "This incident has been resolved."
PER_PAGE = 50
STATE_FILTERS = [("", "Any state"), ("active", "Active"), ("closed", "Resolved or postmortem")]


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _apply_invalid(form: Form, exc: InvalidInput) -> None:
    """Attach a service's InvalidInput to the form field it names, else to the whole form."""
    field = exc.field
    if field.startswith("components."):
        field = COMPONENT_PREFIX + field.split(".", 1)[1]
    target = field if field in form.fields else None
    message = exc.message if target else f"{exc.field.replace('_', ' ')}: {exc.message}"
    form.add_error(target, message[:1].upper() + message[1:])


def _incident(
    request: HttpRequest, org_slug: str, code: str, *, require: str = "read"
) -> tuple[Incident, bool]:
    return get_for_member(
        request,
        Incident.objects.select_related("page", "owner"),
        org_slug=org_slug,
        require=require,
        code=code,
    )


def _pages(member: Member) -> list[StatusPage]:
    return list(StatusPage.objects.filter(org=member.org).order_by("name"))


# --- List --------------------------------------------------------------------------------


def _filtered(member: Member, params: dict[str, str]) -> QuerySet[Incident]:
    incidents = Incident.objects.filter(org=member.org).select_related("page", "owner")
    if params.get("page"):
        incidents = incidents.filter(page__slug=params["page"])
    state = params.get("state", "")
    if state == "active":
        incidents = incidents.filter(status__in=ACTIVE_STATUSES)
    elif state == "closed":
        incidents = incidents.exclude(status__in=ACTIVE_STATUSES)
    elif state in IncidentStatus.values:
        incidents = incidents.filter(status=state)
    if params.get("response") in ResponseState.values:
        incidents = incidents.filter(response_state=params["response"])
    if params.get("severity") in Severity.values:
        incidents = incidents.filter(severity=params["severity"])
    if params.get("category") in Category.values:
        incidents = incidents.filter(category=params["category"])
    if params.get("q", "").strip():
        incidents = incidents.filter(title__icontains=params["q"].strip())
    active_first = Case(
        When(status__in=ACTIVE_STATUSES, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    return incidents.order_by(active_first, "-started_at", "-id")


@polled(live.list_version)
@login_required
@require_GET
def incident_list(request: HttpRequest, org_slug: str) -> HttpResponse:
    member = member_context(request, org_slug)
    names = ("page", "state", "response", "severity", "category", "q")
    params = {k: request.GET.get(k, "") for k in names}
    listing = Paginator(_filtered(member, params), PER_PAGE).get_page(request.GET.get("p"))
    query = request.GET.copy()
    query.pop("p", None)
    context = {
        "listing": listing,
        "params": params,
        "query": query.urlencode(),
        "pages": _pages(member),
        "states": STATE_FILTERS + [(s.value, s.label) for s in IncidentStatus],
        "responses": ResponseState.choices,
        "severities": Severity.choices,
        "categories": Category.choices,
        "live_headers": live.list_headers(member.org.id),
    }
    if _is_htmx(request) and request.headers.get("HX-Target") == "incident-results":
        return render(request, "incidents/_results.html", context)
    return render(request, "incidents/list.html", context)


# --- Create ------------------------------------------------------------------------------


def _create_form(request: HttpRequest, member: Member, data: Any = None) -> IncidentCreateForm:
    pages = _pages(member)
    page = current_page(request, pages)
    template = _chosen_template(request, IncidentTemplate.objects.filter(org=member.org))
    if data is None and template is not None:
        page = template.page or page
        initial = filled_in(template, page) if page else {}
        return IncidentCreateForm(pages=pages, page=page, initial=initial)
    return IncidentCreateForm(data, pages=pages, page=page)


def _chosen_template(
    request: HttpRequest, offered: QuerySet[IncidentTemplate]
) -> IncidentTemplate | None:
    """The template `?template=` names among those offered (another organization's code
    finds nothing)."""
    code = request.GET.get("template", "")
    return offered.select_related("page").filter(code=code).first() if code else None


@login_required
@require_http_methods(["GET", "POST"])
def incident_create(request: HttpRequest, org_slug: str) -> HttpResponse:
    member = member_context(request, org_slug, require="respond")
    form = _create_form(request, member, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            incident = services.create_incident(**form.service_kwargs(), author=request.user)
        except InvalidInput as exc:
            _apply_invalid(form, exc)
        else:
            messages.success(request, f"Incident declared: {incident.title}")
            return redirect("dashboard:incident-detail", org_slug=org_slug, code=incident.code)
    status = 400 if form.is_bound else 200
    context = {
        "form": form,
        "templates": IncidentTemplate.objects.filter(org=member.org),
        "chosen_template": request.GET.get("template", ""),
    }
    return render(request, "incidents/create.html", context, status=status)


@login_required
@require_GET
def incident_component_fields(request: HttpRequest, org_slug: str) -> HttpResponse:
    """The create form's component selects for the page chosen in it, and its severity select
    (shown when that page shows severity), which htmx swaps in."""
    member = member_context(request, org_slug, require="respond")
    form = _create_form(request, member)
    context = {"form": form, "oob": True}
    return render(request, "incidents/_create_components.html", context)


@login_required
@require_POST
def update_preview(request: HttpRequest, org_slug: str) -> HttpResponse:
    """How a message will look on the public page: `?field=` names the POSTed text."""
    member_context(request, org_slug, require="respond")
    field = request.GET.get("field", "message")
    # The composer's fields carry a form prefix ("update-status").
    status = next((v for k, v in request.POST.items() if k.split("-")[-1] == "status"), "")
    context = {
        "text": request.POST.get(field, ""),
        "status_label": IncidentStatus(status).label if status in IncidentStatus.values else "",
    }
    return render(request, "incidents/_preview.html", context)


# --- One incident ------------------------------------------------------------------------


def _composer(
    incident: Incident, data: Any = None, template: IncidentTemplate | None = None
) -> UpdateForm:
    components = list(incident.page.components.select_related("group"))
    affected = set(incident.affected.values_list("component_id", flat=True))
    components.sort(key=lambda c: c.id not in affected)
    suggested = IncidentStatus(incident.status).suggested_next()
    initial = filled_in(template, incident.page) if template is not None else None
    return UpdateForm(
        data, components=components, suggested=suggested, prefix="update", initial=initial
    )


def _detail_context(incident: Incident, can_write: bool, **forms: Any) -> dict[str, Any]:
    updates = incident.updates.select_related("author").prefetch_related(
        Prefetch("changes", queryset=UpdateComponentChange.objects.order_by("name"))
    )
    statuses = component_statuses(incident.page)
    affected = [
        (row.component, row.asserted_status(incident.impact), statuses.get(row.component_id))
        for row in incident.affected.select_related("component__group")
    ]
    postmortem = Postmortem.objects.filter(incident=incident).first()
    context = {
        "incident": incident,
        "can_write": can_write,
        "updates": updates,
        "affected": affected,
        "postmortem": postmortem,
        "composer": forms.get("composer") or (_composer(incident) if can_write else None),
        "resolve_form": forms.get("resolve_form") or ResolveForm(prefix="resolve"),
        "live_headers": live.room_headers(incident, can_write),
        "templates": templates_for(incident.page) if can_write else [],
        "chosen_template": forms.get("chosen_template", ""),
    }
    return context


@polled(live.room_version)
@login_required
@require_GET
def incident_detail(request: HttpRequest, org_slug: str, code: str) -> HttpResponse:
    incident, can_write = _incident(request, org_slug, code)
    template = _chosen_template(request, templates_for(incident.page)) if can_write else None
    if template is None:
        return render(request, "incidents/detail.html", _detail_context(incident, can_write))
    composer = _composer(incident, template=template)
    context = _detail_context(incident, True, composer=composer, chosen_template=template.code)
    return render(request, "incidents/detail.html", context)


@login_required
@require_POST
def incident_post_update(request: HttpRequest, org_slug: str, code: str) -> HttpResponse:
    """The composer's submit; htmx gets the refreshed incident body back."""
    incident, _ = _incident(request, org_slug, code, require="respond")
    composer = _composer(incident, request.POST)
    posted: IncidentUpdate | None = None
    if composer.is_valid():
        try:
            posted = services.post_update(
                incident=incident,
                status=composer.cleaned_data["status"],
                message=composer.cleaned_data["message"],
                components=composer.component_changes(),
                notify=composer.cleaned_data["notify"],
                author=request.user,
            )
        except InvalidInput as exc:
            _apply_invalid(composer, exc)
    if posted is not None and not _is_htmx(request):
        messages.success(request, f"Update posted: {posted.get_status_display()}")
        return redirect("dashboard:incident-detail", org_slug=org_slug, code=code)
    if posted is not None:
        context = _detail_context(incident, True)
        context["just_posted"] = posted
        return render(request, "incidents/_incident.html", context)
    context = _detail_context(incident, True, composer=composer)
    template = "incidents/_incident.html" if _is_htmx(request) else "incidents/detail.html"
    return render(request, template, context, status=400)


EDITABLE = ("title", "impact", "severity", "category", "visibility")


@login_required
@require_http_methods(["GET", "POST"])
def incident_edit(request: HttpRequest, org_slug: str, code: str) -> HttpResponse:
    """Title, impact, severity, category and visibility; nothing is posted to the timeline."""
    incident, _ = _incident(request, org_slug, code, require="respond")
    initial = {name: getattr(incident, name) for name in EDITABLE}
    data = request.POST if request.method == "POST" else None
    form = IncidentEditForm(data, initial=initial, page=incident.page)
    if form.is_bound and form.is_valid():
        changes = form.changes()
        try:
            if changes:
                services.change_incident(incident=incident, **changes)
        except InvalidInput as exc:
            incident.refresh_from_db()  # the service may have set attributes before refusing
            _apply_invalid(form, exc)
        else:
            messages.success(request, "Details saved." if changes else "Nothing changed.")
            return _back(org_slug, code)
    status = 400 if form.is_bound else 200
    context = {"incident": incident, "form": form}
    return render(request, "incidents/edit.html", context, status=status)


def _back(org_slug: str, code: str) -> HttpResponse:
    return redirect("dashboard:incident-detail", org_slug=org_slug, code=code)


@login_required
@require_POST
def incident_acknowledge(request: HttpRequest, org_slug: str, code: str) -> HttpResponse:
    incident, _ = _incident(request, org_slug, code, require="respond")
    services.acknowledge_incident(incident=incident, user=request.user)
    messages.success(request, "Acknowledged.")
    return _back(org_slug, code)


@login_required
@require_POST
def incident_take_ownership(request: HttpRequest, org_slug: str, code: str) -> HttpResponse:
    incident, _ = _incident(request, org_slug, code, require="respond")
    services.take_ownership(incident=incident, user=request.user)
    messages.success(request, "You own this incident now.")
    return _back(org_slug, code)


@login_required
@require_POST
def incident_resolve(request: HttpRequest, org_slug: str, code: str) -> HttpResponse:
    incident, _ = _incident(request, org_slug, code, require="respond")
    form = ResolveForm(request.POST, prefix="resolve")
    if form.is_valid():
        try:
            services.post_update(
                incident=incident,
                status=IncidentStatus.RESOLVED,
                message=form.cleaned_data["message"] or RESOLVED_MESSAGE,
                author=request.user,
            )
        except InvalidInput as exc:
            _apply_invalid(form, exc)
        else:
            messages.success(request, "Resolved. The components are back to their own status.")
            return _back(org_slug, code)
    context = _detail_context(incident, True, resolve_form=form)
    return render(request, "incidents/detail.html", context, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def incident_delete(request: HttpRequest, org_slug: str, code: str) -> HttpResponse:
    """GET asks for confirmation; POST deletes the incident everywhere."""
    incident, _ = _incident(request, org_slug, code, require="respond")
    if request.method == "POST":
        title = incident.title
        services.delete_incident(incident=incident)
        messages.success(request, f"Deleted “{title}” and its updates.")
        return redirect("dashboard:incident-list", org_slug=org_slug)
    return render(request, "incidents/delete.html", {"incident": incident})


# --- Postmortem --------------------------------------------------------------------------


def _postmortem_forms(
    incident: Incident, data: Any = None
) -> tuple[PostmortemForm, BaseFormSet, Postmortem | None]:
    postmortem = Postmortem.objects.filter(incident=incident).first()
    initial: dict[str, Any] = {}
    sections = services.template_sections(incident.org_id)
    if postmortem is not None:
        initial = {f: getattr(postmortem, f) for f in services.POSTMORTEM_FIELDS}
        sections = postmortem.section_list()
    tasks = list(incident.tasks.select_related("assignee__user"))
    members = list(
        Membership.objects.filter(org_id=incident.org_id)
        .select_related("user")
        .order_by("user__email")
    )
    form = PostmortemForm(data, initial=initial, prefix="pm", sections=sections)
    formset = ActionItemFormSet(data, initial=initial_rows(tasks), prefix="items", members=members)
    return form, formset, postmortem


def _save_postmortem(incident: Incident, form: PostmortemForm, formset: BaseFormSet) -> bool:
    """Validate and save; on InvalidInput the errors land on the forms and nothing is kept."""
    if not (form.is_valid() and formset.is_valid()):
        return False
    items, origin = action_items_payload(formset)
    try:
        services.save_postmortem(incident=incident, action_items=items, **form.cleaned_data)
    except InvalidInput as exc:
        _postmortem_error(form, formset, origin, exc)
        return False
    return True


def _postmortem_error(
    form: PostmortemForm, formset: BaseFormSet, origin: list[int], exc: InvalidInput
) -> None:
    parts = exc.field.split(".")
    if parts[0] == "action_items" and len(parts) == 3:
        row = formset.forms[origin[int(parts[1])]]
        row.add_error(parts[2] if parts[2] in row.fields else None, exc.message)
    else:
        _apply_invalid(form, exc)


def _postmortem_page(
    request: HttpRequest, incident: Incident, can_write: bool, forms: tuple, status: int = 200
) -> HttpResponse:
    form, formset, postmortem = forms
    sections = [
        {**section, "text": getattr(postmortem, section["key"], "")}
        for section in (postmortem.section_list() if postmortem else [])
    ]
    context = {
        "sections": sections,
        "tasks": list(incident.tasks.select_related("assignee__user")),
        "incident": incident,
        "can_write": can_write,
        "form": form,
        "formset": formset,
        "postmortem": postmortem,
    }
    return render(request, "incidents/postmortem.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def postmortem_edit(request: HttpRequest, org_slug: str, code: str) -> HttpResponse:
    """GET shows the editor (read-only for viewers); POST saves the draft."""
    require = "respond" if request.method == "POST" else "read"
    incident, can_write = _incident(request, org_slug, code, require=require)
    if request.method == "GET":
        return _postmortem_page(request, incident, can_write, _postmortem_forms(incident))
    form, formset, postmortem = _postmortem_forms(incident, request.POST)
    if not _save_postmortem(incident, form, formset):
        return _postmortem_page(request, incident, True, (form, formset, postmortem), 400)
    messages.success(request, "Postmortem saved.")
    return redirect("dashboard:postmortem-edit", org_slug=org_slug, code=code)


@login_required
@require_POST
def postmortem_publish(request: HttpRequest, org_slug: str, code: str) -> HttpResponse:
    """Save what is in the editor and publish it, both or neither."""
    incident, _ = _incident(request, org_slug, code, require="respond")
    form, formset, postmortem = _postmortem_forms(incident, request.POST)
    try:
        with transaction.atomic():
            if not _save_postmortem(incident, form, formset):
                raise _Unsaved
            services.publish_postmortem(incident=incident, author=request.user)
    except _Unsaved:
        return _postmortem_page(request, incident, True, (form, formset, postmortem), 400)
    except InvalidInput as exc:
        _apply_invalid(form, exc)
        return _postmortem_page(request, incident, True, (form, formset, postmortem), 400)
    messages.success(request, "Postmortem published; it is linked from the incident.")
    return redirect(reverse("dashboard:incident-detail", args=[org_slug, code]))


class _Unsaved(Exception):
    """Rolls back the publish transaction when the draft did not validate."""
