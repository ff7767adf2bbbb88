from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone

from upstate.orgs.models import ApiKey, Organization


class AuditEntry(models.Model):
    """Who did what to which object, when. Written by the services inside their transactions,
    so an entry exists exactly when its change was committed."""

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="audit_entries")
    # Kept as text so the entry still reads right after the user or key is gone.
    actor_label = models.CharField(max_length=200)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    api_key = models.ForeignKey(
        ApiKey, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=64)
    target_type = models.CharField(max_length=32, blank=True)
    target_code = models.CharField(max_length=64, blank=True)
    target_label = models.CharField(max_length=255, blank=True)
    details = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["org", "-created_at"], name="audit_org_recent")]

    def __str__(self) -> str:
        return f"{self.actor_label} {self.action} {self.target_label}".strip()
