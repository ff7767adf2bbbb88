"""Subscribing from the public page (no login): the form, the double opt-in confirmation, the
manage page and one-click unsubscribe (RFC 8058). The page's snapshot cannot carry a CSRF
token, so these views are CSRF-exempt: each either only starts a double opt-in or acts on a
secret carried in its URL.

The same views answer at `/p/<slug>/...` and at the root of a page's custom domain."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from upstate.lib.errors import InvalidInput
from upstate.pages.models import Component, StatusPage
from upstate.public.lookup import frame_context, public_page
from upstate.subscribers import limits, services
from upstate.subscribers.forms import ManageForm, Scope, SubscribeForm
from upstate.subscribers.models import Channel, Subscriber


def _render(
    request: HttpRequest, page: StatusPage, template: str, context: dict, status: int = 200
) -> HttpResponse:
    base = frame_context(request, page, "subscribe")
    response = render(request, template, {**base, **context}, status=status)
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"  # the URLs carry secrets
    return response


def _form_data(request: HttpRequest) -> dict[str, Any]:
    """The form's fields; the short form on the status page sends only `email`."""
    data = request.POST.copy()
    if "channel" not in data:
        data["channel"] = Channel.EMAIL.value
        data.setdefault("address", data.get("email", ""))
        data.setdefault("scope", Scope.ALL.value)
    return data


def _form_page(
    request: HttpRequest, page: StatusPage, form: SubscribeForm, status: int, error: str = ""
) -> HttpResponse:
    context = {"form": form, "summary": [error] if error else form.field_errors()}
    return _render(request, page, "subscribers/subscribe.html", context, status=status)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def subscribe(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    page = public_page(request, slug)
    components = list(Component.objects.filter(page=page).select_related("group"))
    channels = services.offered_channels(page)
    if request.method == "GET":
        form = SubscribeForm(components=components, channels=channels)
        return _form_page(request, page, form, 200)
    form = SubscribeForm(_form_data(request), components=components, channels=channels)
    if not form.is_valid():
        return _form_page(request, page, form, 400)
    channel, address = Channel(form.cleaned_data["channel"]), form.cleaned_data["address"]
    try:
        limits.check_client(request)
        if channel.needs_opt_in:
            limits.check_address(address)
    except limits.RateLimited as exc:
        response = _form_page(request, page, form, 429, exc.reason)
        response["Retry-After"] = str(exc.retry_after)
        return response
    chosen = form.cleaned_data["chosen"]
    if channel.needs_opt_in:
        _start_subscription(page, channel, address, chosen)
        # The same answer whether or not the address was known: the form tells nobody who
        # subscribed.
        context = {"address": address, "by_text": channel.is_phone}
        return _render(request, page, "subscribers/check_inbox.html", context)
    try:
        subscriber = services.create_subscriber(
            page=page, channel=channel, address=address, components=chosen
        )
    except InvalidInput as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return _form_page(request, page, form, 400)
    context = {"subscriber": subscriber, "manage_url": services.manage_url(subscriber)}
    return _render(request, page, "subscribers/subscribed.html", context)


@transaction.atomic
def _start_subscription(
    page: StatusPage, channel: Channel, address: str, components: list[Component]
) -> None:
    existing = Subscriber.objects.filter(page=page, channel=channel, address=address).first()
    if existing is None:
        try:
            services.create_subscriber(
                page=page, channel=channel, address=address, components=components
            )
        except InvalidInput:
            pass  # subscribed a moment ago by a concurrent request
    elif existing.confirmed_at is None:
        services.request_confirmation(subscriber=existing)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str, slug: str | None = None) -> HttpResponse:
    page = public_page(request, slug)
    subscriber = services.subscriber_for_confirmation(page, token)
    if subscriber is None:
        return _render(request, page, "subscribers/invalid_link.html", {}, status=404)
    if request.method == "POST":
        services.confirm_subscriber(subscriber=subscriber)
        context = {"subscriber": subscriber, "manage_url": services.manage_url(subscriber)}
        return _render(request, page, "subscribers/confirmed.html", context)
    return _render(request, page, "subscribers/confirm.html", {"subscriber": subscriber})


def _by_token(page: StatusPage, token: str) -> Subscriber | None:
    return Subscriber.objects.filter(page=page, token=token).first() if token else None


@csrf_exempt
@require_http_methods(["GET", "POST"])
def manage(request: HttpRequest, token: str, slug: str | None = None) -> HttpResponse:
    page = public_page(request, slug)
    subscriber = _by_token(page, token)
    if subscriber is None:
        return _render(request, page, "subscribers/invalid_link.html", {}, status=404)
    components = list(Component.objects.filter(page=page).select_related("group"))
    saved = False
    if request.method == "POST":
        form = ManageForm(request.POST, components=components)
        if form.is_valid():
            services.set_components(subscriber=subscriber, components=form.chosen())
            saved = True
    chosen = list(subscriber.components.values_list("code", flat=True))
    context = {
        "subscriber": subscriber,
        "form": ManageForm(initial={"components": chosen}, components=components),
        "saved": saved,
        "unsubscribe_url": services.unsubscribe_url(subscriber),
    }
    return _render(request, page, "subscribers/manage.html", context)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str, slug: str | None = None) -> HttpResponse:
    """GET asks for confirmation (mail scanners follow links); POST unsubscribes, which is
    also what a mail client's one-click button sends (`List-Unsubscribe=One-Click`)."""
    page = public_page(request, slug)
    subscriber = _by_token(page, token)
    if request.method == "POST":
        if subscriber is not None:
            services.unsubscribe(subscriber=subscriber)
        return _render(request, page, "subscribers/unsubscribed.html", {})
    if subscriber is None:
        return _render(request, page, "subscribers/invalid_link.html", {}, status=404)
    return _render(request, page, "subscribers/unsubscribe.html", {"subscriber": subscriber})
