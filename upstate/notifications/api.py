"""REST API v1: what was sent about an incident and to whom, and each subscriber's history
(the dashboard's delivery log, for monitoring notifications from outside); and the
organization's SMS and WhatsApp providers, which admin keys set."""

# No `from __future__ import annotations` here: ninja's @paginate wrapper resolves the view's
# annotations in its own module.

from typing import Any

from django.http import HttpRequest
from ninja import Router
from ninja.pagination import paginate

from upstate.api.access import Need, caller, get_for_key, require
from upstate.api.errors import ERROR_RESPONSES
from upstate.api.pagination import Pagination
from upstate.incidents.models import Incident
from upstate.notifications.models import DeliveryStatus, ProviderConfig
from upstate.notifications.schemas import (
    DeliveryOut,
    NotificationOut,
    ProvidersOut,
    ProvidersPatch,
)
from upstate.notifications.services import (
    configure_providers,
    delivery_log,
    incident_notifications,
)
from upstate.subscribers.models import Subscriber

router = Router(tags=["notifications"])

INCIDENTS = Incident.objects.all()
SUBSCRIBERS = Subscriber.objects.all()


@router.get(
    "/incidents/{incident_id}/notifications",
    response={200: list[NotificationOut], **ERROR_RESPONSES},
)
def list_incident_notifications(request: HttpRequest, incident_id: str) -> Any:
    """Oldest first: each notification about the incident (to subscribers, and pages to
    responders), with its copies counted by delivery status."""
    return incident_notifications(get_for_key(request, INCIDENTS, incident_id))


@router.get(
    "/incidents/{incident_id}/deliveries", response={200: list[DeliveryOut], **ERROR_RESPONSES}
)
@paginate(Pagination)
def list_incident_deliveries(
    request: HttpRequest, incident_id: str, status: DeliveryStatus | None = None
) -> Any:
    """Every copy of every notification about the incident, by notification; `status=failed`
    or `status=permanent` lists the ones that did not arrive (yet)."""
    incident = get_for_key(request, INCIDENTS, incident_id)
    deliveries = delivery_log().filter(event__incident=incident).order_by("event_id", "id")
    return deliveries.filter(status=status) if status is not None else deliveries


@router.get(
    "/subscribers/{subscriber_id}/deliveries",
    response={200: list[DeliveryOut], **ERROR_RESPONSES},
)
@paginate(Pagination)
def list_subscriber_deliveries(request: HttpRequest, subscriber_id: str) -> Any:
    """Newest first: what the subscriber was sent, and what its mail server or provider said."""
    subscriber = get_for_key(request, SUBSCRIBERS, subscriber_id)
    return delivery_log().filter(subscriber=subscriber).order_by("-created_at", "-id")


@router.get("/providers", response={200: ProvidersOut, **ERROR_RESPONSES})
def get_providers(request: HttpRequest) -> Any:
    """The SMS and WhatsApp providers; secrets are never shown, only whether one is stored."""
    org_id = caller(request).org_id
    return ProviderConfig.objects.filter(org_id=org_id).first() or ProviderConfig(org_id=org_id)


@router.patch("/providers", response={200: ProvidersOut, **ERROR_RESPONSES})
def update_providers(request: HttpRequest, payload: ProvidersPatch) -> Any:
    key = require(request, Need.MANAGE)
    return configure_providers(org=key.org, **payload.model_dump(exclude_unset=True))
