"""Tasks: the action items of postmortems, each followed through by a member of the
organization until it is done."""

from __future__ import annotations

from datetime import date

from django.db import models

from upstate.incidents.models import Incident
from upstate.lib.codes import new_code
from upstate.orgs.models import Membership, Organization


class TaskState(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"


class Task(models.Model):
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="tasks")
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="tasks")
    code = models.CharField(max_length=12, unique=True, default=new_code, editable=False)
    title = models.CharField(max_length=255)
    # A member, not a name: removing someone from the organization leaves their tasks
    # unassigned, on the Tasks screen for someone else to take.
    assignee = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks"
    )
    due_date = models.DateField(null=True, blank=True)
    state = models.CharField(max_length=12, choices=TaskState.choices, default=TaskState.OPEN)
    # What the free-text owner of an action item said when no member matched it.
    note = models.CharField(max_length=255, blank=True)
    position = models.PositiveIntegerField(default=0)
    # The due date whose overdue email went out: once per task and due date (a new due date
    # may be missed again). Set by the worker's claim, see services.claim_overdue.
    overdue_notified_for = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]
        indexes = [
            # The overdue worker (tasks.notify_overdue_tasks) and the Tasks screen ask only
            # for unfinished tasks.
            models.Index(
                fields=["due_date"],
                name="task_unfinished_by_due",
                condition=~models.Q(state="done"),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_done(self) -> bool:
        return self.state == TaskState.DONE

    def is_overdue(self, today: date) -> bool:
        """Unfinished and past its due date (the day after it, in the server's time zone)."""
        return not self.is_done and self.due_date is not None and self.due_date < today
