"""Subscribers and incident templates in Statuspage's management API."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import HttpResponse

from upstate.incidents import template_services
from upstate.incidents.models import IncidentTemplate, TemplateComponent
from upstate.lib.codes import is_code
from upstate.lib.errors import InvalidInput
from upstate.pages.models import Component
from upstate.statuspage import bodies, enums, serializers
from upstate.statuspage.bodies import present
from upstate.statuspage.errors import BadRequest, Forbidden, NotFound, Unprocessable
from upstate.statuspage.http import Call, empty, endpoint, json, paging
from upstate.statuspage.serializers import Statuses
from upstate.subscribers import limits, services
from upstate.subscribers.models import Channel, Subscriber, SubscriberState

# Countries whose numbers Statuspage clients send without the calling code; others must be
# given in E.164 form (+44…), which every client can send.
CALLING_CODES = {"us": "1", "ca": "1"}
SORT_FIELDS = {"primary": "address", "created_at": "created_at", "quarantined_at": "disabled_at"}


def _subscribers(call: Call) -> QuerySet[Subscriber]:
    return (
        Subscriber.objects.filter(page=call.page)
        .select_related("page")
        .prefetch_related("components")
    )


def _subscriber(call: Call, code: str) -> Subscriber:
    found = _subscribers(call).filter(code=code).first() if is_code(code) else None
    if found is None:
        raise NotFound()
    return found


def _filtered(call: Call, rows: QuerySet[Subscriber], params: Any) -> QuerySet[Subscriber]:
    mode = params.get("type") or ""
    if mode:
        if mode not in enums.SUBSCRIBER_MODES:
            raise BadRequest(f"type: must be one of {', '.join(enums.SUBSCRIBER_MODES)}")
        rows = rows.filter(channel__in=enums.channels_for_mode(mode))
    state = params.get("state") or "active"
    if state == "active":
        rows = rows.filter(confirmed_at__isnull=False, disabled_at__isnull=True)
    elif state == "unconfirmed":
        rows = rows.filter(confirmed_at__isnull=True, disabled_at__isnull=True)
    elif state == "quarantined":
        rows = rows.filter(disabled_at__isnull=False)
    elif state != "all":
        raise BadRequest("state: must be one of active, unconfirmed, quarantined, all")
    return rows


def list_subscribers(call: Call) -> HttpResponse:
    params = call.request.GET
    offset, limit = paging(call.request, size_param="limit", first=0)
    rows = _filtered(call, _subscribers(call), params)
    if params.get("q", "").strip():
        rows = rows.filter(address__icontains=params["q"].strip())
    field = params.get("sort_field") or "primary"
    if field not in (*SORT_FIELDS, "relevance"):
        raise BadRequest(
            "sort_field: must be one of primary, created_at, quarantined_at, relevance"
        )
    direction = params.get("sort_direction") or "asc"
    if direction not in ("asc", "desc"):
        raise BadRequest("sort_direction: must be asc or desc")
    order = SORT_FIELDS.get(field, "created_at")
    rows = rows.order_by(f"-{order}" if direction == "desc" else order, "id")
    return json([serializers.subscriber(s) for s in rows[offset : offset + limit]])


def _components(call: Call, value: Any) -> list[Component]:
    ids = bodies.id_list("component_ids", value)
    found = {c.code: c for c in Component.objects.filter(page=call.page, code__in=ids)}
    for code in ids:
        if code not in found:
            raise Unprocessable(f"component_ids: no component with id {code!r} on this page")
    return [found[code] for code in ids]


def _channel_and_address(fields: dict[str, Any]) -> tuple[Channel, str, str]:
    """(channel, address, the field the address came from)."""
    if present(fields.get("endpoint")):
        return Channel.WEBHOOK, str(fields["endpoint"]), "endpoint"
    if present(fields.get("phone_number")):
        number = str(fields["phone_number"]).strip()
        if not number.startswith("+"):
            country = str(fields.get("phone_country") or "").lower()
            code = CALLING_CODES.get(country)
            if code is None:
                raise Unprocessable(
                    "phone_number: give it in E.164 form (e.g. +447700900123); without a "
                    "leading + only phone_country us and ca are supported"
                )
            number = f"+{code}{number}"
        return Channel.SMS, number, "phone_number"
    if present(fields.get("email")):
        return Channel.EMAIL, str(fields["email"]), "email"
    raise Unprocessable("email: give an email, an endpoint, or a phone_country and phone_number")


def create_subscriber(call: Call) -> HttpResponse:
    call.need("respond")
    fields = bodies.wrapped(bodies.read_body(call.request), "subscriber")
    channel, raw, field = _channel_and_address(fields)
    skip = bool(
        bodies.boolean(
            "skip_confirmation_notification", fields.get("skip_confirmation_notification"), False
        )
    )
    if skip and channel.needs_opt_in:
        try:
            call.need("manage")
        except Forbidden as exc:
            raise Forbidden(
                "skip_confirmation_notification: only an admin API key may add subscribers "
                "as confirmed"
            ) from exc
    try:
        address = services.clean_address(channel, raw)
    except InvalidInput as exc:
        raise Unprocessable(f"{field}: {exc.message}") from exc
    if channel == Channel.EMAIL and not skip:
        limits.check_client(call.request, api=True)
        limits.check_address(address)
    try:
        subscriber = services.create_subscriber(
            page=call.page,
            channel=channel,
            address=address,
            components=_components(call, fields.get("component_ids")),
            confirmed=skip,
        )
    except InvalidInput as exc:
        name = field if exc.field == "address" else exc.field
        raise Unprocessable(f"{name}: {exc.message}") from exc
    return json(serializers.subscriber(_subscriber(call, subscriber.code)), 201)


def get_subscriber(call: Call, subscriber_id: str) -> HttpResponse:
    return json(serializers.subscriber(_subscriber(call, subscriber_id)))


def update_subscriber(call: Call, subscriber_id: str) -> HttpResponse:
    subscriber = _subscriber(call, subscriber_id)
    call.need("respond")
    data = bodies.read_body(call.request)
    fields = bodies.wrapped(data, "subscriber", unwrapped_ok=True)
    if "component_ids" in fields:
        components = _components(call, fields["component_ids"])
        if not components:
            raise Unprocessable("component_ids: must have at least one element if it is passed")
        services.set_components(subscriber=subscriber, components=components)
    return json(serializers.subscriber(_subscriber(call, subscriber_id)))


def delete_subscriber(call: Call, subscriber_id: str) -> HttpResponse:
    subscriber = _subscriber(call, subscriber_id)
    call.need("respond")
    gone = serializers.subscriber(subscriber)
    services.unsubscribe(subscriber=subscriber)
    return json(gone)


def _named(call: Call, data: dict[str, Any]) -> QuerySet[Subscriber]:
    """The subscribers a bulk call names: a list of ids, or "all" (narrowed by type/state)."""
    named = data.get("subscribers")
    if named == "all":
        return _filtered(call, _subscribers(call), data)
    ids = bodies.id_list("subscribers", named)
    if not ids:
        raise Unprocessable('subscribers: give a list of subscriber ids or "all"')
    if len(ids) > 100:
        raise Unprocessable("subscribers: at most 100 at a time")
    rows = _subscribers(call).filter(code__in=ids)
    missing = set(ids) - {s.code for s in rows}
    if missing:
        raise Unprocessable(f"subscribers: no subscriber with id {sorted(missing)[0]!r}")
    return rows


def unsubscribe_many(call: Call) -> HttpResponse:
    call.need("respond")
    for subscriber in _named(call, bodies.read_body(call.request)):
        services.unsubscribe(subscriber=subscriber)
    return empty(201)


def _resend(subscribers: Any) -> None:
    # "Only unconfirmed email subscribers will receive this notification."
    for subscriber in subscribers:
        if (
            subscriber.state == SubscriberState.UNCONFIRMED
            and Channel(subscriber.channel).needs_opt_in
        ):
            limits.check_address(subscriber.address)
            services.request_confirmation(subscriber=subscriber)


def resend_many(call: Call) -> HttpResponse:
    call.need("respond")
    _resend(_named(call, bodies.read_body(call.request)))
    return empty(201)


def resend_one(call: Call, subscriber_id: str) -> HttpResponse:
    subscriber = _subscriber(call, subscriber_id)
    call.need("respond")
    _resend([subscriber])
    return empty(201)


def count_subscribers(call: Call) -> HttpResponse:
    rows = _filtered(call, _subscribers(call), call.request.GET)
    counts = dict.fromkeys(enums.SUBSCRIBER_MODES, 0)
    for channel in rows.values_list("channel", flat=True):
        counts[enums.subscriber_mode(channel)] += 1
    return json(counts)


subscribers_view = endpoint(GET=list_subscribers, POST=create_subscriber)
subscriber_view = endpoint(GET=get_subscriber, PATCH=update_subscriber, DELETE=delete_subscriber)
unsubscribe_view = endpoint(POST=unsubscribe_many)
resend_many_view = endpoint(POST=resend_many)
resend_one_view = endpoint(POST=resend_one)
count_view = endpoint(GET=count_subscribers)


# --- Incident templates ------------------------------------------------------------------


def _templates(call: Call) -> QuerySet[IncidentTemplate]:
    return template_services.templates_for(call.page).prefetch_related(
        Prefetch("affected", TemplateComponent.objects.select_related("component__group"))
    )


def list_templates(call: Call) -> HttpResponse:
    offset, limit = paging(call.request)
    statuses = Statuses(call.page)
    rows = _templates(call)[offset : offset + limit]
    return json([serializers.template(t, statuses) for t in rows])


def create_template(call: Call) -> HttpResponse:
    call.need("respond")
    fields = bodies.wrapped(bodies.read_body(call.request), "template")
    for name in ("name", "title"):
        if not present(fields.get(name)):
            raise Unprocessable(f"{name}: can't be blank")
    if bodies.boolean("should_tweet", fields.get("should_tweet"), False):
        raise BadRequest("should_tweet: is not supported: Upstate does not post to Twitter")
    status = (
        fields.get("update_status") if present(fields.get("update_status")) else "investigating"
    )
    if status not in enums.REALTIME_STATUSES:
        raise Unprocessable(f"update_status: must be one of {', '.join(enums.REALTIME_STATUSES)}")
    components = _components(call, fields.get("component_ids"))
    try:
        template = template_services.create_template(
            org=call.page.org,
            page=call.page,
            name=bodies.text("name", fields["name"], limit=120),
            title=bodies.text("title", fields["title"], limit=255),
            message=bodies.text("body", fields.get("body"), limit=25_000) or "",
            status=status,
            group=bodies.text("group_id", fields.get("group_id"), limit=120) or "",
            notify=bool(
                bodies.boolean(
                    "should_send_notifications", fields.get("should_send_notifications"), True
                )
            ),
            components={c: None for c in components},
        )
    except InvalidInput as exc:
        name = {"message": "body", "group": "group_id", "status": "update_status"}.get(
            exc.field, exc.field
        )
        raise Unprocessable(f"{name}: {exc.message}") from exc
    created = _templates(call).get(id=template.id)
    return json(serializers.template(created, Statuses(call.page)), 201)


templates_view = endpoint(GET=list_templates, POST=create_template)
