from __future__ import annotations

from django.db import models

from upstate.lib.codes import new_code
from upstate.orgs.models import Organization


class ComponentStatus(models.TextChoices):
    """Ordered from best to worst: the declaration order is the scale `worst()` uses."""

    OPERATIONAL = "operational", "Operational"
    UNDER_MAINTENANCE = "under_maintenance", "Under maintenance"
    DEGRADED_PERFORMANCE = "degraded_performance", "Degraded performance"
    PARTIAL_OUTAGE = "partial_outage", "Partial outage"
    MAJOR_OUTAGE = "major_outage", "Major outage"

    @property
    def rank(self) -> int:
        return _RANKS[self]

    @classmethod
    def worst(cls, statuses: list[ComponentStatus] | list[str]) -> ComponentStatus:
        """The worst of the given statuses; operational when there are none."""
        members = [cls(s) for s in statuses]
        return max(members, key=lambda s: s.rank, default=cls.OPERATIONAL)


# Looked up, not searched for: a build ranks statuses thousands of times (uptime bars).
_RANKS = {status: rank for rank, status in enumerate(ComponentStatus)}


class StatusPage(models.Model):
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="pages")
    code = models.CharField(max_length=12, unique=True, default=new_code, editable=False)
    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    # Served (and used in links) only once verified: several pages may claim a domain, one
    # proves it (upstate/pages/domains.py); the constraint below keeps it to one.
    custom_domain = models.CharField(max_length=253, null=True, blank=True, db_index=True)
    # The value of the TXT record that proves the domain; a new one with every new domain.
    domain_token = models.CharField(max_length=40, blank=True)
    domain_verified_at = models.DateTimeField(null=True, blank=True)
    domain_checked_at = models.DateTimeField(null=True, blank=True)
    domain_check_error = models.CharField(max_length=300, blank=True)
    logo_url = models.URLField(blank=True)
    accent_color = models.CharField(max_length=7, default="#2563eb")
    time_zone = models.CharField(max_length=64, default="Etc/UTC")
    show_severity = models.BooleanField(default=True)
    private = models.BooleanField(default=False)
    support_url = models.URLField(blank=True)
    # Resolution notices say that a postmortem will follow, at the incident's public address.
    promise_postmortem = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["custom_domain"],
                condition=models.Q(domain_verified_at__isnull=False),
                name="page_one_verified_domain",
            )
        ]

    def __str__(self) -> str:
        return self.slug

    @property
    def verified_domain(self) -> str | None:
        """The custom domain the page is served at and linked with, once proven."""
        return self.custom_domain if self.custom_domain and self.domain_verified_at else None


class ComponentGroup(models.Model):
    page = models.ForeignKey(StatusPage, on_delete=models.CASCADE, related_name="groups")
    code = models.CharField(max_length=12, unique=True, default=new_code, editable=False)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    position = models.PositiveIntegerField(default=0)
    # The id this object had on Atlassian Statuspage, kept by `upstate import statuspage` so
    # that importing again updates instead of duplicating; null for everything made here.
    statuspage_id = models.CharField(max_length=32, null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["page", "statuspage_id"], name="group_one_statuspage_id"
            )
        ]

    def __str__(self) -> str:
        return self.name


KEYWORDS_MAX = 500


class Component(models.Model):
    page = models.ForeignKey(StatusPage, on_delete=models.CASCADE, related_name="components")
    group = models.ForeignKey(
        ComponentGroup, on_delete=models.SET_NULL, null=True, blank=True, related_name="components"
    )
    code = models.CharField(max_length=12, unique=True, default=new_code, editable=False)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    # Other words customers use for it ("the bot" for a Slack app), comma-separated: incident
    # matching reads them; no public document shows them.
    keywords = models.CharField(max_length=KEYWORDS_MAX, blank=True)
    position = models.PositiveIntegerField(default=0)
    # What the component reports with no incident or maintenance touching it.
    baseline_status = models.CharField(
        max_length=24, choices=ComponentStatus.choices, default=ComponentStatus.OPERATIONAL
    )
    showcase = models.BooleanField(default=True)
    only_show_if_degraded = models.BooleanField(default=False)
    start_date = models.DateField(null=True, blank=True)
    # The id this object had on Atlassian Statuspage, kept by `upstate import statuspage` so
    # that importing again updates instead of duplicating; null for everything made here.
    statuspage_id = models.CharField(max_length=32, null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["page", "statuspage_id"], name="component_one_statuspage_id"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        """'Group - Child' as Statuspage names grouped components in updates."""
        return f"{self.group.name} - {self.name}" if self.group_id else self.name
