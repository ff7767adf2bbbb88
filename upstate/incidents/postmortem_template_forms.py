"""The postmortem template form: for each section, whether it is offered, its place, name
and prompt."""

from __future__ import annotations

from typing import Any

from django import forms

from upstate.dashboard.formtext import AcceptedText
from upstate.incidents.models import PostmortemSection
from upstate.incidents.postmortem_template_services import MAX_NAME, MAX_PROMPT


class PostmortemTemplateForm(AcceptedText, forms.Form):
    def __init__(self, *args: Any, sections: list[dict[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        current = {s["key"]: (index, s) for index, s in enumerate(sections)}
        self.rows = []
        for section in PostmortemSection:
            index, shown = current.get(section.value, (None, None))
            key = section.value
            self.fields[f"{key}-include"] = forms.BooleanField(
                required=False,
                initial=shown is not None,
                label=f"Offer “{section.label}”",
                help_text="Unticked, new postmortems do not ask for it.",
            )
            self.fields[f"{key}-position"] = forms.IntegerField(
                min_value=1,
                max_value=len(PostmortemSection),
                initial=(index + 1) if index is not None else len(PostmortemSection),
                label="Place",
                help_text="1 comes first.",
            )
            self.fields[f"{key}-name"] = forms.CharField(
                max_length=MAX_NAME,
                initial=shown["name"] if shown else section.label,
                label="Heading",
                help_text="As the postmortem and the public page show it.",
            )
            self.fields[f"{key}-prompt"] = forms.CharField(
                max_length=MAX_PROMPT,
                required=False,
                initial=shown["prompt"] if shown else section.default_prompt,
                label="Prompt",
                help_text="The hint under the field while writing.",
            )
            self.rows.append(
                {
                    "label": section.label,
                    "fields": [
                        self[f"{key}-{part}"] for part in ("include", "position", "name", "prompt")
                    ],
                }
            )

    def sections(self) -> list[dict[str, str]]:
        """The chosen sections, in their places (ties keep the usual order)."""
        data = self.cleaned_data
        chosen = [
            (data[f"{s.value}-position"], order, s.value)
            for order, s in enumerate(PostmortemSection)
            if data.get(f"{s.value}-include")
        ]
        return [
            {"key": key, "name": data[f"{key}-name"], "prompt": data[f"{key}-prompt"]}
            for _, _, key in sorted(chosen)
        ]
