"""Turning a service's InvalidInput into an inline form error."""

from __future__ import annotations

from django import forms

from upstate.lib.errors import InvalidInput


def apply_invalid(
    form: forms.Form, exc: InvalidInput, aliases: dict[str, str] | None = None
) -> None:
    """Attach the error to the form field the service named (via `aliases` when the service
    calls it something else), else to the form as a whole, naming the field."""
    field = (aliases or {}).get(exc.field, exc.field)
    if field in form.fields:
        form.add_error(field, exc.message)
    else:
        form.add_error(None, f"{exc.field.replace('_', ' ').capitalize()}: {exc.message}")
