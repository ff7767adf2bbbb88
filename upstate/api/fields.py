"""Field types the API schemas share: text a database can store, times with a zone in,
ISO 8601 times out, opaque ids."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator
from ninja import Schema
from pydantic import (
    AfterValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)

from upstate.lib import text
from upstate.lib.timefmt import iso_ms

MAX_TEXT = 25_000
MAX_ITEMS = 100
_url_validator = URLValidator(schemes=["http", "https"])


def _storable(value: str) -> str:
    # One rule for all text (upstate.lib.text): no control characters but tab and newline,
    # no lone surrogates; PostgreSQL refuses NUL and the feeds cannot hold the rest.
    return text.check(value)


def _url(value: str) -> str:
    if value:
        try:
            _url_validator(value)
        except DjangoValidationError as exc:
            raise ValueError("must be an http or https URL") from exc
    return value


def _aware(value: datetime) -> datetime:
    """Times without an offset are taken as UTC; all are stored in UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError("is out of range") from exc


Line = Annotated[str, StringConstraints(max_length=255), AfterValidator(_storable)]
Text = Annotated[str, StringConstraints(max_length=MAX_TEXT), AfterValidator(_storable)]
Url = Annotated[
    str, StringConstraints(max_length=200), AfterValidator(_storable), AfterValidator(_url)
]
Code = Annotated[str, StringConstraints(max_length=64), AfterValidator(_storable)]
Moment = Annotated[datetime, AfterValidator(_aware)]
Position = Annotated[int, Field(ge=0, le=2_147_483_647)]

Timestamp = Annotated[
    datetime,
    PlainSerializer(lambda value: iso_ms(value), return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]


class InSchema(Schema):
    """A request body: unknown fields are an error, so a typo never passes silently."""

    model_config = ConfigDict(extra="forbid", use_enum_values=True)


class PatchSchema(InSchema):
    """A partial update: only the fields sent change. `null` clears a field only where the
    field is in NULLABLE; elsewhere it is an error rather than a silent no-op."""

    NULLABLE: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*", mode="before")
    @classmethod
    def _reject_null(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None and info.field_name not in cls.NULLABLE:
            raise ValueError("must not be null")
        return value
