from __future__ import annotations

from typing import Any

from django import forms

from upstate.dashboard.formtext import AcceptedText
from upstate.incidents.models import Category
from upstate.orgs.models import Membership, Organization
from upstate.paging.models import Team


class PhoneForm(AcceptedText, forms.Form):
    phone = forms.CharField(
        label="Phone number",
        required=False,
        max_length=32,
        help_text="In international (E.164) form, e.g. +14155550100. Critical and high-severity "
        "incidents page you here by WhatsApp or SMS, as your organization has set up. Empty: "
        "email only.",
    )


class _MemberChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Membership) -> str:
        return f"{obj.user.email} ({obj.get_role_display()})"


def _members_field(org: Organization) -> _MemberChoice:
    return _MemberChoice(
        queryset=Membership.objects.filter(org=org).select_related("user").order_by("user__email"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Who is paged for the categories routed to this team.",
    )


class TeamForm(AcceptedText, forms.Form):
    name = forms.CharField(max_length=80, help_text="E.g. “Payments on-call”.")

    def __init__(self, *args: Any, org: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["members"] = _members_field(org)


class _ContactChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Membership) -> str:
        return f"{obj.user.email} ({obj.get_role_display()})"


class TeamMembersForm(AcceptedText, forms.Form):
    def __init__(self, *args: Any, org: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["members"] = _members_field(org)
        self.fields["escalation_contact"] = _ContactChoice(
            queryset=Membership.objects.filter(org=org).select_related("user"),
            required=False,
            empty_label="The organization's admins",
            help_text="Paged when an incident of this team stays unacknowledged past a second "
            "response target.",
        )


class RouteForm(AcceptedText, forms.Form):
    category = forms.ChoiceField(
        choices=Category.choices, help_text="The incident category, as set when declaring."
    )
    team = forms.ChoiceField(
        required=False,
        help_text="The team paged for it; “Every responder” removes the route.",
    )

    def __init__(self, *args: Any, org: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        teams = Team.objects.filter(org=org)
        self.fields["team"].choices = [("", "Every responder"), *((t.code, t.name) for t in teams)]
        self.teams = {t.code: t for t in teams}

    def clean_team(self) -> Team | None:
        code = self.cleaned_data.get("team") or ""
        return self.teams.get(code)
