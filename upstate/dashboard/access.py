"""Tenant access for dashboard views: the one place that decides who may see and change what.

Every dashboard view that touches an organization's data goes through `member_context` (for
org-level screens) or `get_for_member` (for one object). Objects of organizations the user is
not a member of are answered with 404, never 403, so their existence does not leak; a member
without the needed role gets 403.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest

from upstate.orgs.models import Membership, Organization, Role

LEVELS = ("read", "respond", "manage")


@dataclass(frozen=True)
class Member:
    """The signed-in user as a member of one organization."""

    org: Organization
    role: Role
    user: Any

    @property
    def can_respond(self) -> bool:
        """May declare, update and resolve incidents and maintenance."""
        return self.role.can_respond

    @property
    def can_manage(self) -> bool:
        """May change pages, components, members, API keys and see the audit log."""
        return self.role.can_manage

    def allows(self, level: str) -> bool:
        """Whether the role reaches `level`: "read", "respond" or "manage"."""
        if level not in LEVELS:
            raise ValueError(f"unknown access level {level!r}")
        return level == "read" or (self.can_respond if level == "respond" else self.can_manage)


def member_context(request: HttpRequest, org_slug: str, *, require: str = "read") -> Member:
    """The signed-in user's membership in the organization `org_slug`.

    Raises Http404 when the organization does not exist or the user is not a member (or is
    anonymous: decorate views with `login_required` so anonymous users are redirected first),
    and PermissionDenied when the member's role does not reach `require` ("read", "respond",
    "manage"). The result is cached on `request.member`, which the layout uses for the org and
    page switchers and the navigation.
    """
    member = getattr(request, "member", None)
    if member is None or member.org.slug != org_slug:
        if not request.user.is_authenticated:
            raise Http404("No such organization")
        membership = (
            Membership.objects.select_related("org")
            .filter(org__slug=org_slug, user=request.user)
            .first()
        )
        if membership is None:
            raise Http404("No such organization")
        member = Member(org=membership.org, role=Role(membership.role), user=request.user)
        request.member = member  # type: ignore[attr-defined]
    if not member.allows(require):
        raise PermissionDenied("Your role does not allow this")
    return member


def get_for_member(
    request: HttpRequest,
    queryset_or_model: QuerySet | type[Model],
    *,
    org_slug: str,
    org_path: str = "org",
    require: str = "read",
    write: str = "respond",
    **lookup: Any,
) -> tuple[Any, bool]:
    """One object of the organization `org_slug`, and whether the caller may change it.

    - `org_path` is the lookup path from the object to its Organization ("org" for incidents
      and pages, "page__org" for components, "postmortem__incident__org" for action items).
    - `lookup` picks the object, e.g. `code=incident_code` (URLs carry codes and slugs, never
      primary keys).
    - `require` is the level needed to get the object at all: "read" (any member), "respond"
      (responders, admins, owners) or "manage" (admins, owners); below it, PermissionDenied.
    - `write` is the level that counts as writing for this kind of object: "respond" for
      incidents and maintenance, "manage" for pages, components, members and keys. The
      returned boolean says whether the caller reaches it (use it to hide write controls).

    Raises Http404 when the object does not exist, belongs to another organization, or the
    user is not a member of `org_slug`.
    """
    member = member_context(request, org_slug)
    queryset = (
        queryset_or_model._default_manager.all()
        if isinstance(queryset_or_model, type)
        else queryset_or_model
    )
    obj = queryset.filter(**{org_path: member.org}, **lookup).first()
    if obj is None:
        raise Http404("Not found")
    if not member.allows(require):
        raise PermissionDenied("Your role does not allow this")
    return obj, member.allows(write)
