"""The public subscribe form as a snapshot document: GET `/p/<slug>/subscribe` (and
`/subscribe` on a custom domain) is answered from the page's snapshot like the status page,
with no template or query per request, even during an outage's traffic surge. Its POST goes to
upstate.subscribers.views.subscribe."""

from __future__ import annotations

from django.template.loader import render_to_string

from upstate.pages.models import Component, StatusPage
from upstate.public.links import page_url
from upstate.subscribers.forms import SubscribeForm
from upstate.subscribers.services import offered_channels

PATH = "subscribe"


def documents(page: StatusPage) -> dict[str, bytes]:
    """Snapshot path -> HTML bytes."""
    components = list(Component.objects.filter(page=page).select_related("group"))
    context = {
        "page": page,
        "root": "./",  # relative, so the same bytes serve /p/<slug>/ and a custom domain
        "canonical": f"{page_url(page)}/{PATH}",
        "accent": page.accent_color,
        "time_zone": page.time_zone,
        "path": PATH,
        "form": SubscribeForm(components=components, channels=offered_channels(page)),
        "summary": [],
    }
    return {PATH: render_to_string("subscribers/subscribe.html", context).encode()}
