from __future__ import annotations

from django.conf import settings
from django.db import models

from upstate.lib.codes import new_code
from upstate.orgs.models import Organization
from upstate.pages.models import Component, StatusPage


class MaintenanceStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    IN_PROGRESS = "in_progress", "In progress"
    VERIFYING = "verifying", "Verifying"
    COMPLETED = "completed", "Completed"

    @property
    def holds_components(self) -> bool:
        """While true, the maintenance puts its components under maintenance."""
        return self in (MaintenanceStatus.IN_PROGRESS, MaintenanceStatus.VERIFYING)


UNDERWAY_STATUSES = [s.value for s in MaintenanceStatus if s.holds_components]


class Maintenance(models.Model):
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="maintenances")
    page = models.ForeignKey(StatusPage, on_delete=models.CASCADE, related_name="maintenances")
    code = models.CharField(max_length=12, unique=True, default=new_code, editable=False)
    title = models.CharField(max_length=255)
    message = models.TextField(blank=True)
    status = models.CharField(
        max_length=12, choices=MaintenanceStatus.choices, default=MaintenanceStatus.SCHEDULED
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    auto_start = models.BooleanField(default=True)
    auto_complete = models.BooleanField(default=True)
    components = models.ManyToManyField(Component, related_name="maintenances", blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # The id this object had on Atlassian Statuspage, kept by `upstate import statuspage` so
    # that importing again updates instead of duplicating; null for everything made here.
    statuspage_id = models.CharField(max_length=32, null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["org", "statuspage_id"], name="maintenance_one_statuspage_id"
            )
        ]
        indexes = [
            # The worker's auto start/complete sweep looks only at unfinished maintenance.
            models.Index(
                fields=["starts_at"],
                name="maintenance_unfinished",
                condition=~models.Q(status="completed"),
            ),
        ]

    def __str__(self) -> str:
        return self.title


class MaintenanceUpdate(models.Model):
    maintenance = models.ForeignKey(Maintenance, on_delete=models.CASCADE, related_name="updates")
    code = models.CharField(max_length=12, unique=True, default=new_code, editable=False)
    status = models.CharField(max_length=12, choices=MaintenanceStatus.choices)
    message = models.TextField(blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    # The id this object had on Atlassian Statuspage, kept by `upstate import statuspage` so
    # that importing again updates instead of duplicating; null for everything made here.
    statuspage_id = models.CharField(max_length=32, null=True, blank=True, db_index=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["maintenance", "statuspage_id"],
                name="maintenance_update_one_statuspage_id",
            )
        ]
