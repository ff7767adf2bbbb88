"""State changes of tasks: the postmortem editor's list of action items, one task's state,
assignee and due date, and the worker's claim of an overdue notice."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import F, Q, QuerySet

from upstate.audit.services import record
from upstate.incidents.models import Incident, Postmortem, PostmortemStatus
from upstate.incidents.services import touch_incident
from upstate.lib.errors import InvalidInput
from upstate.orgs.models import Membership, Organization
from upstate.public.publish import request_rebuild
from upstate.tasks.models import Task, TaskState

MAX_TASKS = 100


def assignee_by_email(org: Organization, email: Any, *, field: str) -> Membership | None:
    """The member of `org` with this email; "" or None leaves the task unassigned."""
    if email in (None, ""):
        return None
    if not isinstance(email, str):
        raise InvalidInput(field, "must be the email of a member")
    member = (
        Membership.objects.filter(org=org, user__email__iexact=email.strip())
        .select_related("user")
        .first()
    )
    if member is None:
        raise InvalidInput(field, f"no member of this organization has the email {email!r}")
    return member


def _title(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(field, "must not be empty")
    if len(value.strip()) > 255:
        raise InvalidInput(field, "must be at most 255 characters")
    return value.strip()


def _state(value: Any, field: str) -> str:
    if value not in TaskState.values:
        raise InvalidInput(field, f"must be one of {', '.join(TaskState.values)}")
    return value


def _due(value: Any, field: str) -> date | None:
    if value is not None and not isinstance(value, date):
        raise InvalidInput(field, "must be a date")
    return value


def _check_assignee(org: Organization, member: Membership | None, field: str) -> None:
    if member is not None and member.org_id != org.id:
        raise InvalidInput(field, "must be a member of this organization")


def _notify_on_commit(task: Task, before: int | None) -> None:
    """Email the assignee when the task is newly theirs, once the change is committed."""
    if task.assignee_id is None or task.assignee_id == before:
        return
    from upstate.tasks.tasks import send_assignment_email

    task_id, member_id = task.id, task.assignee_id
    transaction.on_commit(lambda: send_assignment_email(task_id, member_id))


@transaction.atomic
def save_tasks(*, incident: Incident, items: list[dict[str, Any]]) -> list[Task]:
    """Make the incident's tasks these `items` (in order): an item with the `code` of one of
    its tasks changes that task, one without adds a task, and tasks left out are removed.
    Keys: title, assignee (a Membership, a member's email, or None), due_date, state (or
    `done`), code (or `id`, as the API names it)."""
    if len(items) > MAX_TASKS:
        raise InvalidInput("action_items", f"at most {MAX_TASKS} action items")
    existing = {t.code: t for t in Task.objects.select_for_update().filter(incident=incident)}
    kept: list[Task] = []
    for index, item in enumerate(items):
        field = f"action_items.{index}"
        task = existing.get(item.get("code") or item.get("id") or "")
        if task is None:
            task = Task(org_id=incident.org_id, incident=incident)
        before = task.assignee_id
        task.title = _title(item.get("title"), f"{field}.title")
        task.due_date = _due(item.get("due_date"), f"{field}.due_date")
        # `done` is how action items said it before they became tasks (API clients).
        state = item.get("state") or (TaskState.DONE if item.get("done") else task.state)
        task.state = _state(state, f"{field}.state")
        assignee = item.get("assignee")
        if not isinstance(assignee, Membership):
            assignee = assignee_by_email(incident.org, assignee, field=f"{field}.assignee")
        _check_assignee(incident.org, assignee, f"{field}.assignee")
        task.assignee = assignee
        task.position = index
        task.save()
        _notify_on_commit(task, before)
        kept.append(task)
    kept_ids = {t.id for t in kept}
    Task.objects.filter(incident=incident).exclude(id__in=kept_ids).delete()
    touch_incident(incident_id=incident.id)
    return kept


TASK_FIELDS = {"state", "assignee", "due_date", "title"}


@transaction.atomic
def change_task(*, task: Task, **fields: Any) -> Task:
    """Change a task's state, assignee (Membership or None), due date or title."""
    unknown = set(fields) - TASK_FIELDS
    if unknown:
        raise InvalidInput(sorted(unknown)[0], "unknown field")
    task = Task.objects.select_for_update().select_related("org").get(id=task.id)
    before = task.assignee_id
    changes: dict[str, Any] = {}
    if "title" in fields:
        task.title = _title(fields["title"], "title")
    if "state" in fields:
        task.state = _state(fields["state"], "state")
        changes["state"] = task.state
    if "due_date" in fields:
        task.due_date = _due(fields["due_date"], "due_date")
        changes["due_date"] = task.due_date.isoformat() if task.due_date else None
    if "assignee" in fields:
        _check_assignee(task.org, fields["assignee"], "assignee")
        task.assignee = fields["assignee"]
        changes["assignee"] = task.assignee.user.email if task.assignee else None
    task.save()
    _notify_on_commit(task, before)
    touch_incident(incident_id=task.incident_id)
    _rebuild_if_public(task.incident_id)
    record(org=task.org_id, action="task.changed", target=task, details=changes)
    return task


def _rebuild_if_public(incident_id: int) -> None:
    """A published postmortem lists its tasks' states on the public page."""
    published = Postmortem.objects.filter(
        incident_id=incident_id, status=PostmortemStatus.PUBLISHED
    ).values_list("incident__page_id", flat=True)
    for page_id in published:
        request_rebuild(page_id)


def overdue(today: date) -> QuerySet[Task]:
    """Unfinished tasks past their due date whose assignee has not been told for that date."""
    return (
        Task.objects.exclude(state=TaskState.DONE)
        .filter(due_date__lt=today, assignee__isnull=False)
        .filter(Q(overdue_notified_for__isnull=True) | ~Q(overdue_notified_for=F("due_date")))
    )


def claim_overdue(task: Task) -> bool:
    """Whether this caller is the one to send the task's overdue notice (a conditional
    update whose row count says who won: two workers never both send it)."""
    claimed = (
        Task.objects.filter(id=task.id, due_date=task.due_date)
        .exclude(overdue_notified_for=task.due_date)
        .update(overdue_notified_for=task.due_date)
    )
    return claimed == 1
