"""Errors that services raise for bad input; surfaces turn them into 4xx answers."""

from __future__ import annotations


class InvalidInput(ValueError):
    """Input that breaks a rule; `field` names what the caller should fix."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class NotFound(LookupError):
    """An object that does not exist or belongs to another organization."""
