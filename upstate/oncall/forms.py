"""Dashboard forms of on-call rotations, overrides and response targets; the rules live in
upstate.oncall.services."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.utils import timezone

from upstate.dashboard.formtext import AcceptedText
from upstate.incidents.models import Severity
from upstate.oncall.models import Period
from upstate.oncall.services import MAX_TARGET_MINUTES
from upstate.orgs.models import Membership, Organization, Role

RESPONDER_ROLES = [r.value for r in Role if r.can_respond]


class _MemberChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Membership) -> str:
        return obj.user.email


def _responders(org: Organization) -> Any:
    return (
        Membership.objects.filter(org=org, role__in=RESPONDER_ROLES)
        .select_related("user")
        .order_by("user__email")
    )


class RotationForm(AcceptedText, forms.Form):
    members = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Members in order",
        help_text="One email address a line: the first is on call first, then the next, and "
        "round again. Members who can respond (not viewers).",
    )
    period = forms.ChoiceField(
        choices=Period.choices,
        initial=Period.WEEKLY,
        help_text="How often the next member takes over.",
    )
    handover_time = forms.TimeField(
        label="Handover time",
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        initial="09:00",
        help_text="Wall-clock time of each handover, in the time zone below (it stays at this "
        "time across daylight-saving changes).",
    )
    time_zone = forms.CharField(
        max_length=64,
        initial="UTC",
        help_text="IANA name, e.g. Europe/Berlin or America/New_York.",
    )
    starts_on = forms.DateField(
        label="Starts on",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="The first member's first shift begins this day at the handover time; weekly "
        "handovers fall on this weekday.",
    )

    def __init__(self, *args: Any, org: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.org = org

    def clean_members(self) -> list[Membership]:
        emails = [line.strip().lower() for line in self.cleaned_data["members"].splitlines()]
        emails = [e for e in emails if e]
        found = {
            m.user.email.lower(): m
            for m in Membership.objects.filter(org=self.org).select_related("user")
        }
        missing = [e for e in emails if e not in found]
        if missing:
            raise forms.ValidationError(f"Not members of this organization: {', '.join(missing)}")
        return [found[e] for e in emails]


class OverrideForm(AcceptedText, forms.Form):
    member = _MemberChoice(
        queryset=Membership.objects.none(),
        empty_label=None,
        help_text="Who is on call instead for this period.",
    )
    starts_at = forms.DateTimeField(
        label="From",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="In the rotation's time zone.",
    )
    ends_at = forms.DateTimeField(
        label="Until",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="In the rotation's time zone; the rotation resumes then.",
    )

    def __init__(self, *args: Any, org: Organization, zone: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = _responders(org)
        self.zone = ZoneInfo(zone)

    def _local(self, value: datetime | None) -> datetime | None:
        # datetime-local values parse in the server's zone; they mean the rotation's.
        if value is None:
            return None
        wall = timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
        return wall.replace(tzinfo=self.zone)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for name in ("starts_at", "ends_at"):
            data[name] = self._local(data.get(name))
        return data


class ResponseTargetsForm(AcceptedText, forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for severity in Severity:
            self.fields[severity.value] = forms.IntegerField(
                label=f"{severity.label} (minutes)",
                min_value=1,
                max_value=MAX_TARGET_MINUTES,
                help_text=(
                    f"How long a {severity.label.lower()} incident may stay triggered before it "
                    f"is escalated; default {severity.default_response_minutes} min."
                    + (
                        " Incidents without a severity use this one too."
                        if severity == Severity.MEDIUM
                        else ""
                    )
                ),
            )
