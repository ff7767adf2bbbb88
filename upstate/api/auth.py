"""Bearer API keys: the key's organization and role are the caller's."""

from __future__ import annotations

import re

from django.http import HttpRequest
from ninja.security import HttpBearer

from upstate.audit.services import set_actor
from upstate.orgs.models import ApiKey
from upstate.orgs.services import authenticate_api_key

# Keys are ASCII letters, digits and underscores; anything else is refused before a query.
_KEY_RE = re.compile(r"^[A-Za-z0-9_]{1,80}$")


class ApiKeyAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> ApiKey | None:
        token = token.strip()
        key = authenticate_api_key(token) if _KEY_RE.match(token) else None
        if key is not None:
            set_actor(api_key=key)  # the audit trail attributes this request's changes to it
        return key
