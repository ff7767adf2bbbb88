"""Dashboard: the customer conversations panel of an incident (htmx), and linking a possible
match with a click."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from upstate.awareness import services
from upstate.awareness.models import Conversation, ConversationLink, LinkedVia
from upstate.dashboard.access import get_for_member
from upstate.incidents.models import Incident

LATEST = 5


def _incident(request: HttpRequest, org_slug: str, code: str, require: str = "read"):  # noqa: ANN202
    return get_for_member(
        request,
        Incident.objects.select_related("page", "org"),
        org_slug=org_slug,
        require=require,
        code=code,
    )


def _panel(request: HttpRequest, incident: Incident, can_write: bool) -> HttpResponse:
    links = ConversationLink.objects.filter(incident=incident).select_related("conversation")
    possible = services.possible_conversations(incident) if incident.is_active else []
    context = {
        "incident": incident,
        "can_write": can_write,
        "linked_count": links.count(),
        "latest": list(links[:LATEST]),
        "possible": possible,
    }
    return render(request, "awareness/_panel.html", context)


@login_required
@require_GET
def incident_conversations(request: HttpRequest, org_slug: str, code: str) -> HttpResponse:
    incident, can_write = _incident(request, org_slug, code)
    return _panel(request, incident, can_write)


@login_required
@require_POST
def link_conversation(
    request: HttpRequest, org_slug: str, code: str, conversation: str
) -> HttpResponse:
    incident, can_write = _incident(request, org_slug, code, require="respond")
    found = Conversation.objects.filter(org_id=incident.org_id, code=conversation).first()
    if found is None:
        raise Http404("No such conversation")
    scores = dict((c.id, s) for c, s in services.possible_conversations(incident, limit=500))
    services.link_conversation(
        conversation=found,
        incident=incident,
        via=LinkedVia.DASHBOARD,
        confidence=scores.get(found.id),
    )
    if not request.headers.get("HX-Request"):  # the plain form's fallback
        return redirect("dashboard:incident-detail", org_slug=org_slug, code=code)
    return _panel(request, incident, can_write)
