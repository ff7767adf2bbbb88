"""Dashboard screens for members and API keys."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from upstate.dashboard.access import Member, get_for_member, member_context
from upstate.dashboard.formerrors import apply_invalid
from upstate.lib.errors import InvalidInput
from upstate.orgs.forms import ApiKeyForm, InviteForm, RoleForm
from upstate.orgs.invites import send_invitation, set_password_url
from upstate.orgs.models import ApiKey, Membership, Role
from upstate.orgs.services import (
    add_member,
    change_member_role,
    create_api_key,
    remove_member,
    revoke_api_key,
)

log = logging.getLogger(__name__)
OWNER_ONLY = "Only an owner can give or take away the owner role."


def _members_context(member: Member, **extra: Any) -> dict[str, Any]:
    memberships = (
        Membership.objects.filter(org=member.org).select_related("user").order_by("user__email")
    )
    rows = [(m, RoleForm(initial={"role": m.role}, auto_id=f"id_{m.id}_%s")) for m in memberships]
    return {"rows": rows, "invite_form": InviteForm(), **extra}


def _membership(member: Member, email: str) -> Membership:
    membership = (
        Membership.objects.select_related("user", "org")
        .filter(org=member.org, user__email__iexact=email or "")
        .first()
    )
    if membership is None:
        raise Http404("No such member")
    return membership


@login_required
def member_list(request: HttpRequest, org_slug: str) -> HttpResponse:
    member = member_context(request, org_slug)
    return render(request, "orgs/members.html", _members_context(member))


@login_required
def member_invite(request: HttpRequest, org_slug: str) -> HttpResponse:
    member = member_context(request, org_slug, require="manage")
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email, role = form.cleaned_data["email"], form.cleaned_data["role"]
        if Membership.objects.filter(org=member.org, user__email__iexact=email).exists():
            form.add_error("email", "is already a member; change their role in the list")
        elif role == Role.OWNER and member.role != Role.OWNER:
            form.add_error("role", OWNER_ONLY)
        else:
            try:
                membership = add_member(org=member.org, email=email, role=role)
            except InvalidInput as exc:
                apply_invalid(form, exc)
            else:
                return _after_invite(request, member, membership)
    context = _members_context(member, invite_form=form)
    return render(request, "orgs/members.html", context, status=400 if form.errors else 200)


def _after_invite(request: HttpRequest, member: Member, membership: Membership) -> HttpResponse:
    email = membership.user.email
    try:
        send_invitation(membership=membership, invited_by=request.user.email)
    except Exception:  # the member exists either way; show the link instead of losing it
        log.exception("could not send the invitation to %s", email)
        link = (
            set_password_url(membership.user) if not membership.user.has_usable_password() else ""
        )
        context = {"membership": membership, "link": link}
        return render(request, "orgs/invite_not_sent.html", context)
    messages.success(
        request,
        f"Added {email} as {membership.get_role_display().lower()}; "
        "we emailed them a link to sign in.",
    )
    return redirect("dashboard:member-list", org_slug=member.org.slug)


@login_required
@require_POST
def member_role(request: HttpRequest, org_slug: str) -> HttpResponse:
    member = member_context(request, org_slug, require="manage")
    membership = _membership(member, request.POST.get("email", ""))
    form = RoleForm(request.POST)
    if form.is_valid():
        role = form.cleaned_data["role"]
        if Role.OWNER in (role, membership.role) and member.role != Role.OWNER:
            form.add_error("role", OWNER_ONLY)
        else:
            try:
                change_member_role(membership=membership, role=role)
            except InvalidInput as exc:
                apply_invalid(form, exc)
            else:
                messages.success(request, f"{membership.user.email} is now {role}.")
                return redirect("dashboard:member-list", org_slug=org_slug)
    for error in form.errors.get("role", []):
        messages.error(request, f"{membership.user.email}: {error}")
    context = _members_context(member)
    return render(request, "orgs/members.html", context, status=400)


@login_required
def member_remove(request: HttpRequest, org_slug: str) -> HttpResponse:
    member = member_context(request, org_slug, require="manage")
    email = request.POST.get("email") or request.GET.get("email", "")
    membership = _membership(member, email)
    error = ""
    if request.method == "POST":
        if membership.role == Role.OWNER and member.role != Role.OWNER:
            error = OWNER_ONLY
        else:
            try:
                remove_member(membership=membership)
            except InvalidInput as exc:
                error = exc.message
            else:
                messages.success(request, f"Removed {membership.user.email}.")
                return redirect("dashboard:member-list", org_slug=org_slug)
    context = {"membership": membership, "error": error}
    return render(request, "orgs/confirm_remove.html", context, status=400 if error else 200)


def _keys_context(member: Member, **extra: Any) -> dict[str, Any]:
    keys = ApiKey.objects.filter(org=member.org).order_by("revoked_at", "-created_at")
    return {"keys": keys, "form": ApiKeyForm(), "plain_key": None, **extra}


@login_required
def apikey_list(request: HttpRequest, org_slug: str) -> HttpResponse:
    member = member_context(request, org_slug)
    return render(request, "orgs/api_keys.html", _keys_context(member))


@login_required
@never_cache
def apikey_create(request: HttpRequest, org_slug: str) -> HttpResponse:
    """The plain key is in this one response only (never stored, never cached)."""
    member = member_context(request, org_slug, require="manage")
    form = ApiKeyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            key, plain = create_api_key(org=member.org, **form.cleaned_data)
        except InvalidInput as exc:
            apply_invalid(form, exc)
        else:
            context = _keys_context(member, plain_key=plain, new_key=key)
            return render(request, "orgs/api_keys.html", context)
    context = _keys_context(member, form=form)
    return render(request, "orgs/api_keys.html", context, status=400 if form.errors else 200)


@login_required
def apikey_revoke(request: HttpRequest, org_slug: str, code: str) -> HttpResponse:
    key, _ = get_for_member(
        request, ApiKey, org_slug=org_slug, require="manage", write="manage", code=code
    )
    if request.method == "POST":
        revoke_api_key(key=key)
        messages.success(request, f"Revoked the key “{key.name or key.code}”.")
        return redirect("dashboard:apikey-list", org_slug=org_slug)
    return render(request, "orgs/confirm_revoke.html", {"key": key})
