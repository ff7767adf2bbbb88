"""Who is paged for an incident: responders' phone numbers, teams, and which team answers
for which incident category."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from upstate.incidents.models import Category
from upstate.lib.codes import new_code
from upstate.orgs.models import Membership, Organization


class Profile(models.Model):
    """A person's paging contact, the same in every organization they belong to."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="paging_profile"
    )
    phone = models.CharField(max_length=16, blank=True)  # E.164
    updated_at = models.DateTimeField(auto_now=True)


class Team(models.Model):
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="teams")
    code = models.CharField(max_length=12, unique=True, default=new_code, editable=False)
    name = models.CharField(max_length=80)
    members = models.ManyToManyField(Membership, blank=True, related_name="teams")
    # Paged when an incident of the team stays unacknowledged past a second response target
    # (upstate.paging.services.escalate_due); without one, the organization's admins are.
    escalation_contact = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["org", "name"], name="one_team_name")]

    def __str__(self) -> str:
        return self.name


class Route(models.Model):
    """Incidents of `category` page `team`; unrouted categories page every responder."""

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="routes")
    category = models.CharField(max_length=16, choices=Category.choices)
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="routes")

    class Meta:
        ordering = ["category"]
        constraints = [
            models.UniqueConstraint(fields=["org", "category"], name="one_route_per_category")
        ]
