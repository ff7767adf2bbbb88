"""Errors of the Statuspage-compatible API and their JSON bodies.

Statuspage's published description gives every error as `{"message": "..."}`, while its
live service and older clients use `{"error": "..."}`; every error here carries both keys,
with the same text, so a client reading either finds it."""

from __future__ import annotations

from django.http import JsonResponse


class StatuspageError(Exception):
    status = 400
    default = "Bad request"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.default)
        self.message = message or self.default


class BadRequest(StatuspageError):
    status = 400


class Unauthenticated(StatuspageError):
    status = 401
    default = "Could not authenticate"


class Forbidden(StatuspageError):
    status = 403
    default = "You are not authorized to access this resource."


class NotFound(StatuspageError):
    status = 404
    default = "The requested resource could not be found."


class MethodNotAllowed(StatuspageError):
    status = 405
    default = "Method not allowed"


class Unprocessable(StatuspageError):
    status = 422
    default = "Unprocessable entity"


def error_response(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message, "message": message}, status=status)
