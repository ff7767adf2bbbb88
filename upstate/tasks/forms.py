"""Forms of tasks: one task's state, assignee and due date (the Tasks screen), and the
postmortem editor's rows of action items."""

from __future__ import annotations

from typing import Any

from django import forms

from upstate.dashboard.formtext import AcceptedText
from upstate.orgs.models import Membership
from upstate.tasks.models import TaskState

UNASSIGNED = [("", "Nobody yet")]


def member_choices(members: list[Membership]) -> list[tuple[str, str]]:
    return UNASSIGNED + [(m.user.email, m.user.email) for m in members]


class TaskChangeForm(AcceptedText, forms.Form):
    state = forms.ChoiceField(choices=TaskState.choices, help_text="Where the work stands.")
    assignee = forms.ChoiceField(
        required=False, help_text="The member who sees it through; they get an email."
    )
    due_date = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Its assignee is emailed once when it passes unfinished.",
    )

    def __init__(self, *args: Any, members: list[Membership], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = member_choices(members)
        self.members = {m.user.email: m for m in members}

    def assignee_member(self) -> Membership | None:
        return self.members.get(self.cleaned_data.get("assignee") or "")


class ActionItemForm(AcceptedText, forms.Form):
    code = forms.CharField(required=False, widget=forms.HiddenInput)
    title = forms.CharField(
        max_length=255, required=False, help_text="One concrete change that prevents a repeat."
    )
    assignee = forms.ChoiceField(
        required=False, help_text="A member who sees it through; they get an email."
    )
    due_date = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="When it should be done.",
    )
    state = forms.ChoiceField(
        choices=TaskState.choices,
        initial=TaskState.OPEN,
        required=False,
        help_text="Where the work stands.",
    )

    def __init__(self, *args: Any, members: list[Membership], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = member_choices(members)

    def is_blank(self) -> bool:
        data = self.cleaned_data
        return not (data.get("title") or data.get("assignee") or data.get("due_date"))


class BaseActionItemFormSet(forms.BaseFormSet):
    def __init__(self, *args: Any, members: list[Membership], **kwargs: Any) -> None:
        self.members = members
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        return {**super().get_form_kwargs(index), "members": self.members}

    def add_fields(self, form: forms.Form, index: int | None) -> None:
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = "Remove"
            form.fields["DELETE"].help_text = "Drop this item when saving."

    @property
    def empty_form(self) -> forms.Form:  # the base class builds it without our kwargs
        form = self.form(
            auto_id=self.auto_id,
            prefix=self.add_prefix("__prefix__"),
            empty_permitted=True,
            use_required_attribute=False,
            members=self.members,
            renderer=self.renderer,
        )
        self.add_fields(form, None)
        return form


ActionItemFormSet = forms.formset_factory(
    ActionItemForm, formset=BaseActionItemFormSet, extra=1, can_delete=True
)


def action_items_payload(formset: forms.BaseFormSet) -> tuple[list[dict[str, Any]], list[int]]:
    """`services.save_tasks`' items and, for each, the index of its form (so an error on
    `action_items.<n>.title` finds its way back to the right row)."""
    by_email = {m.user.email: m for m in formset.members}
    items: list[dict[str, Any]] = []
    origin: list[int] = []
    for index, form in enumerate(formset.forms):
        if not form.has_changed() and not form.initial:
            continue
        if form.cleaned_data.get("DELETE") or form.is_blank():
            continue
        data = form.cleaned_data
        items.append(
            {
                "code": data.get("code") or "",
                "title": data.get("title"),
                "assignee": by_email.get(data.get("assignee") or ""),
                "due_date": data.get("due_date"),
                "state": data.get("state") or TaskState.OPEN,
            }
        )
        origin.append(index)
    return items, origin


def initial_rows(tasks: list[Any]) -> list[dict[str, Any]]:
    return [
        {
            "code": t.code,
            "title": t.title,
            "assignee": t.assignee.user.email if t.assignee else "",
            "due_date": t.due_date,
            "state": t.state,
        }
        for t in tasks
    ]
