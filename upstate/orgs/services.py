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

from upstate.lib import apikeys
from upstate.lib.errors import InvalidInput
from upstate.orgs.models import ApiKey, Membership, Organization, Role

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,58}[a-z0-9])?$")
# Writing last_used_at on every request would turn reads into writes.
LAST_USED_GRANULARITY = timedelta(minutes=1)


@transaction.atomic
def create_org(*, slug: str, name: str) -> Organization:
    slug = (slug or "").strip().lower()
    if not SLUG_RE.match(slug):
        raise InvalidInput("slug", "use 1-60 lowercase letters, digits and hyphens")
    if Organization.objects.filter(slug=slug).exists():
        raise InvalidInput("slug", "is already taken")
    if not (name or "").strip():
        raise InvalidInput("name", "must not be empty")
    return Organization.objects.create(slug=slug, name=name.strip()[:120])


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
    membership, _ = Membership.objects.update_or_create(org=org, user=user, defaults={"role": role})
    return membership


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


def revoke_api_key(*, key: ApiKey) -> None:
    ApiKey.objects.filter(id=key.id, revoked_at=None).update(revoked_at=timezone.now())


def role_of(user: AbstractBaseUser, org: Organization) -> Role | None:
    membership = Membership.objects.filter(org=org, user=user).only("role").first()
    return Role(membership.role) if membership else None
