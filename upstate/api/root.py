"""The REST API v1: one NinjaAPI, a router per domain app."""

from __future__ import annotations

from ninja import NinjaAPI

api = NinjaAPI(title="Upstate API", version="1.0.0", urls_namespace="api-v1")
