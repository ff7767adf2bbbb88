from __future__ import annotations

from functools import cache
from typing import Any
from zoneinfo import available_timezones

from django import forms

from upstate.dashboard.formtext import AcceptedText
from upstate.pages.models import KEYWORDS_MAX, ComponentGroup, ComponentStatus, StatusPage


@cache
def time_zone_choices() -> list[tuple[str, str]]:
    zones = sorted(available_timezones() | {"Etc/UTC"})
    return [(zone, zone.replace("_", " ")) for zone in zones]


class ComponentForm(AcceptedText, forms.Form):
    name = forms.CharField(max_length=120, help_text="As customers know it, e.g. “API” or “Login”.")
    description = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Optional one-liner shown on the public page under the name.",
    )
    keywords = forms.CharField(
        required=False,
        max_length=KEYWORDS_MAX,
        label="Words customers use for it",
        help_text="Comma-separated, e.g. “the bot, workspace app” for a Slack integration. "
        "Matching customer messages to incidents reads them; the public page does not show "
        "them.",
    )
    group = forms.ModelChoiceField(
        queryset=ComponentGroup.objects.none(),
        required=False,
        empty_label="No group",
        help_text="Groups fold related components together on the public page.",
    )
    baseline_status = forms.ChoiceField(
        choices=ComponentStatus.choices,
        initial=ComponentStatus.OPERATIONAL,
        label="Baseline status",
        help_text="What the component shows when no incident or maintenance touches it.",
    )
    only_show_if_degraded = forms.BooleanField(
        required=False,
        label="Only show when degraded",
        help_text="Hide it from the public page while it is operational.",
    )
    start_date = forms.DateField(
        required=False,
        label="In service since",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="The first day its uptime bars count. Leave empty to count from when it "
        "was added here; set it when you move an older service onto this page.",
    )

    def __init__(self, *args: Any, page: StatusPage, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = ComponentGroup.objects.filter(page=page)


class GroupForm(AcceptedText, forms.Form):
    name = forms.CharField(
        max_length=120, help_text="A heading for related components, e.g. “Europe”."
    )
    description = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Optional; shown when a visitor expands the group.",
    )


class PageCreateForm(AcceptedText, forms.Form):
    name = forms.CharField(
        max_length=120, help_text="Shown as the page's title, e.g. “Acme Status”."
    )
    slug = forms.CharField(
        max_length=60,
        help_text="The public address /p/<slug>/: lowercase letters, digits and hyphens.",
    )
    time_zone = forms.ChoiceField(
        choices=time_zone_choices,
        initial="Etc/UTC",
        help_text="Times on the public page and in maintenance windows use this zone.",
    )


class PageSettingsForm(PageCreateForm):
    description = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Optional introduction shown at the top of the public page.",
    )
    custom_domain = forms.CharField(
        required=False,
        max_length=253,
        help_text="Serve the page at its own host name, e.g. status.example.com, once a DNS "
        "TXT record proves it is yours; leave empty to use /p/<slug>/ only.",
    )
    logo_url = forms.URLField(
        required=False,
        label="Logo URL",
        assume_scheme="https",
        help_text="An https:// address of an image; the page shows the name when empty.",
    )
    accent_color = forms.CharField(
        max_length=7,
        label="Accent colour",
        widget=forms.TextInput(attrs={"pattern": "#[0-9a-fA-F]{6}", "placeholder": "#2563eb"}),
        help_text="Links and highlights, as a hex colour like #2563eb.",
    )
    support_url = forms.URLField(
        required=False,
        label="Support URL",
        assume_scheme="https",
        help_text="Optional link where customers can contact you.",
    )
    show_severity = forms.BooleanField(
        required=False,
        label="Show severity",
        help_text="Show each incident's severity as a coloured bar on the public page, and ask "
        "for it when declaring an incident.",
    )
    promise_postmortem = forms.BooleanField(
        required=False,
        label="Promise a postmortem",
        help_text="When an incident is resolved, the notice to subscribers says that a "
        "postmortem will follow and links to where it will be published.",
    )
    private = forms.BooleanField(
        required=False,
        label="Private page",
        help_text="Only signed-in members of this organization can open the page.",
    )

    field_order = [
        "name",
        "slug",
        "description",
        "custom_domain",
        "logo_url",
        "accent_color",
        "time_zone",
        "support_url",
        "show_severity",
        "promise_postmortem",
        "private",
    ]
