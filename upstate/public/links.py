"""Public URLs of pages, incidents and postmortems, as notifications and the API give them."""

from __future__ import annotations

from django.conf import settings

from upstate.incidents.models import Incident
from upstate.maintenance.models import Maintenance
from upstate.pages.models import StatusPage


def page_url(page: StatusPage) -> str:
    # A claimed domain is no link until its organization proved it holds it.
    if page.verified_domain:
        return f"https://{page.verified_domain}"
    return f"{settings.PUBLIC_URL}/p/{page.slug}"


def incident_url(incident: Incident) -> str:
    return f"{page_url(incident.page)}/incidents/{incident.code}"


def postmortem_url(incident: Incident) -> str:
    return f"{incident_url(incident)}/postmortem"


def maintenance_url(maintenance: Maintenance) -> str:
    return f"{page_url(maintenance.page)}/maintenances/{maintenance.code}"
