"""The accepted-text rule (upstate.lib.text) for every form a person fills in: each text
field of a form with ``AcceptedText`` refuses control characters with an inline error."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from upstate.lib import text


def validate_text(value: object) -> None:
    """A Django validator for the accepted-text rule."""
    if isinstance(value, str):
        reason = text.problem(value)
        if reason is not None:
            raise ValidationError(reason[:1].upper() + reason[1:] + ".", code="control_character")


class AcceptedText:
    """Form mixin: every text field (including those a form adds in its own ``__init__``)
    checks the accepted-text rule."""

    fields: dict[str, forms.Field]

    def full_clean(self) -> None:
        for field in self.fields.values():
            if isinstance(field, forms.CharField) and validate_text not in field.validators:
                field.validators.append(validate_text)
        super().full_clean()  # type: ignore[misc]
