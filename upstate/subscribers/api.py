"""REST API v1: a page's subscribers. Responder keys add and remove them; only admin keys may
add an email subscriber as already confirmed (imports), skipping double opt-in. Subscriptions
that send a confirmation email are rate-limited (see limits.py) and answer 429 beyond it."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from ninja import Router, Status
from ninja.pagination import paginate

from upstate.api.access import Need, components_from_input, get_for_key, require
from upstate.api.errors import ERROR_RESPONSES, ErrorOut, Forbidden
from upstate.api.pagination import Pagination
from upstate.pages.models import StatusPage
from upstate.subscribers import limits, services
from upstate.subscribers.models import Channel, Subscriber
from upstate.subscribers.schemas import SubscriberIn, SubscriberOut

router = Router(tags=["subscribers"])

PAGES = StatusPage.objects.select_related("org")
SUBSCRIBERS = Subscriber.objects.select_related("page").prefetch_related("components")


def _subscriber(request: HttpRequest, code: str, need: Need = Need.READ) -> Subscriber:
    return get_for_key(request, SUBSCRIBERS, code, need=need)


@router.get("/pages/{page_id}/subscribers", response={200: list[SubscriberOut], **ERROR_RESPONSES})
@paginate(Pagination)
def list_subscribers(request: HttpRequest, page_id: str) -> Any:
    page = get_for_key(request, PAGES, page_id)
    return SUBSCRIBERS.filter(page=page).order_by("created_at", "id")


def _too_many(exc: limits.RateLimited) -> JsonResponse:
    body = {"message": exc.reason, "errors": [{"field": "address", "message": exc.reason}]}
    return JsonResponse(body, status=429, headers={"Retry-After": str(exc.retry_after)})


@router.post(
    "/pages/{page_id}/subscribers",
    response={201: SubscriberOut, 429: ErrorOut, **ERROR_RESPONSES},
)
def create_subscriber(request: HttpRequest, page_id: str, payload: SubscriberIn) -> Any:
    page = get_for_key(request, PAGES, page_id, need=Need.RESPOND)
    if payload.confirmed:
        try:
            require(request, Need.MANAGE)
        except Forbidden as exc:
            raise Forbidden("Only an admin API key may add subscribers as confirmed") from exc
    components = components_from_input(page, payload.component_ids, field="component_ids")
    address = services.clean_address(Channel(payload.channel), payload.address)
    if payload.channel == Channel.EMAIL and not payload.confirmed:
        try:
            limits.check_client(request, api=True)
            limits.check_address(address)
        except limits.RateLimited as exc:
            return _too_many(exc)
    subscriber = services.create_subscriber(
        page=page,
        channel=payload.channel,
        address=address,
        components=components,
        confirmed=payload.confirmed,
    )
    return Status(201, SUBSCRIBERS.get(id=subscriber.id))


@router.get("/subscribers/{subscriber_id}", response={200: SubscriberOut, **ERROR_RESPONSES})
def get_subscriber(request: HttpRequest, subscriber_id: str) -> Any:
    return _subscriber(request, subscriber_id)


@router.delete("/subscribers/{subscriber_id}", response={204: None, **ERROR_RESPONSES})
def delete_subscriber(request: HttpRequest, subscriber_id: str) -> Any:
    services.unsubscribe(subscriber=_subscriber(request, subscriber_id, Need.RESPOND))
    return Status(204, None)
