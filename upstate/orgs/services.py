"""State changes of organizations, members and API keys."""

from __future__ import annotations

import re
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from upstate.audit.services import record
from upstate.lib import apikeys
from upstate.lib.errors import InvalidInput
from upstate.orgs.models import ApiKey, Membership, Organization, Role

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,58}[a-z0-9])?$")
# Organizations live at /dashboard/<slug>/, next to these dashboard routes (and a few kept for
# routes to come); a test checks that every fixed first segment of the dashboard is here.
RESERVED_SLUGS = frozenset(
    {
        "login",
        "logout",
        "password-reset",
        "account",
        "admin",
        "api",
        "invite",
        "new",
        "settings",
        "signup",
        "static",
    }
)
# Writing last_used_at on every request would turn reads into writes.
LAST_USED_GRANULARITY = timedelta(minutes=1)


@transaction.atomic
def create_org(*, slug: str, name: str) -> Organization:
    slug = (slug or "").strip().lower()
    if not SLUG_RE.match(slug):
        raise InvalidInput("slug", "use 1-60 lowercase letters, digits and hyphens")
    if slug in RESERVED_SLUGS:
        raise InvalidInput("slug", f"“{slug}” is reserved for the dashboard; choose another")
    if Organization.objects.filter(slug=slug).exists():
        raise InvalidInput("slug", "is already taken")
    if not (name or "").strip():
        raise InvalidInput("name", "must not be empty")
    org = Organization.objects.create(slug=slug, name=name.strip()[:120])
    record(org=org, action="org.created", target=org)
    return org


@transaction.atomic
def add_member(
    *, org: Organization, email: str, role: str, password: str | None = None
) -> Membership:
    """Adds the user with this email (created when new) to the organization."""
    try:
        validate_email(email)
    except ValidationError as exc:
        raise InvalidInput("email", "is not a valid email address") from exc
    if role not in Role.values:
        raise InvalidInput("role", f"must be one of {', '.join(Role.values)}")
    user_model = get_user_model()
    user = user_model.objects.filter(email__iexact=email).first()
    if user is None:
        user = user_model.objects.create_user(username=email.lower(), email=email.lower())
    if password:
        user.set_password(password)
        user.save()
    previous = Membership.objects.filter(org=org, user=user).values_list("role", flat=True).first()
    membership, _ = Membership.objects.update_or_create(org=org, user=user, defaults={"role": role})
    if previous is None:
        record(org=org, action="member.added", target=membership, details={"role": role})
    elif previous != role:
        details = {"role": [previous, role]}
        record(org=org, action="member.role_changed", target=membership, details=details)
    return membership


def _keeps_an_owner(membership: Membership, new_role: str | None) -> None:
    if membership.role != Role.OWNER or new_role == Role.OWNER:
        return
    owners = Membership.objects.filter(org_id=membership.org_id, role=Role.OWNER)
    if not owners.exclude(id=membership.id).exists():
        raise InvalidInput("role", "an organization needs at least one owner")


@transaction.atomic
def change_member_role(*, membership: Membership, role: str) -> Membership:
    if role not in Role.values:
        raise InvalidInput("role", f"must be one of {', '.join(Role.values)}")
    membership = Membership.objects.select_for_update().select_related("user").get(id=membership.id)
    if membership.role == role:
        return membership
    _keeps_an_owner(membership, role)
    details = {"role": [membership.role, role]}
    membership.role = role
    membership.save(update_fields=["role"])
    record(org=membership.org_id, action="member.role_changed", target=membership, details=details)
    return membership


@transaction.atomic
def remove_member(*, membership: Membership) -> None:
    """Removes the user from the organization; the user account itself stays."""
    membership = Membership.objects.select_for_update().select_related("user").get(id=membership.id)
    _keeps_an_owner(membership, None)
    details = {"role": membership.role}
    record(org=membership.org_id, action="member.removed", target=membership, details=details)
    membership.delete()


@transaction.atomic
def create_api_key(
    *, org: Organization, role: str = Role.RESPONDER, name: str = ""
) -> tuple[ApiKey, str]:
    """Returns the stored key and its plain text, which is never available again."""
    if role not in (Role.ADMIN, Role.RESPONDER, Role.VIEWER):
        raise InvalidInput("role", "must be admin, responder or viewer")
    new = apikeys.generate(settings.SECRET_KEY)
    key = ApiKey.objects.create(
        org=org, role=role, name=(name or "")[:100], lookup=new.lookup, digest=new.digest
    )
    record(org=org, action="apikey.created", target=key, details={"role": role})
    return key, new.key


def authenticate_api_key(raw: str) -> ApiKey | None:
    lookup = apikeys.split_lookup(raw.strip())
    if lookup is None:
        return None
    key = ApiKey.objects.select_related("org").filter(lookup=lookup, revoked_at=None).first()
    if key is None or not apikeys.matches(settings.SECRET_KEY, raw.strip(), key.digest):
        return None
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_GRANULARITY:
        ApiKey.objects.filter(id=key.id).update(last_used_at=now)
    return key


@transaction.atomic
def revoke_api_key(*, key: ApiKey) -> None:
    if ApiKey.objects.filter(id=key.id, revoked_at=None).update(revoked_at=timezone.now()):
        record(org=key.org_id, action="apikey.revoked", target=key)


def role_of(user: AbstractBaseUser, org: Organization) -> Role | None:
    membership = Membership.objects.filter(org=org, user=user).only("role").first()
    return Role(membership.role) if membership else None
