from __future__ import annotations

from django import forms

from upstate.dashboard.formtext import AcceptedText
from upstate.orgs.models import Role

KEY_ROLES = [(r.value, r.label) for r in (Role.ADMIN, Role.RESPONDER, Role.VIEWER)]


class InviteForm(AcceptedText, forms.Form):
    email = forms.EmailField(
        max_length=254,
        help_text="We email a link to set a password; existing users are added straight away.",
    )
    role = forms.ChoiceField(
        choices=Role.choices,
        initial=Role.RESPONDER,
        help_text="Viewers read; responders run incidents and maintenance; admins and owners "
        "also manage pages, members and keys.",
    )


class RoleForm(AcceptedText, forms.Form):
    role = forms.ChoiceField(choices=Role.choices, help_text="What this member may do.")


class ApiKeyForm(AcceptedText, forms.Form):
    name = forms.CharField(
        max_length=100, help_text="What the key is for, e.g. “deploy bot”; shown in the audit log."
    )
    role = forms.ChoiceField(
        choices=KEY_ROLES,
        initial=Role.RESPONDER,
        help_text="Viewer keys read; responder keys post incidents; admin keys change settings.",
    )
