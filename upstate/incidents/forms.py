"""Dashboard forms for incidents and postmortems. They only shape input; the rules live in
`upstate.incidents.services`, whose InvalidInput errors the views attach to these fields."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.utils import timezone

from upstate.dashboard.formtext import AcceptedText
from upstate.incidents.models import (
    Category,
    Impact,
    IncidentStatus,
    Severity,
    Visibility,
)
from upstate.pages.models import Component, ComponentStatus, StatusPage

POSTABLE_STATUSES = [(s.value, s.label) for s in IncidentStatus if s != IncidentStatus.POSTMORTEM]
FOLLOW_IMPACT = "impact"
COMPONENT_PREFIX = "component-"


def _component_choices(blank_label: str) -> list[tuple[str, str]]:
    return [("", blank_label), (FOLLOW_IMPACT, "Follows the impact"), *ComponentStatus.choices]


def _local(value: datetime | None, zone: str) -> datetime | None:
    """Read a datetime-local value (parsed as UTC wall-clock time) in the page's time zone."""
    if value is None:
        return None
    wall = timezone.localtime(value, ZoneInfo("UTC")).replace(tzinfo=None)
    return timezone.make_aware(wall, ZoneInfo(zone))


class ComponentFieldsMixin:
    """One select per component of a page: `component-<code>`, values "", "impact" or a
    component status."""

    blank_label = "No change"

    def add_component_fields(self, components: list[Component]) -> None:
        self.component_list = components
        for component in components:
            self.fields[f"{COMPONENT_PREFIX}{component.code}"] = forms.ChoiceField(
                label=component.display_name,
                choices=_component_choices(self.blank_label),
                required=False,
                help_text=component.description or "How this incident affects the component.",
            )

    def component_bound_fields(self) -> list[forms.BoundField]:
        return [self[f"{COMPONENT_PREFIX}{c.code}"] for c in self.component_list]

    def component_changes(self) -> dict[Component, str | None]:
        """The service's `components` argument: chosen components → status (None = impact)."""
        changes: dict[Component, str | None] = {}
        for component in self.component_list:
            value = self.cleaned_data.get(f"{COMPONENT_PREFIX}{component.code}")
            if value:
                changes[component] = None if value == FOLLOW_IMPACT else value
        return changes


class IncidentCreateForm(AcceptedText, ComponentFieldsMixin, forms.Form):
    blank_label = "Not affected"

    title = forms.CharField(
        max_length=255,
        help_text="What customers notice, e.g. “Checkout fails for some card payments”.",
    )
    page = forms.ModelChoiceField(
        queryset=StatusPage.objects.none(),
        to_field_name="slug",
        empty_label=None,
        help_text="The status page the incident appears on.",
    )
    status = forms.ChoiceField(
        choices=POSTABLE_STATUSES,
        initial=IncidentStatus.INVESTIGATING,
        help_text="Where the response stands; the timeline starts with it.",
    )
    impact = forms.ChoiceField(
        choices=Impact.choices,
        initial=Impact.MINOR,
        help_text="Sets the affected components' status: minor → degraded performance, "
        "major → partial outage, critical → major outage.",
    )
    severity = forms.ChoiceField(
        choices=[("", "Not set"), *Severity.choices],
        required=False,
        help_text="Internal urgency; sets the response target (by default critical 5 min … "
        "low 24 h). Asked only when the page shows severity (page settings).",
    )
    category = forms.ChoiceField(
        choices=[("", "Not set"), *Category.choices],
        required=False,
        help_text="Routes the incident to the team that handles this kind of problem.",
    )
    message = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="The first update customers read. Markdown: **bold**, lists, links.",
    )
    visibility = forms.ChoiceField(
        choices=Visibility.choices,
        initial=Visibility.PUBLIC,
        widget=forms.RadioSelect,
        help_text="Internal incidents never appear on the status page or notify subscribers.",
    )
    notify = forms.BooleanField(
        required=False,
        initial=True,
        label="Notify subscribers",
        help_text="Send this first update to the page's subscribers.",
    )
    acknowledge = forms.BooleanField(
        required=False,
        initial=True,
        label="I am on it (acknowledge)",
        help_text="Acknowledge the incident as you declare it and become its owner. Untick to "
        "leave it triggered: the routed team's on-call member is paged and made owner, and it "
        "is escalated if nobody acknowledges it within its severity's response target.",
    )
    started_at = forms.DateTimeField(
        required=False,
        label="Started at",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="Leave empty for now. In the page's time zone.",
    )
    resolved_at = forms.DateTimeField(
        required=False,
        label="Resolved at",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="Only for a past incident you are recording afterwards: it is created "
        "resolved, without notifying anyone.",
    )

    def __init__(self, *args: Any, pages: list[StatusPage], page: StatusPage | None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["page"].queryset = StatusPage.objects.filter(id__in=[p.id for p in pages])
        self.fields["page"].label_from_instance = lambda p: p.name
        if page is not None:
            self.fields["page"].initial = page.slug
        chosen = self._chosen_page(pages) or page
        self.chosen_page = chosen
        if chosen is not None and not chosen.show_severity:
            del self.fields["severity"]
        components = list(chosen.components.select_related("group")) if chosen else []
        self.add_component_fields(components)

    def _chosen_page(self, pages: list[StatusPage]) -> StatusPage | None:
        slug = self.data.get(self.add_prefix("page")) if self.is_bound else None
        return next((p for p in pages if p.slug == slug), None)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        page = data.get("page")
        if page is not None:
            for name in ("started_at", "resolved_at"):
                data[name] = _local(data.get(name), page.time_zone)
        if data.get("resolved_at") and not data.get("started_at"):
            self.add_error("started_at", "Give the start too when recording a past incident.")
        return data

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        kwargs = {
            key: data[key] for key in ("title", "page", "status", "impact", "category", "message")
        }
        kwargs.update(
            severity=data.get("severity", ""),
            visibility=data["visibility"],
            notify=data["notify"],
            acknowledge=data["acknowledge"],
            started_at=data.get("started_at"),
            resolved_at=data.get("resolved_at"),
            components=self.component_changes(),
        )
        return kwargs


class IncidentEditForm(AcceptedText, forms.Form):
    """An incident's details after it was declared; its timeline is left alone."""

    title = IncidentCreateForm.base_fields["title"]
    impact = forms.ChoiceField(
        choices=Impact.choices,
        help_text="The affected components follow it unless their status was set by hand.",
    )
    severity = IncidentCreateForm.base_fields["severity"]
    category = IncidentCreateForm.base_fields["category"]
    visibility = IncidentCreateForm.base_fields["visibility"]

    def __init__(self, *args: Any, page: StatusPage, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        visibility = self.fields["visibility"]
        visibility.help_text = "Internal incidents never appear on the status page."
        if not page.show_severity:
            del self.fields["severity"]

    def changes(self) -> dict[str, Any]:
        """The service's keyword arguments: only what the user changed."""
        return {name: self.cleaned_data[name] for name in self.changed_data}


class UpdateForm(AcceptedText, ComponentFieldsMixin, forms.Form):
    """The composer: a new timeline entry."""

    status = forms.ChoiceField(
        choices=POSTABLE_STATUSES,
        help_text="Pre-set to the next step; any status may be posted.",
    )
    message = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What changed and what happens next. Markdown. Ctrl+Enter (⌘+Enter) posts.",
    )
    notify = forms.BooleanField(
        required=False,
        initial=True,
        label="Notify subscribers",
        help_text="Uncheck for small corrections nobody needs an email about.",
    )

    def __init__(self, *args: Any, components: list[Component], suggested: str, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["status"].initial = suggested
        self.add_component_fields(components)


class ResolveForm(AcceptedText, forms.Form):
    message = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Optional closing note; empty posts “This incident has been resolved.”",
    )


class PostmortemForm(AcceptedText, forms.Form):
    """The postmortem's title and its sections' texts, named, ordered and prompted as the
    postmortem's sections say (its organization's template when it was started)."""

    title = forms.CharField(
        required=False,
        max_length=255,
        help_text="Defaults to the incident's title on the public page when empty.",
    )

    def __init__(self, *args: Any, sections: list[dict[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for section in sections:
            self.fields[section["key"]] = forms.CharField(
                required=False,
                label=section["name"],
                widget=forms.Textarea(attrs={"rows": 4}),
                help_text=section["prompt"],
            )
