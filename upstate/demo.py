"""The Acme demo: an organization, a status page with components, a live incident, history,
a backfilled incident, a postmortem and upcoming maintenance, built through the services.
Loaded once (while organization `acme` does not exist); every run prints the same credentials,
kept in the data directory; `reset_demo` removes it."""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from upstate.incidents import services as incidents
from upstate.incidents.models import (
    Category,
    Impact,
    Incident,
    IncidentStatus,
    IncidentUpdate,
    Postmortem,
    Severity,
)
from upstate.maintenance.services import schedule_maintenance
from upstate.orgs.models import Organization, Role
from upstate.orgs.services import add_member, authenticate_api_key, create_api_key, create_org
from upstate.pages import services as pages
from upstate.pages.models import Component, ComponentStatus, StatusPage

ORG_SLUG = "acme"
PAGE_SLUG = "acme"
ADMIN_EMAIL = "admin@acme.test"
GROUPS = {
    "Core": ["API", "Dashboard", "Authentication", "Webhooks"],
    "Delivery": ["Email delivery", "SMS delivery", "CDN"],
}
UNGROUPED = ["Marketing website"]
DEMO_AGE_DAYS = 120
# What customers call them, for matching their messages to incidents.
KEYWORDS = {
    "API": "REST, endpoints, integration, 5xx errors",
    "Authentication": "login, sign in, password, SSO, two-factor",
    "Webhooks": "callbacks, events to our server",
    "Email delivery": "emails, newsletters, password reset mail",
    "SMS delivery": "text messages, verification codes",
}


CREDENTIALS_FILE = "demo-credentials.json"


@dataclass(frozen=True)
class DemoResult:
    created: bool
    email: str
    password: str | None  # None when it was changed since the demo set it
    api_key: str
    credentials: Path

    @property
    def urls(self) -> dict[str, str]:
        base = settings.PUBLIC_URL
        return {
            "dashboard": f"{base}/dashboard/",
            "page": f"{base}/p/{PAGE_SLUG}/",
            "api": f"{base}/api/v1/incidents",
            "docs": f"{base}/api/v1/docs",
        }

    def describe(self) -> str:
        urls = self.urls
        state = "loaded just now" if self.created else "already loaded"
        password = self.password or "(changed since; `upstate demo --reset` starts afresh)"
        return "\n".join(
            [
                f"Upstate demo ({state}): sign in at {urls['dashboard']}",
                "",
                f"  Dashboard login  {self.email}",
                f"  Password         {password}",
                f"  API key (demo)   {self.api_key}",
                f"  (both kept in {self.credentials}, readable only by you)",
                "",
                "Try first:",
                f"  1. The public status page: {urls['page']}",
                "  2. In the dashboard, post an update to the live incident or resolve it,",
                "     then reload the public page.",
                f'  3. The API: curl -H "Authorization: Bearer {self.api_key}" {urls["api"]}',
                f"     (every endpoint: {urls['docs']})",
                "",
                "Start over with `upstate demo --reset` (or delete the data directory).",
            ]
        )


def load_demo() -> DemoResult:
    """Loads the demo unless it is there. The admin's password and the demo API key are made
    once and kept in the data directory (owner-only), so every run prints the same working
    credentials instead of adding keys; a missing or revoked key is replaced."""
    path = settings.DATA_DIR / CREDENTIALS_FILE
    with transaction.atomic():
        org = Organization.objects.filter(slug=ORG_SLUG).first()
        created = org is None
        if org is None:
            org = _build()
        stored = {} if created else _read(path)
        admin = org.memberships.filter(user__email=ADMIN_EMAIL).select_related("user").first()
        password = stored.get("password")
        if admin is None:
            password = secrets.token_urlsafe(12)
            add_member(org=org, email=ADMIN_EMAIL, role=Role.OWNER, password=password)
        elif not (password and admin.user.check_password(password)):
            password = None
        key = stored.get("api_key")
        found = authenticate_api_key(key) if key else None
        if found is None or found.org_id != org.id:
            _, key = create_api_key(org=org, role=Role.ADMIN, name="demo")
        _write(path, {"email": ADMIN_EMAIL, "password": password, "api_key": key})
    return DemoResult(
        created=created, email=ADMIN_EMAIL, password=password, api_key=key, credentials=path
    )


@transaction.atomic
def reset_demo() -> None:
    """Deletes the demo organization with everything in it, and its admin unless they belong
    to another organization too; the next `load_demo` builds it afresh."""
    org = Organization.objects.filter(slug=ORG_SLUG).first()
    if org is not None:
        org.delete()
    emails = [ADMIN_EMAIL, *ON_CALL_EMAILS]
    get_user_model().objects.filter(email__in=emails, memberships=None).delete()
    (settings.DATA_DIR / CREDENTIALS_FILE).unlink(missing_ok=True)


def _read(path: Path) -> dict[str, str]:
    try:
        stored = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return stored if isinstance(stored, dict) else {}


def _write(path: Path, credentials: dict[str, str | None]) -> None:
    """Owner-only, like the secret key beside it: the file holds a live admin API key."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # an older file keeps its mode through O_CREAT
    with os.fdopen(fd, "w") as out:
        json.dump(credentials, out, indent=2)
        out.write("\n")


def _build() -> Organization:
    org = create_org(slug=ORG_SLUG, name="Acme Inc")
    page = pages.create_page(
        org=org,
        name="Acme Status",
        slug=PAGE_SLUG,
        description="Live status of the Acme platform.",
        time_zone="Europe/Berlin",
        support_url="https://acme.test/support",
    )
    components = _components(page)
    now = timezone.now()
    _active_incident(page, components, now)
    _email_incident(page, components, now)
    _login_incident(page, components, now)
    _backfilled_incident(page, components, now)
    _maintenance(page, components, now)
    _on_call(org, now)
    return org


# Responders of the demo's on-call rotation; they cannot sign in (no password).
ON_CALL_EMAILS = ["ana@acme.test", "ben@acme.test", "chloe@acme.test"]


def _on_call(org: Organization, now: datetime) -> None:
    """A team with a weekly rotation and an override, made after the incidents so that
    loading the demo pages nobody."""
    from upstate.oncall.services import add_override, set_rotation
    from upstate.paging.services import create_team, route_category

    members = [add_member(org=org, email=e, role=Role.RESPONDER) for e in ON_CALL_EMAILS]
    team = create_team(org=org, name="Platform", members=members)
    for category in (Category.OUTAGE, Category.INFRASTRUCTURE):
        route_category(org=org, category=category, team=team)
    today = timezone.localdate(now)
    rotation = set_rotation(
        team=team,
        members=members,
        handover_time=time(9, 0),
        time_zone="Europe/Berlin",
        period="weekly",
        starts_on=today - timedelta(days=today.weekday() + 7),  # last week's Monday
    )
    start = now + timedelta(days=2)
    add_override(
        rotation=rotation, member=members[2], starts_at=start, ends_at=start + timedelta(hours=12)
    )


def _components(page: StatusPage) -> dict[str, Component]:
    # The platform is older than the demo: its uptime bars count the whole 90 days.
    since = timezone.localdate() - timedelta(days=DEMO_AGE_DAYS)
    groups = {name: pages.create_group(page=page, name=name) for name in GROUPS}
    placed = [(groups[g], name) for g, names in GROUPS.items() for name in names]
    return {
        name: pages.create_component(
            page=page, name=name, group=group, start_date=since, keywords=KEYWORDS.get(name, "")
        )
        for group, name in [*placed, *((None, name) for name in UNGROUPED)]
    }


def _backdate(incident: Incident, times: list[datetime], **fields: datetime | None) -> None:
    """Spreads the incident's updates over the given times (oldest first), since the
    services stamp every update with the moment it was posted."""
    updates = list(incident.updates.order_by("created_at", "id"))
    for update, at in zip(updates, times, strict=True):
        IncidentUpdate.objects.filter(id=update.id).update(created_at=at)
    Incident.objects.filter(id=incident.id).update(started_at=times[0], **fields)
    incident.refresh_from_db()
    incident.save(update_fields=["updated_at"])  # re-derives the response state


def _active_incident(page: StatusPage, c: dict[str, Component], now: datetime) -> None:
    incident = incidents.create_incident(
        page=page,
        title="Elevated error rates on the API",
        impact=Impact.MAJOR,
        severity=Severity.HIGH,
        category=Category.OUTAGE,
        components={c["API"]: None, c["Webhooks"]: ComponentStatus.DEGRADED_PERFORMANCE},
        message="We are seeing elevated 5xx error rates on the API and are investigating.",
    )
    incidents.post_update(
        incident=incident,
        status=IncidentStatus.IDENTIFIED,
        message="A faulty configuration change on our load balancers is the cause. "
        "We are rolling it back.",
        components={c["API"]: ComponentStatus.MAJOR_OUTAGE},
    )
    incidents.post_update(
        incident=incident,
        status=IncidentStatus.MONITORING,
        message="The rollback is complete and error rates are back to normal. "
        "Webhook deliveries that failed are being retried.",
        components={c["API"]: ComponentStatus.DEGRADED_PERFORMANCE},
    )
    times = [now - timedelta(minutes=m) for m in (52, 31, 9)]
    _backdate(incident, times, monitoring_at=times[2])


def _email_incident(page: StatusPage, c: dict[str, Component], now: datetime) -> None:
    start = now - timedelta(days=9, hours=3)
    incident = incidents.create_incident(
        page=page,
        title="Delayed email delivery",
        impact=Impact.MINOR,
        severity=Severity.MEDIUM,
        category=Category.PERFORMANCE,
        components={c["Email delivery"]: None},
        message="Some emails are delivered with a delay of up to 30 minutes.",
        notify=False,
    )
    incidents.post_update(
        incident=incident,
        status=IncidentStatus.IDENTIFIED,
        message="One of our upstream mail providers is throttling us; we moved traffic away.",
        notify=False,
    )
    incidents.post_update(
        incident=incident,
        status=IncidentStatus.RESOLVED,
        message="All queued emails have been delivered.",
        notify=False,
    )
    times = [start, start + timedelta(minutes=25), start + timedelta(hours=1, minutes=40)]
    _backdate(incident, times, resolved_at=times[2])


def _login_incident(page: StatusPage, c: dict[str, Component], now: datetime) -> None:
    start = now - timedelta(days=19, hours=6)
    incident = incidents.create_incident(
        page=page,
        title="Dashboard sign-in failures",
        impact=Impact.CRITICAL,
        severity=Severity.CRITICAL,
        category=Category.BUG,
        components={c["Authentication"]: None, c["Dashboard"]: ComponentStatus.PARTIAL_OUTAGE},
        message="Users cannot sign in to the dashboard. We are investigating.",
        notify=False,
    )
    incidents.post_update(
        incident=incident,
        status=IncidentStatus.MONITORING,
        message="We reverted a release of the session service; sign-ins work again.",
        notify=False,
    )
    incidents.post_update(
        incident=incident,
        status=IncidentStatus.RESOLVED,
        message="Sign-ins have been stable for an hour. This incident is resolved.",
        notify=False,
    )
    times = [start, start + timedelta(minutes=38), start + timedelta(hours=1, minutes=45)]
    _backdate(incident, times, monitoring_at=times[1], resolved_at=times[2])
    incident.refresh_from_db()
    _postmortem(incident, published_at=times[2] + timedelta(days=2))


def _postmortem(incident: Incident, *, published_at: datetime) -> None:
    incidents.save_postmortem(
        incident=incident,
        title="Dashboard sign-in failures",
        summary="For 65 minutes, no one could sign in to the dashboard.",
        impact="All dashboard sign-ins failed; existing sessions and the API were unaffected.",
        root_cause="A release of the session service changed the cookie signing key "
        "without reading the previous key, so every new session was rejected.",
        resolution="The release was reverted at 06:38; sign-ins worked again at once.",
        corrective_actions="We added key rotation to the session service and a sign-in "
        "check to the release pipeline.",
        timeline="- 06:00 release deployed\n- 06:02 first alerts\n- 06:38 release reverted",
        action_items=[
            {
                "title": "Support two signing keys during rotation",
                "state": "done",
            },
            {
                "title": "Add a synthetic sign-in check to the release pipeline",
                "due_date": (published_at + timedelta(days=14)).date(),
            },
        ],
    )
    incidents.publish_postmortem(incident=incident)
    Postmortem.objects.filter(incident=incident).update(published_at=published_at)
    incident.updates.filter(status=IncidentStatus.POSTMORTEM).update(created_at=published_at)


def _backfilled_incident(page: StatusPage, c: dict[str, Component], now: datetime) -> None:
    start = (now - timedelta(days=37)).replace(hour=14, minute=5, second=0, microsecond=0)
    incidents.create_incident(
        page=page,
        title="CDN cache purges delayed",
        impact=Impact.MINOR,
        category=Category.INFRASTRUCTURE,
        components={c["CDN"]: None},
        message="Cache purges took up to 20 minutes to take effect. Added after the fact.",
        started_at=start,
        resolved_at=start + timedelta(hours=2, minutes=10),
    )


def _maintenance(page: StatusPage, c: dict[str, Component], now: datetime) -> None:
    starts_at = (now + timedelta(days=3)).replace(hour=1, minute=0, second=0, microsecond=0)
    schedule_maintenance(
        page=page,
        title="Database upgrade",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=2),
        message="We are upgrading our primary database. The API and dashboard may be "
        "read-only for a few minutes during the window.",
        components=[c["API"], c["Dashboard"]],
    )
