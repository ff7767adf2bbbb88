from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from upstate.lib.codes import new_code
from upstate.orgs.models import Organization
from upstate.pages.models import Component, ComponentStatus, StatusPage


class IncidentStatus(models.TextChoices):
    INVESTIGATING = "investigating", "Investigating"
    IDENTIFIED = "identified", "Identified"
    MONITORING = "monitoring", "Monitoring"
    RESOLVED = "resolved", "Resolved"
    POSTMORTEM = "postmortem", "Postmortem"

    @property
    def is_active(self) -> bool:
        return self not in (IncidentStatus.RESOLVED, IncidentStatus.POSTMORTEM)

    def suggested_next(self) -> IncidentStatus:
        """What the composer pre-selects after an update with this status."""
        order = [self.INVESTIGATING, self.IDENTIFIED, self.MONITORING, self.RESOLVED]
        if self not in order or self == self.RESOLVED:
            return IncidentStatus.RESOLVED
        return order[order.index(self) + 1]


ACTIVE_STATUSES = [s.value for s in IncidentStatus if s.is_active]


class Impact(models.TextChoices):
    NONE = "none", "None"
    MINOR = "minor", "Minor"
    MAJOR = "major", "Major"
    CRITICAL = "critical", "Critical"

    def component_status(self) -> ComponentStatus | None:
        """The status an incident of this impact gives its components; None leaves them as is."""
        return {
            Impact.NONE: None,
            Impact.MINOR: ComponentStatus.DEGRADED_PERFORMANCE,
            Impact.MAJOR: ComponentStatus.PARTIAL_OUTAGE,
            Impact.CRITICAL: ComponentStatus.MAJOR_OUTAGE,
        }[self]


class Severity(models.TextChoices):
    CRITICAL = "critical", "Critical"
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"

    @property
    def default_response_minutes(self) -> int:
        """The organization's response target until it sets its own (upstate.oncall)."""
        return {"critical": 5, "high": 60, "medium": 240, "low": 1440}[self.value]


class Category(models.TextChoices):
    OUTAGE = "outage", "Outage"
    SECURITY = "security", "Security"
    PERFORMANCE = "performance", "Performance"
    BUG = "bug", "Bug"
    INFRASTRUCTURE = "infrastructure", "Infrastructure"
    DATA = "data", "Data"


class Visibility(models.TextChoices):
    PUBLIC = "public", "Public"
    INTERNAL = "internal", "Internal"


class Source(models.TextChoices):
    PERSON = "person", "Person"
    API = "api", "API"
    MONITOR = "monitor", "Monitor"


class ResponseState(models.TextChoices):
    """The internal response, beside the public status: nobody has taken the incident yet,
    a responder has, or it is over."""

    TRIGGERED = "triggered", "Triggered"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved"


class Incident(models.Model):
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="incidents")
    page = models.ForeignKey(StatusPage, on_delete=models.CASCADE, related_name="incidents")
    code = models.CharField(max_length=12, unique=True, default=new_code, editable=False)
    title = models.CharField(max_length=255)
    # Copy of the latest update's status, kept because the page builder and the
    # pager query active incidents (see the partial index below).
    status = models.CharField(max_length=16, choices=IncidentStatus.choices)
    impact = models.CharField(max_length=10, choices=Impact.choices, default=Impact.MINOR)
    severity = models.CharField(max_length=10, choices=Severity.choices, blank=True)
    category = models.CharField(max_length=16, choices=Category.choices, blank=True)
    visibility = models.CharField(
        max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.PERSON)
    backfilled = models.BooleanField(default=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_incidents",
    )
    started_at = models.DateTimeField()  # triggered
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    monitoring_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    # Derived from acknowledged_at and resolved_at on every save (see `save`); stored because
    # lists filter on it and the escalation worker (upstate.paging.services.escalate_due)
    # reads triggered incidents (partial index below).
    response_state = models.CharField(
        max_length=12, choices=ResponseState.choices, default=ResponseState.TRIGGERED
    )
    # The id this object had on Atlassian Statuspage, kept by `upstate import statuspage` so
    # that importing again updates instead of duplicating; null for everything made here.
    statuspage_id = models.CharField(max_length=32, null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    components = models.ManyToManyField(Component, through="IncidentComponent")

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["org", "statuspage_id"], name="incident_one_statuspage_id"
            )
        ]
        indexes = [
            models.Index(
                fields=["page"],
                name="incident_active_by_page",
                condition=models.Q(resolved_at__isnull=True),
            ),
            models.Index(
                fields=["started_at"],
                name="incident_triggered",
                condition=models.Q(response_state="triggered"),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.response_state = self.derive_response_state()
        fields = kwargs.get("update_fields")
        if fields is not None:
            kwargs["update_fields"] = {*fields, "response_state"}
        super().save(*args, **kwargs)

    def derive_response_state(self) -> ResponseState:
        """Resolved once resolved (public status resolved or postmortem), else acknowledged
        once someone took it, else triggered. The one rule; `save` stores its answer."""
        if self.resolved_at is not None:
            return ResponseState.RESOLVED
        if self.acknowledged_at is not None:
            return ResponseState.ACKNOWLEDGED
        return ResponseState.TRIGGERED

    @property
    def is_active(self) -> bool:
        return IncidentStatus(self.status).is_active

    @property
    def is_public(self) -> bool:
        return self.visibility == Visibility.PUBLIC


class IncidentComponent(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="affected")
    component = models.ForeignKey(Component, on_delete=models.CASCADE, related_name="+")
    # Null follows the incident's impact; a value overrides it for this component.
    status_override = models.CharField(max_length=24, choices=ComponentStatus.choices, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["incident", "component"], name="one_affected_row")
        ]

    def asserted_status(self, impact: str) -> ComponentStatus | None:
        """The status this incident imposes on the component while it is active."""
        if self.status_override:
            return ComponentStatus(self.status_override)
        return Impact(impact).component_status()


class UpdateQuerySet(models.QuerySet):
    """Updates that can bring their component changes along (`with_changes`)."""

    _with_changes = False

    def with_changes(self) -> UpdateQuerySet:
        """Each update's component changes in one more query, kept as a plain list
        (`IncidentUpdate.component_changes`). Django's prefetch made a queryset per update and
        a query parameter per update id: most of a write's answer once a timeline is long
        (bench/write_storm.py). Also as the queryset of a `Prefetch`."""
        clone = self._chain()
        clone._with_changes = True
        return clone

    def _clone(self) -> UpdateQuerySet:
        clone = super()._clone()
        clone._with_changes = self._with_changes
        return clone

    def _fetch_all(self) -> None:
        fresh = self._result_cache is None
        super()._fetch_all()
        if fresh and self._with_changes and self._iterable_class is models.query.ModelIterable:
            _attach_changes(self._result_cache)


def _attach_changes(updates: list[IncidentUpdate]) -> None:
    # By incident, not by update: a handful of query parameters however long the timelines.
    incidents = {update.incident_id for update in updates}
    found: dict[int, list[UpdateComponentChange]] = {update.id: [] for update in updates}
    changes = UpdateComponentChange.objects.filter(update__incident_id__in=incidents)
    for change in changes.order_by("id"):
        if change.update_id in found:
            found[change.update_id].append(change)
    for update in updates:
        update.prefetched_changes = found[update.id]


class IncidentUpdate(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="updates")
    code = models.CharField(max_length=12, unique=True, default=new_code, editable=False)
    status = models.CharField(max_length=16, choices=IncidentStatus.choices)
    message = models.TextField(blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    notify = models.BooleanField(default=True)
    # The id this object had on Atlassian Statuspage, kept by `upstate import statuspage` so
    # that importing again updates instead of duplicating; null for everything made here.
    statuspage_id = models.CharField(max_length=32, null=True, blank=True, db_index=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    objects = UpdateQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "statuspage_id"], name="update_one_statuspage_id"
            )
        ]

    @property
    def component_changes(self) -> list[UpdateComponentChange]:
        """What the update changed; loaded with the update by `with_changes`, else queried."""
        prefetched = self.__dict__.get("prefetched_changes")
        return prefetched if prefetched is not None else list(self.changes.all())


class UpdateComponentChange(models.Model):
    """Which components an update changed, from what to what (kept if a component is deleted)."""

    update = models.ForeignKey(IncidentUpdate, on_delete=models.CASCADE, related_name="changes")
    component = models.ForeignKey(Component, null=True, on_delete=models.SET_NULL, related_name="+")
    component_code = models.CharField(max_length=12)
    name = models.CharField(max_length=255)
    old_status = models.CharField(max_length=24, choices=ComponentStatus.choices)
    new_status = models.CharField(max_length=24, choices=ComponentStatus.choices)


class PostmortemStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"


class PostmortemSection(models.TextChoices):
    """The texts a postmortem can hold; a template names, orders and prompts them."""

    SUMMARY = "summary", "Summary"
    IMPACT = "impact", "Impact"
    TIMELINE = "timeline", "Timeline"
    ROOT_CAUSE = "root_cause", "Root cause"
    RESOLUTION = "resolution", "Resolution"
    CORRECTIVE_ACTIONS = "corrective_actions", "Corrective actions"

    @property
    def default_prompt(self) -> str:
        return {
            "summary": "What happened, in two or three sentences. Markdown.",
            "impact": "Who was affected, how, and for how long. Markdown.",
            "timeline": "Key moments with times, e.g. “14:02 UTC alert fired”. Markdown.",
            "root_cause": "Why it happened. A summary or a root cause is needed to publish. "
            "Markdown.",
            "resolution": "What fixed it, and how the service was restored. Markdown.",
            "corrective_actions": "What will prevent a repeat; track each change as an action "
            "item (a task) below. Markdown.",
        }[self.value]


def default_sections() -> list[dict[str, str]]:
    """Every section, in the order a postmortem shows them unless its organization's
    template says otherwise."""
    return [
        {"key": s.value, "name": s.label, "prompt": s.default_prompt} for s in PostmortemSection
    ]


class PostmortemTemplate(models.Model):
    """An organization's postmortem sections: which, in what order, under what names and
    with what prompts. New postmortems copy it; the ones written before keep theirs."""

    org = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="postmortem_template"
    )
    # [{"key": PostmortemSection, "name": str, "prompt": str}, ...] in order; sections left
    # out are not offered.
    sections = models.JSONField(default=default_sections)
    updated_at = models.DateTimeField(auto_now=True)


class Postmortem(models.Model):
    incident = models.OneToOneField(Incident, on_delete=models.CASCADE, related_name="postmortem")
    title = models.CharField(max_length=255, blank=True)
    summary = models.TextField(blank=True)
    impact = models.TextField(blank=True)
    root_cause = models.TextField(blank=True)
    resolution = models.TextField(blank=True)
    corrective_actions = models.TextField(blank=True)
    timeline = models.TextField(blank=True)
    # The template's sections when the postmortem was started (see PostmortemTemplate);
    # empty for postmortems older than templates: they show `default_sections()`.
    sections = models.JSONField(default=list, blank=True)
    status = models.CharField(
        max_length=10, choices=PostmortemStatus.choices, default=PostmortemStatus.DRAFT
    )
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    @property
    def is_published(self) -> bool:
        return self.status == PostmortemStatus.PUBLISHED

    def section_list(self) -> list[dict[str, str]]:
        """The sections this postmortem shows, in order, each with its name and prompt."""
        return self.sections or default_sections()


class IncidentTemplate(models.Model):
    """A prepared incident or update (title, status, message, impact, components) that the
    declare form and the update composer fill in when chosen."""

    org = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="incident_templates"
    )
    # Null: offered on every page of the organization.
    page = models.ForeignKey(
        StatusPage,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="incident_templates",
    )
    code = models.CharField(max_length=12, unique=True, default=new_code, editable=False)
    name = models.CharField(max_length=120)
    # A heading the lists sort templates under ("Database", "Third parties"); optional.
    group = models.CharField(max_length=120, blank=True)
    title = models.CharField(max_length=255)
    status = models.CharField(
        max_length=16, choices=IncidentStatus.choices, default=IncidentStatus.INVESTIGATING
    )
    message = models.TextField(blank=True)
    impact = models.CharField(max_length=10, choices=Impact.choices, default=Impact.MINOR)
    notify = models.BooleanField(default=True)
    statuspage_id = models.CharField(max_length=32, null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["group", "name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["org", "name"], name="template_one_name"),
            models.UniqueConstraint(
                fields=["org", "statuspage_id"], name="template_one_statuspage_id"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class TemplateComponent(models.Model):
    template = models.ForeignKey(
        IncidentTemplate, on_delete=models.CASCADE, related_name="affected"
    )
    component = models.ForeignKey(Component, on_delete=models.CASCADE, related_name="+")
    # Empty follows the template's impact, as on an incident.
    status = models.CharField(max_length=24, choices=ComponentStatus.choices, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["template", "component"], name="one_template_component")
        ]
