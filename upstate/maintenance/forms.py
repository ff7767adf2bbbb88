from __future__ import annotations

from typing import Any

from django import forms

from upstate.dashboard.formtext import AcceptedText
from upstate.maintenance.models import MaintenanceStatus
from upstate.pages.models import Component, StatusPage

LOCAL_INPUT = "%Y-%m-%dT%H:%M"


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self) -> None:
        super().__init__(format=LOCAL_INPUT)


class MaintenanceForm(AcceptedText, forms.Form):
    """The window is typed in the page's time zone (the view activates it)."""

    title = forms.CharField(
        max_length=255, help_text="What is being done, as customers will read it."
    )
    starts_at = forms.DateTimeField(
        label="Starts",
        widget=LocalDateTimeInput(),
        help_text="When the work begins, in the page's time zone.",
    )
    ends_at = forms.DateTimeField(
        label="Ends",
        widget=LocalDateTimeInput(),
        help_text="When the work is expected to be done; must be after the start.",
    )
    components = forms.ModelMultipleChoiceField(
        queryset=Component.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="These show 'under maintenance' while the work is in progress.",
    )
    message = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Details for customers, in Markdown: what changes, what to expect.",
    )
    auto_start = forms.BooleanField(
        required=False,
        initial=True,
        label="Start automatically",
        help_text="Move to 'in progress' at the start time without anyone clicking.",
    )
    auto_complete = forms.BooleanField(
        required=False,
        initial=True,
        label="Complete automatically",
        help_text="Move to 'completed' at the end time without anyone clicking.",
    )

    def __init__(self, *args: Any, page: StatusPage, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["components"].queryset = Component.objects.filter(page=page).order_by(
            "position", "id"
        )


class MaintenanceUpdateForm(AcceptedText, forms.Form):
    status = forms.ChoiceField(
        choices=MaintenanceStatus.choices,
        help_text="In progress puts the components under maintenance; completed releases them.",
    )
    message = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Optional note for customers, in Markdown; a standard sentence is used if empty.",
    )
