"""The plumbing every Statuspage-compatible endpoint shares: authentication as Statuspage
does it, tenant lookup of the page, role checks, one view per path dispatching on the method,
and JSON errors (never HTML) for everything that goes wrong."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from upstate.audit.services import set_actor
from upstate.lib.codes import is_code
from upstate.lib.errors import InvalidInput
from upstate.lib.errors import NotFound as UpstateNotFound
from upstate.orgs.models import ApiKey, Role
from upstate.orgs.services import authenticate_api_key
from upstate.pages.models import StatusPage
from upstate.statuspage.errors import (
    Forbidden,
    MethodNotAllowed,
    NotFound,
    StatuspageError,
    Unauthenticated,
    error_response,
)
from upstate.subscribers.limits import RateLimited

log = logging.getLogger(__name__)

_KEY_RE = re.compile(r"^[A-Za-z0-9_]{1,80}$")


@dataclass
class Call:
    """One authenticated request: its key, and the page it names (when it names one)."""

    request: HttpRequest
    key: ApiKey
    page: StatusPage | None = None

    def need(self, level: str) -> None:
        """403 unless the key's role reaches `level`: "respond" (incidents, postmortems,
        maintenance, templates, subscribers) or "manage" (pages, components, groups)."""
        role = Role(self.key.role)
        allowed = role.can_respond if level == "respond" else role.can_manage
        if not allowed:
            what = (
                "incidents, templates or subscribers"
                if level == "respond"
                else "pages or components"
            )
            raise Forbidden(
                f"You are not authorized to access this resource: a {role.value} API key "
                f"cannot change {what}."
            )


def _raw_key(request: HttpRequest) -> str | None:
    """`Authorization: OAuth <key>`, `Bearer <key>` or the bare key, else `?api_key=`."""
    header = request.headers.get("Authorization", "").strip()
    if header:
        scheme, _, rest = header.partition(" ")
        if rest and scheme.lower() in ("oauth", "bearer", "token"):
            return rest.strip()
        return header
    return request.GET.get("api_key") or None


def authenticate(request: HttpRequest) -> ApiKey:
    raw = _raw_key(request)
    key = authenticate_api_key(raw) if raw and _KEY_RE.match(raw) else None
    if key is None:
        raise Unauthenticated()
    set_actor(api_key=key)  # the audit log attributes this request's changes to the key
    return key


def page_for(key: ApiKey, code: str) -> StatusPage:
    """The key's organization's page with this id; another organization's is not found."""
    page = (
        StatusPage.objects.select_related("org").filter(org_id=key.org_id, code=code).first()
        if is_code(code)
        else None
    )
    if page is None:
        raise NotFound()
    return page


def json(body: Any, status: int = 200) -> HttpResponse:
    return JsonResponse(body, status=status, safe=False, json_dumps_params={"ensure_ascii": False})


def empty(status: int) -> HttpResponse:
    return HttpResponse(status=status)


Handler = Callable[..., HttpResponse]


def _invalid(exc: InvalidInput) -> HttpResponse:
    field = FIELD_NAMES.get(exc.field, exc.field)
    return error_response(422, f"{field}: {exc.message}")


# Upstate's service field names -> the names a Statuspage client sent.
FIELD_NAMES = {
    "title": "name",
    "message": "body",
    "starts_at": "scheduled_for",
    "ends_at": "scheduled_until",
    "baseline_status": "status",
    "address": "email",
    "started_at": "backfill_date",
    "resolved_at": "backfill_date",
}


def endpoint(*, page: bool = True, **handlers: Handler) -> Callable[..., HttpResponse]:
    """A view for one path: authenticates, finds the page, runs the handler for the method
    (PUT falls back to PATCH, as Statuspage treats them alike) in one transaction, and turns
    every failure into a JSON error."""
    if "PATCH" in handlers and "PUT" not in handlers:
        handlers["PUT"] = handlers["PATCH"]

    @csrf_exempt
    def view(request: HttpRequest, **kwargs: Any) -> HttpResponse:
        try:
            key = authenticate(request)
            call = Call(request=request, key=key)
            if page:
                call.page = page_for(key, kwargs.pop("page_id"))
            handler = handlers.get(request.method or "")
            if handler is None:
                allowed = ", ".join(sorted(handlers))
                raise MethodNotAllowed(f"{request.method} is not supported here; use {allowed}")
            with transaction.atomic():
                return handler(call, **kwargs)
        except StatuspageError as exc:
            return error_response(exc.status, exc.message)
        except InvalidInput as exc:
            return _invalid(exc)
        except UpstateNotFound:
            return error_response(404, NotFound.default)
        except RateLimited as exc:
            return error_response(429, exc.reason)
        except RequestDataTooBig:
            return error_response(413, f"body: must be at most {settings.MAX_REQUEST_BYTES} bytes")
        except (OperationalError, InterfaceError):
            response = error_response(503, "The database is unavailable; try again shortly")
            response["Retry-After"] = "30"
            return response
        except Exception:
            log.exception("Statuspage-compatible API request failed: %s", request.path)
            return error_response(500, "Internal server error")

    return view


@csrf_exempt
def unknown(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Paths no endpoint serves: Statuspage's 404, as JSON."""
    return error_response(
        404, f"The requested resource could not be found: no endpoint at {request.path}"
    )


def paging(
    request: HttpRequest, *, size_param: str = "per_page", default: int = 100, first: int = 1
) -> tuple[int, int]:
    """(offset, limit) from `page` and `per_page`/`limit`, within Statuspage's bounds (at
    most 100 a page); bad numbers are bad requests."""
    from upstate.statuspage.errors import BadRequest

    def number(name: str, fallback: int) -> int:
        value = request.GET.get(name, "")
        if value == "":
            return fallback
        try:
            return int(value)
        except ValueError:
            raise BadRequest(f"{name}: must be an integer") from None

    size = number(size_param, default)
    if not 1 <= size <= 100:
        raise BadRequest(f"{size_param}: must be between 1 and 100")
    index = number("page", first)
    if not first <= index <= 10_000_000:
        raise BadRequest(f"page: must be at least {first}")
    return (index - first) * size, size
