"""State changes of incidents, their updates and postmortems."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from upstate.audit.services import changed, record
from upstate.incidents.models import (
    Category,
    Impact,
    Incident,
    IncidentComponent,
    IncidentStatus,
    IncidentUpdate,
    Postmortem,
    PostmortemSection,
    PostmortemStatus,
    PostmortemTemplate,
    Severity,
    Source,
    UpdateComponentChange,
    Visibility,
    default_sections,
)
from upstate.lib.errors import InvalidInput
from upstate.notifications.models import EventKind
from upstate.notifications.services import record_incident_event
from upstate.pages.health import component_statuses
from upstate.pages.models import Component, ComponentStatus, StatusPage
from upstate.pages.services import on_page
from upstate.paging.services import record_escalation, record_page
from upstate.public.publish import request_rebuild

MAX_MESSAGE = 25_000
# A component named in an incident; None follows the incident's impact.
ComponentChanges = dict[Component, str | None]

POSTMORTEM_MESSAGE = "A postmortem for this incident has been published."


def _choice(field: str, value: Any, choices: type, *, blank: bool = False) -> str:
    if blank and value in (None, ""):
        return ""
    if value not in choices.values:
        raise InvalidInput(field, f"must be one of {', '.join(choices.values)}")
    return value


def _title(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput("title", "must not be empty")
    if len(value.strip()) > 255:
        raise InvalidInput("title", "must be at most 255 characters")
    return value.strip()


def _message(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInput("message", "must be text")
    if len(value) > MAX_MESSAGE:
        raise InvalidInput("message", f"must be at most {MAX_MESSAGE} characters")
    return value.strip()


def _check_components(page: StatusPage, components: ComponentChanges) -> None:
    on_page(page, components)
    for component, status in components.items():
        if status not in (None, ""):
            _choice(f"components.{component.code}", status, ComponentStatus)


def _apply_components(incident: Incident, components: ComponentChanges) -> None:
    for component, status in components.items():
        IncidentComponent.objects.update_or_create(
            incident=incident,
            component=component,
            defaults={"status_override": status or ""},
        )


def _record_changes(
    update: IncidentUpdate,
    before: dict[int, ComponentStatus],
    named: set[int],
) -> None:
    """Store the components whose status this update changed, and the ones it named."""
    after = component_statuses(update.incident.page)
    changed = {cid for cid, status in after.items() if before.get(cid) != status} | named
    rows = Component.objects.filter(id__in=changed).select_related("group")
    UpdateComponentChange.objects.bulk_create(
        UpdateComponentChange(
            update=update,
            component=c,
            component_code=c.code,
            name=c.display_name,
            old_status=before.get(c.id, after[c.id]),
            new_status=after[c.id],
        )
        for c in rows
    )


def _stamp_status(incident: Incident, status: IncidentStatus, at: datetime) -> None:
    incident.status = status
    if status == IncidentStatus.MONITORING and incident.monitoring_at is None:
        incident.monitoring_at = at
    if status.is_active:
        incident.resolved_at = None
    elif incident.resolved_at is None:
        incident.resolved_at = at


@transaction.atomic
def create_incident(
    *,
    page: StatusPage,
    title: str,
    status: str = IncidentStatus.INVESTIGATING,
    impact: str = Impact.MINOR,
    severity: str = "",
    category: str = "",
    components: ComponentChanges | None = None,
    message: str = "",
    visibility: str = Visibility.PUBLIC,
    notify: bool = True,
    started_at: datetime | None = None,
    resolved_at: datetime | None = None,
    author: AbstractBaseUser | None = None,
    source: str = Source.PERSON,
    page_responders: bool = True,
    acknowledge: bool = False,
) -> Incident:
    """Declare an incident, or backfill a past one by giving `resolved_at`. Responders are
    paged unless `page_responders` is False (a monitor whose policy says not to). A new
    incident is triggered; with `acknowledge` the person declaring it (`author`) takes it in
    the same step, so nobody is escalated to about what they are already handling."""
    now = timezone.now()
    components = components or {}
    title = _title(title)
    status = IncidentStatus(_choice("status", status, IncidentStatus))
    if status == IncidentStatus.POSTMORTEM:
        raise InvalidInput("status", "postmortem is set by publishing a postmortem")
    impact = _choice("impact", impact, Impact)
    severity = _choice("severity", severity, Severity, blank=True)
    category = _choice("category", category, Category, blank=True)
    visibility = _choice("visibility", visibility, Visibility)
    message = _message(message)
    _check_components(page, components)
    started_at = started_at or now
    if started_at > now:
        raise InvalidInput("started_at", "must not be in the future")
    backfilled = resolved_at is not None
    if backfilled:
        if resolved_at > now:
            raise InvalidInput("resolved_at", "must not be in the future")
        if resolved_at < started_at:
            raise InvalidInput("resolved_at", "must be after started_at")
        status = IncidentStatus.RESOLVED
    elif not status.is_active:
        resolved_at = now

    before = component_statuses(page)
    incident = Incident.objects.create(
        org=page.org,
        page=page,
        title=title,
        status=status,
        impact=impact,
        severity=severity,
        category=category,
        visibility=visibility,
        source=source,
        backfilled=backfilled,
        started_at=started_at,
        resolved_at=resolved_at,
        monitoring_at=started_at if status == IncidentStatus.MONITORING else None,
        acknowledged_at=now if acknowledge else None,
        owner=author if acknowledge else None,
    )
    _apply_components(incident, components)
    update = IncidentUpdate.objects.create(
        incident=incident,
        status=status,
        message=message,
        author=author,
        notify=notify and not backfilled,
        created_at=resolved_at if backfilled else started_at,
    )
    _record_changes(update, before, {c.id for c in components})
    record_incident_event(update=update, kind=EventKind.INCIDENT_CREATED)
    if page_responders:
        record_page(incident=incident)
    details = {"status": status, "impact": impact, "backfilled": backfilled}
    record(org=page.org_id, action="incident.created", target=incident, details=details)
    if acknowledge:
        record(org=page.org_id, action="incident.acknowledged", target=incident)
    request_rebuild(page.id)
    return incident


@transaction.atomic
def post_update(
    *,
    incident: Incident,
    status: str,
    message: str = "",
    components: ComponentChanges | None = None,
    notify: bool = True,
    author: AbstractBaseUser | None = None,
) -> IncidentUpdate:
    """Add a timeline entry; its status becomes the incident's (any status may follow any)."""
    status = IncidentStatus(_choice("status", status, IncidentStatus))
    if status == IncidentStatus.POSTMORTEM:
        raise InvalidInput("status", "postmortem is set by publishing a postmortem")
    components = components or {}
    message = _message(message)
    _check_components(incident.page, components)
    caller_copy = incident
    incident = Incident.objects.select_for_update().get(id=incident.id)
    now = timezone.now()
    was_active = incident.is_active
    # Component statuses move only when the update names components or the incident starts
    # or stops counting; otherwise reading them twice was a tenth of a write's cost.
    moves = bool(components) or was_active != status.is_active
    before = component_statuses(incident.page) if moves else None
    _apply_components(incident, components)
    _stamp_status(incident, status, now)
    incident.save()
    update = IncidentUpdate.objects.create(
        incident=incident,
        status=status,
        message=message,
        author=author,
        notify=notify,
        created_at=now,
    )
    if before is not None:
        _record_changes(update, before, {c.id for c in components})
    resolves = was_active and not status.is_active
    kind = EventKind.INCIDENT_RESOLVED if resolves else EventKind.INCIDENT_UPDATED
    record_incident_event(update=update, kind=kind)
    action = "incident.resolved" if resolves else "incident.updated"
    record(org=incident.org_id, action=action, target=incident, details={"status": status})
    request_rebuild(incident.page_id)
    # The caller's object shows the incident as saved (refresh_from_db without reading it back).
    for field in Incident._meta.concrete_fields:
        setattr(caller_copy, field.attname, getattr(incident, field.attname))
    return update


INCIDENT_FIELDS = {"title", "impact", "severity", "category", "visibility", "started_at"}


@transaction.atomic
def change_incident(*, incident: Incident, **fields: Any) -> Incident:
    """Edit an incident's details without posting to its timeline."""
    unknown = set(fields) - INCIDENT_FIELDS
    if unknown:
        raise InvalidInput(sorted(unknown)[0], "unknown field")
    before = {key: getattr(incident, key) for key in INCIDENT_FIELDS}
    if "title" in fields:
        incident.title = _title(fields["title"])
    if "impact" in fields:
        incident.impact = _choice("impact", fields["impact"], Impact)
    if "severity" in fields:
        incident.severity = _choice("severity", fields["severity"], Severity, blank=True)
    if "category" in fields:
        incident.category = _choice("category", fields["category"], Category, blank=True)
    if "visibility" in fields:
        incident.visibility = _choice("visibility", fields["visibility"], Visibility)
    if "started_at" in fields and fields["started_at"] is not None:
        started_at = fields["started_at"]
        if started_at > timezone.now():
            raise InvalidInput("started_at", "must not be in the future")
        if incident.resolved_at and started_at > incident.resolved_at:
            raise InvalidInput("started_at", "must be before resolved_at")
        incident.started_at = started_at
    incident.save()
    details = changed(before, {key: getattr(incident, key) for key in INCIDENT_FIELDS})
    record(org=incident.org_id, action="incident.changed", target=incident, details=details)
    record_escalation(incident=incident, before=before["severity"])
    request_rebuild(incident.page_id)
    return incident


@transaction.atomic
def acknowledge_incident(*, incident: Incident, user: AbstractBaseUser | None = None) -> Incident:
    """Mark the incident as taken; the first acknowledgement sets MTTA and the owner."""
    Incident.objects.select_for_update().get(id=incident.id)
    incident.refresh_from_db()
    first = incident.acknowledged_at is None
    if first:
        incident.acknowledged_at = timezone.now()
    if incident.owner_id is None and user is not None:
        incident.owner = user
    incident.save()
    if first:
        record(org=incident.org_id, action="incident.acknowledged", target=incident)
    return incident


@transaction.atomic
def take_ownership(*, incident: Incident, user: AbstractBaseUser) -> Incident:
    """Make `user` the incident's owner (replacing any other); acknowledges it if nobody had."""
    Incident.objects.select_for_update().get(id=incident.id)
    incident.refresh_from_db()
    first = incident.acknowledged_at is None
    if first:
        incident.acknowledged_at = timezone.now()
    incident.owner = user
    incident.save()
    if first:
        record(org=incident.org_id, action="incident.acknowledged", target=incident)
    record(
        org=incident.org_id,
        action="incident.owner_changed",
        target=incident,
        details={"owner": user.get_username()},
    )
    return incident


def touch_incident(*, incident_id: int) -> None:
    """Something the incident's dashboard room shows changed (a linked conversation, a task)
    without the incident itself changing: its version moves on (upstate/incidents/live.py)."""
    Incident.objects.filter(id=incident_id).update(updated_at=timezone.now())


@transaction.atomic
def delete_incident(*, incident: Incident) -> None:
    """Remove the incident, its updates and postmortem everywhere."""
    page_id = incident.page_id
    record(org=incident.org_id, action="incident.deleted", target=incident)
    incident.delete()
    request_rebuild(page_id)


POSTMORTEM_FIELDS = ("title", *PostmortemSection.values)


def template_sections(org_id: int) -> list[dict[str, str]]:
    """The sections a postmortem started now gets: its organization's template's."""
    template = PostmortemTemplate.objects.filter(org_id=org_id).first()
    return template.sections if template is not None else default_sections()


@transaction.atomic
def save_postmortem(
    *, incident: Incident, action_items: list[dict[str, Any]] | None = None, **fields: Any
) -> Postmortem:
    """Create or replace the postmortem's text and action items; stays draft until published.
    A new postmortem takes its organization's template's sections. Action items are the
    incident's tasks (upstate.tasks.services.save_tasks says what an item holds)."""
    if incident.is_active:
        raise InvalidInput("incident", "resolve the incident before writing its postmortem")
    unknown = set(fields) - set(POSTMORTEM_FIELDS)
    if unknown:
        raise InvalidInput(sorted(unknown)[0], "unknown field")
    for key, value in fields.items():
        if value is not None and not isinstance(value, str):
            raise InvalidInput(key, "must be text")
        if value is not None and len(value) > MAX_MESSAGE:
            raise InvalidInput(key, f"must be at most {MAX_MESSAGE} characters")
    postmortem = Postmortem.objects.filter(incident=incident).first()
    if postmortem is None:
        postmortem = Postmortem(incident=incident, sections=template_sections(incident.org_id))
    for key, value in fields.items():
        setattr(postmortem, key, value or "")
    postmortem.save()
    if action_items is not None:
        # Imported here: tasks build on incidents (a task belongs to one), not the reverse.
        from upstate.tasks.services import save_tasks

        save_tasks(incident=incident, items=action_items)
    record(org=incident.org_id, action="postmortem.saved", target=incident)
    if postmortem.is_published:
        request_rebuild(incident.page_id)
    return postmortem


@transaction.atomic
def publish_postmortem(*, incident: Incident, author: AbstractBaseUser | None = None) -> Postmortem:
    """Publish the draft; the incident moves to `postmortem` without notifying anyone."""
    postmortem = Postmortem.objects.select_for_update().filter(incident=incident).first()
    if postmortem is None:
        raise InvalidInput("postmortem", "write the postmortem before publishing it")
    if not (postmortem.summary or postmortem.root_cause):
        raise InvalidInput("summary", "a published postmortem needs a summary or a root cause")
    if postmortem.is_published:
        return postmortem
    now = timezone.now()
    postmortem.status = PostmortemStatus.PUBLISHED
    postmortem.published_at = now
    postmortem.save()
    incident.status = IncidentStatus.POSTMORTEM
    incident.save(update_fields=["status", "updated_at"])
    IncidentUpdate.objects.create(
        incident=incident,
        status=IncidentStatus.POSTMORTEM,
        message=POSTMORTEM_MESSAGE,
        author=author,
        notify=False,
        created_at=now,
    )
    record(org=incident.org_id, action="postmortem.published", target=incident)
    request_rebuild(incident.page_id)
    return postmortem


@transaction.atomic
def edit_update(
    *, update: IncidentUpdate, message: str | None = None, created_at: datetime | None = None
) -> IncidentUpdate:
    """Correct a posted timeline entry's text or time; nobody is notified again."""
    if message is not None:
        update.message = _message(message)
    if created_at is not None:
        if created_at > timezone.now():
            raise InvalidInput("display_at", "must not be in the future")
        update.created_at = created_at
    update.save()
    incident = update.incident
    record(org=incident.org_id, action="incident.update_edited", target=incident)
    request_rebuild(incident.page_id)
    return update


@transaction.atomic
def unpublish_postmortem(*, incident: Incident) -> Postmortem:
    """Take a published postmortem back to draft; the incident returns to resolved."""
    postmortem = Postmortem.objects.select_for_update().filter(incident=incident).first()
    if postmortem is None:
        raise InvalidInput("postmortem", "this incident has no postmortem")
    if not postmortem.is_published:
        return postmortem
    postmortem.status = PostmortemStatus.DRAFT
    postmortem.published_at = None
    postmortem.save()
    # The timeline entry publishing made goes too: the status is the latest entry's.
    IncidentUpdate.objects.filter(incident=incident, status=IncidentStatus.POSTMORTEM).delete()
    incident.status = IncidentStatus.RESOLVED
    incident.save(update_fields=["status", "updated_at"])
    record(org=incident.org_id, action="postmortem.unpublished", target=incident)
    request_rebuild(incident.page_id)
    return postmortem


@transaction.atomic
def delete_postmortem(*, incident: Incident) -> None:
    """Remove the postmortem (unpublishing it first when it is published)."""
    unpublish_postmortem(incident=incident)
    Postmortem.objects.filter(incident=incident).delete()
    record(org=incident.org_id, action="postmortem.deleted", target=incident)
