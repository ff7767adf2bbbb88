"""One error shape for every 4xx answer: a message, and the fields to fix.

{"message": "impact: must be one of none, minor, major, critical",
 "errors": [{"field": "impact", "message": "must be one of none, minor, major, critical"}]}
"""

from __future__ import annotations

import re
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError

from upstate.lib.errors import InvalidInput, NotFound

# Where ninja found a parameter; the field names the caller knows start after it.
_SOURCES = {"body", "query", "path", "header", "cookie", "form", "file"}


class Forbidden(Exception):
    """The key is valid for this organization but its role may not do this."""


class FieldErrorOut(Schema):
    field: str
    message: str


class ErrorOut(Schema):
    message: str
    errors: list[FieldErrorOut] = []


ERROR_RESPONSES: dict[int, type[Schema]] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    422: ErrorOut,
}


def _body(message: str, errors: list[tuple[str, str]] | None = None) -> dict[str, Any]:
    return {
        "message": message,
        "errors": [{"field": field, "message": text} for field, text in errors or []],
    }


def _field_name(loc: tuple[Any, ...], param_names: set[str]) -> str:
    """("body", "payload", "components", "abc") -> "components.abc"."""
    parts = list(loc)
    if parts and parts[0] in _SOURCES:
        source = parts.pop(0)
        # A body schema is read from one named view argument; the caller never sees it.
        if source == "body" and parts and parts[0] in param_names:
            parts.pop(0)
    return ".".join(str(p) for p in parts) or "body"


def _choices(expected: str) -> str:
    """ "'none', 'minor' or 'major'" -> "none, minor, major"."""
    return ", ".join(re.findall(r"'([^']*)'", expected)) or expected


def _field_message(error: dict[str, Any]) -> str:
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return "is required"
    if kind in ("enum", "literal_error"):
        return f"must be one of {_choices(str(ctx.get('expected', '')))}"
    if kind == "string_too_long":
        return f"must be at most {ctx.get('max_length')} characters"
    if kind in ("too_long",):
        return f"must have at most {ctx.get('max_length')} items"
    if kind == "string_type":
        return "must be text"
    if kind == "string_unicode":
        return "must be valid Unicode text (no lone surrogates)"
    if kind in ("bool_type", "bool_parsing"):
        return "must be true or false"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return "must be an integer"
    if kind == "greater_than_equal":
        return f"must be at least {ctx.get('ge')}"
    if kind == "less_than_equal":
        return f"must be at most {ctx.get('le')}"
    if kind.startswith("datetime") or kind.startswith("timezone"):
        return "must be an ISO 8601 date and time, e.g. 2025-01-31T14:05:00Z"
    if kind.startswith("date"):
        return "must be an ISO 8601 date, e.g. 2025-01-31"
    if kind in ("list_type", "tuple_type"):
        return "must be a list"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return "must be an object"
    if kind == "extra_forbidden":
        return "is not a known field"
    if kind == "value_error" and "error" in ctx:
        return str(ctx["error"])
    message = str(error.get("msg", "is invalid"))
    return message[:1].lower() + message[1:]


def _summary(errors: list[tuple[str, str]]) -> str:
    return "; ".join(f"{field}: {message}" for field, message in errors)


def validation_errors(errors: list[dict[str, Any]], param_names: set[str]) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for error in errors:
        item = (_field_name(tuple(error.get("loc", ())), param_names), _field_message(error))
        if item not in found:
            found.append(item)
    return found


def install(api: NinjaAPI) -> None:
    """Register the handlers that give every error the shape above."""

    def respond(request: HttpRequest, status: int, body: dict[str, Any]) -> HttpResponse:
        return api.create_response(request, body, status=status)

    def on_validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        errors = validation_errors(list(exc.errors), {"payload", "filters"})
        return respond(request, 422, _body(_summary(errors), errors))

    def on_invalid_input(request: HttpRequest, exc: InvalidInput) -> HttpResponse:
        errors = [(exc.field, exc.message)]
        return respond(request, 422, _body(_summary(errors), errors))

    def on_not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
        return respond(request, 404, _body(str(exc) or "Not found"))

    def on_forbidden(request: HttpRequest, exc: Forbidden) -> HttpResponse:
        return respond(request, 403, _body(str(exc)))

    def on_unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        message = "Missing or invalid API key: send 'Authorization: Bearer <key>'"
        return respond(request, 401, _body(message))

    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if exc.status_code == 400 and exc.message.startswith("Cannot parse request body"):
            errors = [("body", "is not valid JSON")]
            return respond(request, 400, _body(_summary(errors), errors))
        return respond(request, exc.status_code, _body(exc.message))

    api.add_exception_handler(ValidationError, on_validation)
    api.add_exception_handler(InvalidInput, on_invalid_input)
    api.add_exception_handler(NotFound, on_not_found)
    api.add_exception_handler(Http404, on_not_found)
    api.add_exception_handler(Forbidden, on_forbidden)
    api.add_exception_handler(AuthenticationError, on_unauthenticated)
    api.add_exception_handler(HttpError, on_http_error)


def unknown_endpoint(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Paths under /api/v1/ that no endpoint serves: the API's error shape, not an HTML page."""
    body = _body(f"No endpoint at {request.path}; see /api/v1/docs for the list.")
    return JsonResponse(body, status=404)
