"""Forms of the public subscription pages. Rules about addresses live in services.py; these
forms only turn them into messages next to the field they concern."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db import models

from upstate.dashboard.formtext import AcceptedText
from upstate.lib.errors import InvalidInput
from upstate.pages.models import Component
from upstate.subscribers import services
from upstate.subscribers.models import Channel

ADDRESS_HELP = (
    "Email: your email address. Webhook, Slack, Microsoft Teams, Discord: the incoming-webhook "
    "URL (https://...). SMS, WhatsApp: your number with its country code, e.g. +14155550100."
)


class Scope(models.TextChoices):
    ALL = "all", "Everything on this page"
    SOME = "some", "Only the components below"


class SubscribeForm(AcceptedText, forms.Form):
    channel = forms.ChoiceField(
        label="Send updates by",
        choices=Channel.choices,
        initial=Channel.EMAIL.value,
        widget=forms.RadioSelect,
        help_text=(
            "Email, SMS and WhatsApp send you a link to confirm first; webhooks and chat "
            "channels start at once."
        ),
    )
    address = forms.CharField(
        label="Address",
        max_length=500,
        help_text=ADDRESS_HELP,
        widget=forms.TextInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
    )
    scope = forms.ChoiceField(
        label="Tell me about",
        choices=Scope.choices,
        initial=Scope.ALL,
        widget=forms.RadioSelect,
        help_text="Incidents that name no component reach every subscriber.",
    )
    components = forms.MultipleChoiceField(
        label="Components",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Used when you choose 'Only the components below'.",
    )

    def __init__(
        self, *args: Any, components: list[Component], channels: list[Channel], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.page_components = components
        self.fields["channel"].choices = [(c.value, c.label) for c in channels]
        self.fields["components"].choices = [(c.code, c.display_name) for c in components]
        if not components:
            del self.fields["scope"], self.fields["components"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        channel = data.get("channel")
        if channel and "address" in data:
            try:
                data["address"] = services.clean_address(Channel(channel), data["address"])
            except InvalidInput as exc:
                self.add_error("address", exc.message)
        chosen: list[Component] = []
        if data.get("scope") == Scope.SOME:
            codes = set(data.get("components") or [])
            chosen = [c for c in self.page_components if c.code in codes]
            if not chosen:
                self.add_error("components", "choose at least one, or 'Everything on this page'")
        data["chosen"] = chosen
        return data

    def field_errors(self) -> list[str]:
        """'Address: must be an email address', one line per problem, for the summary."""
        return [
            f"{self[name].label if name in self.fields else name}: {message}"
            for name, messages in self.errors.items()
            for message in messages
        ]


class ManageForm(AcceptedText, forms.Form):
    components = forms.MultipleChoiceField(
        label="Notify me about",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Choose none to hear about everything on this page.",
    )

    def __init__(self, *args: Any, components: list[Component], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.page_components = components
        self.fields["components"].choices = [(c.code, c.display_name) for c in components]

    def chosen(self) -> list[Component]:
        codes = set(self.cleaned_data.get("components") or [])
        return [c for c in self.page_components if c.code in codes]


class ImportForm(AcceptedText, forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text=(
            "UTF-8 CSV with a header line naming at least the columns channel and address; "
            "an export of this screen works as it is. At most 1 MB."
        ),
    )
    confirmed = forms.BooleanField(
        label="These people already agreed to receive updates (skip the confirmation email)",
        required=False,
        help_text="Admins only. Otherwise every email address gets a confirmation link first.",
    )

    def __init__(self, *args: Any, allow_confirmed: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not allow_confirmed:
            del self.fields["confirmed"]


class ImportCommitForm(AcceptedText, forms.Form):
    """The previewed file, sent back with the confirming click; it is checked again."""

    csv = forms.CharField(
        widget=forms.HiddenInput, strip=False, help_text="The file shown in the preview."
    )
    confirmed = forms.BooleanField(
        widget=forms.HiddenInput, required=False, help_text="Import as already confirmed."
    )
