"""REST API v1: tasks, the action items of postmortems (responder keys change them)."""

# No `from __future__ import annotations` here: ninja's @paginate wrapper resolves the view's
# annotations in its own module, where string annotations naming our types cannot resolve.

from typing import Any

from django.db.models import F, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from ninja import Router
from ninja.pagination import paginate

from upstate.api.access import Need, caller, get_for_key, scoped
from upstate.api.errors import ERROR_RESPONSES
from upstate.api.pagination import Pagination
from upstate.lib.errors import InvalidInput
from upstate.paging.models import Team
from upstate.tasks import services
from upstate.tasks.models import Task, TaskState
from upstate.tasks.schemas import TaskOut, TaskPatch, TaskStateFilter

router = Router(tags=["tasks"])


def _tasks() -> QuerySet[Task]:
    return Task.objects.select_related("incident", "assignee__user")


@router.get("/tasks", response={200: list[TaskOut], **ERROR_RESPONSES})
@paginate(Pagination)
def list_tasks(
    request: HttpRequest,
    state: TaskStateFilter = TaskStateFilter.UNFINISHED,
    assignee: str | None = None,
    overdue: bool = False,
    team_id: str | None = None,
    incident_id: str | None = None,
) -> Any:
    """Unfinished tasks by default, soonest due first. `assignee` is a member's email,
    `overdue=true` keeps unfinished tasks past their due date, `team_id` the tasks assigned
    to a member of that team."""
    tasks = scoped(_tasks(), request)
    if state in (TaskStateFilter.OPEN, TaskStateFilter.IN_PROGRESS, TaskStateFilter.DONE):
        tasks = tasks.filter(state=state.value)
    elif state is TaskStateFilter.UNFINISHED:
        tasks = tasks.exclude(state=TaskState.DONE)
    if assignee is not None:
        tasks = tasks.filter(assignee__user__email__iexact=assignee)
    if overdue:
        tasks = tasks.exclude(state=TaskState.DONE).filter(due_date__lt=timezone.localdate())
    if team_id is not None:
        team = scoped(Team.objects.all(), request).filter(code=team_id).first()
        if team is None:
            raise InvalidInput("team_id", f"no team with id {team_id!r}")
        tasks = tasks.filter(assignee__teams=team)
    if incident_id is not None:
        tasks = tasks.filter(incident__code=incident_id)
    return tasks.order_by(F("due_date").asc(nulls_last=True), "id")


@router.get("/tasks/{task_id}", response={200: TaskOut, **ERROR_RESPONSES})
def get_task(request: HttpRequest, task_id: str) -> Any:
    return get_for_key(request, _tasks(), task_id)


@router.patch("/tasks/{task_id}", response={200: TaskOut, **ERROR_RESPONSES})
def update_task(request: HttpRequest, task_id: str, payload: TaskPatch) -> Any:
    """Change the state, the assignee (a member's email, or null), the due date or title."""
    task = get_for_key(request, _tasks(), task_id, need=Need.RESPOND)
    fields = payload.model_dump(exclude_unset=True)
    if "assignee" in fields:
        org = caller(request).org
        fields["assignee"] = services.assignee_by_email(org, fields["assignee"], field="assignee")
    services.change_task(task=task, **fields)
    return get_for_key(request, _tasks(), task_id)
