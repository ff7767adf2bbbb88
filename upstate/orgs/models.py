from __future__ import annotations

from django.conf import settings
from django.db import models

from upstate.lib.codes import new_code


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    ADMIN = "admin", "Admin"
    RESPONDER = "responder", "Responder"
    VIEWER = "viewer", "Viewer"

    @property
    def can_respond(self) -> bool:
        """Declare, update and resolve incidents and maintenance."""
        return self in (Role.OWNER, Role.ADMIN, Role.RESPONDER)

    @property
    def can_manage(self) -> bool:
        """Change pages, components, members and keys."""
        return self in (Role.OWNER, Role.ADMIN)


class Organization(models.Model):
    code = models.CharField(max_length=12, unique=True, default=new_code, editable=False)
    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=120)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.slug


class Membership(models.Model):
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=12, choices=Role.choices, default=Role.VIEWER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["org", "user"], name="one_membership")]


class ApiKey(models.Model):
    """An organization-scoped key; only an HMAC digest of the secret is stored."""

    PREFIX = "up_"

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="api_keys")
    code = models.CharField(max_length=12, unique=True, default=new_code, editable=False)
    name = models.CharField(max_length=100, blank=True)
    role = models.CharField(max_length=12, choices=Role.choices, default=Role.RESPONDER)
    lookup = models.CharField(max_length=16, unique=True)
    digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.PREFIX}{self.lookup}_…"
