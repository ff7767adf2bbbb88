"""Dashboard form of an incident template; the rules live in template_services."""

from __future__ import annotations

from typing import Any

from django import forms

from upstate.dashboard.formtext import AcceptedText
from upstate.incidents import template_services as services
from upstate.incidents.forms import (
    COMPONENT_PREFIX,
    FOLLOW_IMPACT,
    POSTABLE_STATUSES,
    ComponentFieldsMixin,
)
from upstate.incidents.models import Impact, IncidentStatus, IncidentTemplate
from upstate.pages.models import Component, StatusPage


class TemplateForm(AcceptedText, ComponentFieldsMixin, forms.Form):
    blank_label = "Not affected"

    name = forms.CharField(
        max_length=120,
        help_text="What responders choose it by, e.g. “Payment provider outage”. Unique in "
        "the organization.",
    )
    group = forms.CharField(
        max_length=120,
        required=False,
        help_text="A heading to list it under, e.g. “Database” or “Third parties”.",
    )
    page = forms.ModelChoiceField(
        queryset=StatusPage.objects.none(),
        required=False,
        to_field_name="slug",
        empty_label="Every page",
        help_text="The page whose declare form and composer offer it; “Every page” offers it "
        "on all of them (then only the components of the page in use are filled in).",
    )
    title = forms.CharField(
        max_length=255,
        help_text="The incident title it fills in; responders can still edit it.",
    )
    status = forms.ChoiceField(
        choices=POSTABLE_STATUSES,
        initial=IncidentStatus.INVESTIGATING,
        help_text="The status it sets, e.g. investigating for a first notice, resolved for a "
        "closing note.",
    )
    impact = forms.ChoiceField(
        choices=Impact.choices,
        initial=Impact.MINOR,
        help_text="The impact it sets when declaring; affected components follow it unless "
        "a status is chosen for them below.",
    )
    message = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="The update customers read. Markdown: **bold**, lists, links.",
    )
    notify = forms.BooleanField(
        required=False,
        initial=True,
        label="Notify subscribers",
        help_text="Whether the notify box starts checked when the template is used.",
    )

    def __init__(self, *args: Any, pages: list[StatusPage], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["page"].queryset = StatusPage.objects.filter(id__in=[p.id for p in pages])
        self.fields["page"].label_from_instance = lambda p: p.name
        components = list(Component.objects.filter(page__in=pages).select_related("group", "page"))
        self.add_component_fields(components)
        if len(pages) > 1:
            for component in components:
                field = self.fields[f"component-{component.code}"]
                field.label = f"{component.page.name} · {component.display_name}"
        for component in components:
            field = self.fields[f"component-{component.code}"]
            field.help_text = "The status it gives this component when used."


def form_initial(template: IncidentTemplate) -> dict[str, Any]:
    """The form's initial values for editing `template`."""
    initial: dict[str, Any] = {
        key: getattr(template, key)
        for key in ("name", "group", "title", "status", "impact", "message", "notify")
    }
    initial["page"] = template.page.slug if template.page_id else None
    for row in template.affected.select_related("component"):
        initial[f"component-{row.component.code}"] = row.status or FOLLOW_IMPACT
    return initial


def filled_in(template: IncidentTemplate, page: StatusPage) -> dict[str, Any]:
    """Initial values of the declare form or the composer from `template`, with the
    template's components that are on `page`."""
    initial: dict[str, Any] = {
        key: getattr(template, key) for key in ("title", "status", "impact", "message", "notify")
    }
    for code, status in services.template_components(template, page).items():
        initial[f"{COMPONENT_PREFIX}{code}"] = status or FOLLOW_IMPACT
    return initial
