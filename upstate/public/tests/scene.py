"""One page with everything the public documents show, built through the services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from upstate.incidents.models import Incident
from upstate.incidents.services import create_incident, post_update
from upstate.maintenance.models import Maintenance
from upstate.maintenance.services import post_maintenance_update, schedule_maintenance
from upstate.pages.models import Component, ComponentGroup, StatusPage
from upstate.pages.services import create_component, create_group, update_page


@dataclass
class Scene:
    page: StatusPage
    api: Component
    website: Component
    infrastructure: ComponentGroup
    database: Component
    cache: Component
    active: Incident
    resolved: Incident
    internal: Incident
    upcoming: Maintenance
    underway: Maintenance


def build_scene(page: StatusPage) -> Scene:
    """Page in Chicago time: API (partial outage from an active incident), Website, and the
    group Infrastructure with Database and Cache (Cache under maintenance)."""
    update_page(page=page, time_zone="America/Chicago")
    now = timezone.now()
    api = create_component(page=page, name="API", description="REST API")
    infrastructure = create_group(page=page, name="Infrastructure")
    database = create_component(page=page, name="Database", group=infrastructure)
    cache = create_component(page=page, name="Cache", group=infrastructure)
    website = create_component(page=page, name="Website")

    resolved = create_incident(
        page=page,
        title="Slow database",
        impact="minor",
        components={database: None},
        message="Queries are slow.",
        started_at=now - timedelta(days=2),
    )
    post_update(incident=resolved, status="resolved", message="Queries are fast again.")

    active = create_incident(
        page=page,
        title="Elevated API errors",
        impact="minor",
        components={api: None},
        message="We are investigating elevated error rates.",
    )
    post_update(
        incident=active,
        status="identified",
        message="A bad deploy; rolling back.",
        components={api: "partial_outage"},
    )
    post_update(incident=active, status="monitoring", message="Rolled back; **watching**.")

    internal = create_incident(
        page=page,
        title="Internal disk alarm",
        impact="critical",
        components={website: None},
        visibility="internal",
    )

    upcoming = schedule_maintenance(
        page=page,
        title="Website migration",
        starts_at=now + timedelta(days=3),
        ends_at=now + timedelta(days=3, hours=2),
        message="We will move the website to new servers.",
        components=[website],
    )
    underway = schedule_maintenance(
        page=page,
        title="Cache upgrade",
        starts_at=now - timedelta(minutes=10),
        ends_at=now + timedelta(hours=1),
        message="Upgrading the cache cluster.",
        components=[cache],
    )
    post_maintenance_update(maintenance=underway, status="in_progress")
    return Scene(
        page=page,
        api=api,
        website=website,
        infrastructure=infrastructure,
        database=database,
        cache=cache,
        active=active,
        resolved=resolved,
        internal=internal,
        upcoming=upcoming,
        underway=underway,
    )
