"""Background work of tasks: the assignment email, and the daily-ish overdue notices."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from upstate.tasks import services
from upstate.tasks.models import Task

log = logging.getLogger(__name__)


def _links(task: Task) -> dict[str, str]:
    org = task.org.slug
    return {
        "tasks_url": settings.PUBLIC_URL + reverse("dashboard:task-list", args=[org]) + "?mine=1",
        "incident_url": settings.PUBLIC_URL
        + reverse("dashboard:incident-detail", args=[org, task.incident.code]),
    }


def _send(task: Task, kind: str) -> None:
    context = {"task": task, "org": task.org, "incident": task.incident, **_links(task)}
    subject = " ".join(render_to_string(f"tasks/email/{kind}_subject.txt", context).split())
    body = render_to_string(f"tasks/email/{kind}.txt", context)
    send_mail(subject, body, None, [task.assignee.user.email])


def _task(task_id: int) -> Task | None:
    return (
        Task.objects.select_related("org", "incident", "assignee__user").filter(id=task_id).first()
    )


@db_task(retries=3, retry_delay=30)
def send_assignment_email(task_id: int, member_id: int) -> None:
    """Tell the assignee the task is theirs, unless it went to someone else meanwhile."""
    task = _task(task_id)
    if task is None or task.assignee_id != member_id or task.is_done:
        return
    _send(task, "assigned")


@db_periodic_task(crontab(minute="*/15"))
def notify_overdue_tasks() -> int:
    """Email each overdue task's assignee once per due date; returns how many were sent."""
    today = timezone.localdate()
    sent = 0
    for task in services.overdue(today).select_related("org", "incident", "assignee__user"):
        if not services.claim_overdue(task):
            continue  # another worker sends it
        try:
            _send(task, "overdue")
        except Exception:
            # Hand the claim back so that the next run tries again.
            Task.objects.filter(id=task.id).update(overdue_notified_for=None)
            log.exception("the overdue notice of task %s could not be sent", task.code)
            continue
        sent += 1
    return sent
