"""Dashboard: a responder's own profile (their paging number), and the admins' paging
settings (teams, and which team each incident category pages)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from upstate.dashboard.access import Member, get_for_member, member_context
from upstate.dashboard.formerrors import apply_invalid
from upstate.incidents.models import Category
from upstate.lib.errors import InvalidInput
from upstate.oncall.services import target_minutes
from upstate.paging import services
from upstate.paging.forms import PhoneForm, RouteForm, TeamForm, TeamMembersForm
from upstate.paging.models import Profile, Route, Team


@login_required
def profile(request: HttpRequest, org_slug: str) -> HttpResponse:
    member = member_context(request, org_slug)
    stored = Profile.objects.filter(user=request.user).first()
    form = PhoneForm(request.POST or None, initial={"phone": stored.phone if stored else ""})
    if request.method == "POST" and form.is_valid():
        try:
            services.set_phone(user=request.user, phone=form.cleaned_data["phone"])
        except InvalidInput as exc:
            form.add_error("phone", exc.message)
        else:
            messages.success(request, "Your phone number is saved.")
            return redirect("dashboard:profile", org_slug=member.org.slug)
    context = {"form": form, "email": request.user.email}
    return render(request, "paging/profile.html", context, status=400 if form.errors else 200)


def _settings_context(member: Member, **forms: Any) -> dict[str, Any]:
    teams = list(Team.objects.filter(org=member.org).prefetch_related("members__user", "routes"))
    routes = {r.category: r.team for r in Route.objects.filter(org=member.org)}
    rows = [
        {
            "team": team,
            "form": TeamMembersForm(
                org=member.org,
                initial={
                    "members": list(team.members.all()),
                    "escalation_contact": team.escalation_contact_id,
                },
                auto_id=f"id_team_{team.code}_%s",
            ),
        }
        for team in teams
    ]
    categories = [(c, routes.get(c.value)) for c in Category]
    return {
        "rows": rows,
        "categories": categories,
        "team_form": forms.get("team_form") or TeamForm(org=member.org),
        "route_form": forms.get("route_form") or RouteForm(org=member.org),
        "targets": target_minutes(member.org),
    }


@login_required
def paging_settings(request: HttpRequest, org_slug: str) -> HttpResponse:
    member = member_context(request, org_slug, require="manage")
    return render(request, "paging/settings.html", _settings_context(member))


@login_required
@require_POST
def team_create(request: HttpRequest, org_slug: str) -> HttpResponse:
    member = member_context(request, org_slug, require="manage")
    form = TeamForm(request.POST, org=member.org)
    if form.is_valid():
        try:
            team = services.create_team(
                org=member.org, name=form.cleaned_data["name"], members=form.cleaned_data["members"]
            )
        except InvalidInput as exc:
            apply_invalid(form, exc)
        else:
            messages.success(request, f"Team “{team.name}” created.")
            return redirect("dashboard:paging-settings", org_slug=member.org.slug)
    context = _settings_context(member, team_form=form)
    return render(request, "paging/settings.html", context, status=400)


@login_required
@require_POST
def team_members(request: HttpRequest, org_slug: str, code: str) -> HttpResponse:
    team, _ = get_for_member(request, Team, org_slug=org_slug, code=code, require="manage")
    form = TeamMembersForm(request.POST, org=team.org)
    if not form.is_valid():
        messages.error(request, "Members: choose members of this organization.")
        return redirect("dashboard:paging-settings", org_slug=org_slug)
    services.change_team(
        team=team,
        members=list(form.cleaned_data["members"]),
        escalation_contact=form.cleaned_data["escalation_contact"],
    )
    messages.success(request, f"Team “{team.name}” saved.")
    return redirect("dashboard:paging-settings", org_slug=org_slug)


@login_required
@require_POST
def team_delete(request: HttpRequest, org_slug: str, code: str) -> HttpResponse:
    team, _ = get_for_member(request, Team, org_slug=org_slug, code=code, require="manage")
    services.delete_team(team=team)
    messages.success(request, f"Team “{team.name}” deleted; its categories page every responder.")
    return redirect("dashboard:paging-settings", org_slug=org_slug)


@login_required
@require_POST
def route_set(request: HttpRequest, org_slug: str) -> HttpResponse:
    member = member_context(request, org_slug, require="manage")
    form = RouteForm(request.POST, org=member.org)
    if form.is_valid():
        category, team = form.cleaned_data["category"], form.cleaned_data["team"]
        services.route_category(org=member.org, category=category, team=team)
        who = f"team “{team.name}”" if team else "every responder"
        messages.success(request, f"{Category(category).label} incidents now page {who}.")
        return redirect("dashboard:paging-settings", org_slug=member.org.slug)
    context = _settings_context(member, route_form=form)
    return render(request, "paging/settings.html", context, status=400)
