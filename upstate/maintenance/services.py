"""State changes of scheduled maintenance."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from upstate.audit.services import changed, record
from upstate.lib.errors import InvalidInput
from upstate.maintenance.models import Maintenance, MaintenanceStatus, MaintenanceUpdate
from upstate.notifications.services import record_maintenance_event
from upstate.pages.models import Component, StatusPage
from upstate.pages.services import on_page
from upstate.public.publish import request_rebuild

MAX_MESSAGE = 25_000

DEFAULT_MESSAGES = {
    MaintenanceStatus.IN_PROGRESS: "Scheduled maintenance is currently in progress.",
    MaintenanceStatus.VERIFYING: "Maintenance work is done; we are verifying the results.",
    MaintenanceStatus.COMPLETED: "The scheduled maintenance has been completed.",
}

MAINTENANCE_ACTIONS = {
    MaintenanceStatus.IN_PROGRESS: "maintenance.started",
    MaintenanceStatus.COMPLETED: "maintenance.completed",
}


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


def _window(starts_at: datetime, ends_at: datetime) -> None:
    if ends_at <= starts_at:
        raise InvalidInput("ends_at", "must be after starts_at")


@transaction.atomic
def schedule_maintenance(
    *,
    page: StatusPage,
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    message: str = "",
    components: list[Component] | None = None,
    auto_start: bool = True,
    auto_complete: bool = True,
    author: AbstractBaseUser | None = None,
    notify: bool = True,
) -> Maintenance:
    """Schedule a maintenance; subscribers hear of it unless `notify` is False."""
    title = _title(title)
    message = _message(message)
    _window(starts_at, ends_at)
    components = on_page(page, components or [])
    maintenance = Maintenance.objects.create(
        org=page.org,
        page=page,
        title=title,
        message=message,
        starts_at=starts_at,
        ends_at=ends_at,
        auto_start=auto_start,
        auto_complete=auto_complete,
    )
    maintenance.components.set(components)
    update = MaintenanceUpdate.objects.create(
        maintenance=maintenance,
        status=MaintenanceStatus.SCHEDULED,
        message=message,
        author=author,
        created_at=timezone.now(),
    )
    if notify:
        record_maintenance_event(update=update)
    details = {"starts_at": starts_at, "ends_at": ends_at}
    record(org=page.org_id, action="maintenance.scheduled", target=maintenance, details=details)
    request_rebuild(page.id)
    return maintenance


MAINTENANCE_FIELDS = {"title", "message", "starts_at", "ends_at", "auto_start", "auto_complete"}


@transaction.atomic
def change_maintenance(
    *, maintenance: Maintenance, components: list[Component] | None = None, **fields: Any
) -> Maintenance:
    unknown = set(fields) - MAINTENANCE_FIELDS
    if unknown:
        raise InvalidInput(sorted(unknown)[0], "unknown field")
    before = {key: getattr(maintenance, key) for key in MAINTENANCE_FIELDS}
    if "title" in fields:
        maintenance.title = _title(fields["title"])
    if "message" in fields:
        maintenance.message = _message(fields["message"])
    for key in ("starts_at", "ends_at"):
        if fields.get(key) is not None:
            setattr(maintenance, key, fields[key])
    for key in ("auto_start", "auto_complete"):
        if key in fields and fields[key] is not None:
            setattr(maintenance, key, bool(fields[key]))
    _window(maintenance.starts_at, maintenance.ends_at)
    maintenance.save()
    if components is not None:
        maintenance.components.set(on_page(maintenance.page, components))
    details = changed(before, {key: getattr(maintenance, key) for key in MAINTENANCE_FIELDS})
    if components is not None:
        details["components"] = sorted(c.code for c in components)
    record(
        org=maintenance.org_id, action="maintenance.changed", target=maintenance, details=details
    )
    request_rebuild(maintenance.page_id)
    return maintenance


@transaction.atomic
def post_maintenance_update(
    *,
    maintenance: Maintenance,
    status: str,
    message: str = "",
    author: AbstractBaseUser | None = None,
    notify: bool = True,
) -> MaintenanceUpdate:
    """Move the maintenance to `status` (by hand or by the worker) with a timeline entry;
    subscribers hear of its start and end unless `notify` is False."""
    if status not in MaintenanceStatus.values:
        raise InvalidInput("status", f"must be one of {', '.join(MaintenanceStatus.values)}")
    status = MaintenanceStatus(status)
    Maintenance.objects.select_for_update().get(id=maintenance.id)
    maintenance.refresh_from_db()
    now = timezone.now()
    maintenance.status = status
    if status.holds_components and maintenance.started_at is None:
        maintenance.started_at = now
    if status == MaintenanceStatus.COMPLETED:
        maintenance.completed_at = now
    else:
        maintenance.completed_at = None
    maintenance.save()
    update = MaintenanceUpdate.objects.create(
        maintenance=maintenance,
        status=status,
        message=_message(message) or DEFAULT_MESSAGES.get(status, ""),
        author=author,
        created_at=now,
    )
    if notify:
        record_maintenance_event(update=update)
    action = MAINTENANCE_ACTIONS.get(status, "maintenance.updated")
    record(org=maintenance.org_id, action=action, target=maintenance, details={"status": status})
    request_rebuild(maintenance.page_id)
    return update


@transaction.atomic
def delete_maintenance(*, maintenance: Maintenance) -> None:
    page_id = maintenance.page_id
    record(org=maintenance.org_id, action="maintenance.deleted", target=maintenance)
    maintenance.delete()
    request_rebuild(page_id)


def advance_due_maintenance(now: datetime | None = None) -> int:
    """Start and complete maintenance whose window edge has passed; returns how many moved.
    Each move re-reads the row under lock, so two workers never post the same transition."""
    now = now or timezone.now()
    moved = 0
    unfinished = Maintenance.objects.exclude(status=MaintenanceStatus.COMPLETED)
    due_start = unfinished.filter(
        status=MaintenanceStatus.SCHEDULED, auto_start=True, starts_at__lte=now, ends_at__gt=now
    )
    for maintenance in due_start:
        moved += _advance(maintenance, MaintenanceStatus.SCHEDULED, MaintenanceStatus.IN_PROGRESS)
    due_end = unfinished.filter(auto_complete=True, ends_at__lte=now)
    for maintenance in due_end:
        moved += _advance(maintenance, maintenance.status, MaintenanceStatus.COMPLETED)
    return moved


@transaction.atomic
def _advance(maintenance: Maintenance, expected: str, target: MaintenanceStatus) -> int:
    claimed = Maintenance.objects.filter(id=maintenance.id, status=expected).update(
        updated_at=timezone.now()
    )
    if not claimed:
        return 0
    post_maintenance_update(maintenance=maintenance, status=target)
    return 1


@transaction.atomic
def edit_maintenance_update(*, update: MaintenanceUpdate, message: str) -> MaintenanceUpdate:
    """Correct the text of a posted entry; nobody is notified again."""
    update.message = _message(message)
    update.save(update_fields=["message"])
    maintenance = update.maintenance
    record(org=maintenance.org_id, action="maintenance.update_edited", target=maintenance)
    request_rebuild(maintenance.page_id)
    return update
