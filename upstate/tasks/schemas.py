"""API shapes of tasks."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from ninja import Field, Schema

from upstate.api.fields import Line, PatchSchema, Timestamp
from upstate.tasks.models import Task, TaskState


class TaskStateFilter(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    UNFINISHED = "unfinished"
    ANY = "any"


class TaskOut(Schema):
    id: str
    title: str
    state: TaskState
    assignee: str | None = Field(description="The assigned member's email; null: nobody yet")
    due_date: date | None
    overdue: bool
    incident_id: str
    incident_title: str
    note: str = Field(description="The free-text owner of an action item no member matched")
    created_at: Timestamp
    updated_at: Timestamp

    @staticmethod
    def resolve_id(task: Task) -> str:
        return task.code

    @staticmethod
    def resolve_assignee(task: Task) -> str | None:
        return task.assignee.user.email if task.assignee else None

    @staticmethod
    def resolve_overdue(task: Task) -> bool:
        from django.utils import timezone

        return task.is_overdue(timezone.localdate())

    @staticmethod
    def resolve_incident_id(task: Task) -> str:
        return task.incident.code

    @staticmethod
    def resolve_incident_title(task: Task) -> str:
        return task.incident.title


class TaskPatch(PatchSchema):
    NULLABLE = frozenset({"assignee", "due_date"})

    title: Line | None = None
    state: TaskState | None = None
    assignee: Line | None = Field(
        None, description="A member's email; null leaves the task unassigned"
    )
    due_date: date | None = Field(None, description="YYYY-MM-DD; null: no due date")
