"""Dashboard: who is on call in each team (every member reads), the team's rotation and
overrides (admins change them), and the organization's response targets."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from upstate.dashboard.access import Member, get_for_member, member_context
from upstate.dashboard.formerrors import apply_invalid
from upstate.incidents.models import Severity
from upstate.lib.errors import InvalidInput
from upstate.oncall import services
from upstate.oncall.forms import OverrideForm, ResponseTargetsForm, RotationForm
from upstate.oncall.models import Override, Rotation
from upstate.paging.models import Team


def _rotation(team: Team) -> Rotation | None:
    return (
        Rotation.objects.filter(team=team)
        .select_related("team")
        .prefetch_related("slots__member__user")
        .first()
    )


def team_rows(member: Member) -> list[dict[str, Any]]:
    """Every team of the organization with who is on call now and next (None: no rotation)."""
    rows = []
    for team in Team.objects.filter(org=member.org):
        rotation = _rotation(team)
        now, following = services.now_and_next(rotation) if rotation else (None, None)
        rows.append({"team": team, "rotation": rotation, "now": now, "next": following})
    return rows


@login_required
@require_GET
def oncall_list(request: HttpRequest, org_slug: str) -> HttpResponse:
    member = member_context(request, org_slug)
    return render(request, "oncall/list.html", {"rows": team_rows(member)})


def _team(request: HttpRequest, org_slug: str, code: str, require: str = "read") -> Team:
    team, _ = get_for_member(
        request, Team.objects.select_related("org"), org_slug=org_slug, code=code, require=require
    )
    return team


def _team_context(request: HttpRequest, team: Team, **forms: Any) -> dict[str, Any]:
    member = member_context(request, team.org.slug)
    rotation = _rotation(team)
    now, following = services.now_and_next(rotation) if rotation else (None, None)
    overrides = (
        list(rotation.overrides.filter(ends_at__gt=timezone.now()).select_related("member__user"))
        if rotation
        else []
    )
    initial: dict[str, Any] = {}
    if rotation is not None:
        initial = {
            "members": "\n".join(s.member.user.email for s in rotation.slots.all()),
            "period": rotation.period,
            "handover_time": rotation.handover_time,
            "time_zone": rotation.time_zone,
            "starts_on": rotation.starts_on,
        }
    else:
        initial = {"starts_on": timezone.localdate()}
    zone = rotation.time_zone if rotation else "UTC"
    return {
        "team": team,
        "rotation": rotation,
        "now": now,
        "next": following,
        "overrides": overrides,
        "can_manage": member.can_manage,
        "rotation_form": forms.get("rotation_form")
        or RotationForm(org=team.org, initial=initial, auto_id="id_rotation_%s"),
        "override_form": forms.get("override_form")
        or OverrideForm(org=team.org, zone=zone, auto_id="id_override_%s"),
    }


@login_required
@require_GET
def team_oncall(request: HttpRequest, org_slug: str, code: str) -> HttpResponse:
    team = _team(request, org_slug, code)
    return render(request, "oncall/team.html", _team_context(request, team))


@login_required
@require_POST
def rotation_set(request: HttpRequest, org_slug: str, code: str) -> HttpResponse:
    team = _team(request, org_slug, code, require="manage")
    form = RotationForm(request.POST, org=team.org, auto_id="id_rotation_%s")
    if form.is_valid():
        try:
            services.set_rotation(team=team, **form.cleaned_data)
        except InvalidInput as exc:
            apply_invalid(form, exc)
        else:
            messages.success(request, f"Rotation of {team.name} saved.")
            return redirect("dashboard:oncall-team", org_slug=org_slug, code=code)
    context = _team_context(request, team, rotation_form=form)
    return render(request, "oncall/team.html", context, status=400)


@login_required
@require_POST
def rotation_delete(request: HttpRequest, org_slug: str, code: str) -> HttpResponse:
    team = _team(request, org_slug, code, require="manage")
    rotation = _rotation(team)
    if rotation is None:
        raise Http404("No rotation")
    services.delete_rotation(rotation=rotation)
    messages.success(request, f"Rotation of {team.name} removed: the whole team is paged.")
    return redirect("dashboard:oncall-team", org_slug=org_slug, code=code)


@login_required
@require_POST
def override_add(request: HttpRequest, org_slug: str, code: str) -> HttpResponse:
    team = _team(request, org_slug, code, require="manage")
    rotation = _rotation(team)
    if rotation is None:
        raise Http404("No rotation")
    form = OverrideForm(
        request.POST, org=team.org, zone=rotation.time_zone, auto_id="id_override_%s"
    )
    if form.is_valid():
        try:
            services.add_override(rotation=rotation, **form.cleaned_data)
        except InvalidInput as exc:
            apply_invalid(form, exc)
        else:
            who = form.cleaned_data["member"].user.email
            messages.success(request, f"Override added: {who}.")
            return redirect("dashboard:oncall-team", org_slug=org_slug, code=code)
    context = _team_context(request, team, override_form=form)
    return render(request, "oncall/team.html", context, status=400)


@login_required
@require_POST
def override_delete(request: HttpRequest, org_slug: str, code: str, override: str) -> HttpResponse:
    team = _team(request, org_slug, code, require="manage")
    found = Override.objects.filter(rotation__team=team, code=override).first()
    if found is None:
        raise Http404("No override")
    services.delete_override(override=found)
    messages.success(request, "Override removed.")
    return redirect("dashboard:oncall-team", org_slug=org_slug, code=code)


@login_required
@require_http_methods(["GET", "POST"])
def response_targets(request: HttpRequest, org_slug: str) -> HttpResponse:
    """Every member reads the targets; admins change them."""
    member = member_context(request, org_slug)
    current = services.target_minutes(member.org)
    if request.method == "POST":
        member = member_context(request, org_slug, require="manage")
        form = ResponseTargetsForm(request.POST)
        if form.is_valid():
            try:
                services.set_response_targets(org=member.org, **form.cleaned_data)
            except InvalidInput as exc:
                apply_invalid(form, exc, {f"{s}_minutes": s for s in Severity.values})
            else:
                messages.success(request, "Response targets saved.")
                return redirect("dashboard:response-targets", org_slug=org_slug)
    else:
        form = ResponseTargetsForm(initial=current)
    if not member.can_manage:
        for field in form.fields.values():
            field.disabled = True
    context = {"form": form, "severities": list(Severity), "can_manage": member.can_manage}
    return render(
        request, "oncall/response_targets.html", context, status=400 if form.errors else 200
    )
