"""Dashboard: the delivery log of an incident (every subscriber's copy of every update, and
every page to a responder), and the organization's SMS and WhatsApp providers."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from upstate.dashboard.access import get_for_member, member_context
from upstate.incidents.models import Incident
from upstate.notifications.forms import ProviderForm
from upstate.notifications.models import ProviderConfig
from upstate.notifications.services import (
    configure_providers,
    delivery_log,
    incident_notifications,
)

PER_PAGE = 100


@login_required
def incident_deliveries(request: HttpRequest, org_slug: str, code: str) -> HttpResponse:
    incident, _ = get_for_member(
        request, Incident.objects.select_related("page"), org_slug=org_slug, code=code
    )
    deliveries = delivery_log().filter(event__incident=incident).order_by("event_id", "id")
    status = request.GET.get("status", "")
    if status:
        deliveries = deliveries.filter(status=status)
    context = {
        "incident": incident,
        "events": incident_notifications(incident),
        "deliveries": Paginator(deliveries, PER_PAGE).get_page(request.GET.get("page")),
        "status": status,
    }
    return render(request, "notifications/incident_deliveries.html", context)


@never_cache
@login_required
def provider_settings(request: HttpRequest, org_slug: str) -> HttpResponse:
    member = member_context(request, org_slug, require="manage")
    config = ProviderConfig.objects.filter(org=member.org).first() or ProviderConfig(org=member.org)
    initial = {name: getattr(config, name) for name in ProviderForm.base_fields}
    for secret in ("twilio_auth_token", "whatsapp_access_token"):
        initial.pop(secret)
    form = ProviderForm(request.POST or None, initial=initial, config=config)
    if request.method == "POST" and form.is_valid():
        configure_providers(org=member.org, **form.cleaned_data)
        messages.success(request, "Notification providers saved.")
        return redirect("dashboard:provider-settings", org_slug=member.org.slug)
    context = {"form": form, "config": config}
    status = 400 if form.errors else 200
    return render(request, "notifications/providers.html", context, status=status)
