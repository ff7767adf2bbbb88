"""The REST API v1: one NinjaAPI, a router per domain app."""

from __future__ import annotations

from ninja import NinjaAPI

from upstate.api import errors
from upstate.api.auth import ApiKeyAuth
from upstate.incidents.api import router as incidents_router
from upstate.maintenance.api import router as maintenance_router
from upstate.pages.api import router as pages_router

DESCRIPTION = """\
Everything the dashboard does, for scripts and integrations.

Authenticate with an organization's API key: `Authorization: Bearer up_...`. Viewer keys
read; responder keys also manage incidents, postmortems and maintenance; admin keys also
manage pages, components, component groups and monitors. Ids are opaque strings; times are
ISO 8601.

Every error answers with `{"message": "...", "errors": [{"field": "...", "message": "..."}]}`.
"""

api = NinjaAPI(
    title="Upstate API",
    version="1.0.0",
    description=DESCRIPTION,
    urls_namespace="api-v1",
    auth=ApiKeyAuth(),
)
errors.install(api)
api.add_router("/", pages_router)
api.add_router("/", incidents_router)
api.add_router("/", maintenance_router)
api.add_router("/", "upstate.incidents.template_api.router")
api.add_router("/", "upstate.subscribers.api.router")
api.add_router("/", "upstate.awareness.api.router")
api.add_router("/", "upstate.monitors.api.router")
api.add_router("/", "upstate.notifications.api.router")
api.add_router("/", "upstate.paging.api.router")
api.add_router("/", "upstate.oncall.api.router")
api.add_router("/", "upstate.tasks.api.router")
