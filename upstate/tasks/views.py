"""The Tasks screen: every unfinished task of the organization's postmortems, filtered by
who it is assigned to, whether it is overdue and by team; responders change them in place."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import F, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from upstate.dashboard.access import Member, get_for_member, member_context
from upstate.lib.errors import InvalidInput
from upstate.orgs.models import Membership
from upstate.paging.models import Team
from upstate.tasks import services
from upstate.tasks.forms import TaskChangeForm
from upstate.tasks.models import Task, TaskState

STATE_FILTERS = [("", "Not done"), *TaskState.choices, ("all", "Any state")]


def _members(member: Member) -> list[Membership]:
    return list(
        Membership.objects.filter(org=member.org).select_related("user").order_by("user__email")
    )


def _filtered(request: HttpRequest, member: Member, params: dict[str, str]) -> QuerySet[Task]:
    tasks = Task.objects.filter(org=member.org).select_related("incident", "assignee__user")
    state = params["state"]
    if state in TaskState.values:
        tasks = tasks.filter(state=state)
    elif state != "all":
        tasks = tasks.exclude(state=TaskState.DONE)
    if params["mine"]:
        tasks = tasks.filter(assignee__user=request.user)
    if params["overdue"]:
        tasks = tasks.exclude(state=TaskState.DONE).filter(due_date__lt=timezone.localdate())
    if params["team"]:
        tasks = tasks.filter(assignee__teams__code=params["team"], assignee__teams__org=member.org)
    return tasks.order_by(F("due_date").asc(nulls_last=True), "incident__started_at", "position")


def _list(
    request: HttpRequest, member: Member, *, failed: tuple[str, TaskChangeForm] | None = None
) -> HttpResponse:
    params = {
        "mine": request.GET.get("mine", "") == "1",
        "overdue": request.GET.get("overdue", "") == "1",
        "team": request.GET.get("team", ""),
        "state": request.GET.get("state", ""),
    }
    members = _members(member)
    rows = []
    for task in _filtered(request, member, params):
        form = None
        if member.can_respond:
            if failed is not None and failed[0] == task.code:
                form = failed[1]
            else:
                initial = {
                    "state": task.state,
                    "assignee": task.assignee.user.email if task.assignee else "",
                    "due_date": task.due_date,
                }
                form = TaskChangeForm(initial=initial, members=members, prefix=task.code)
        rows.append({"task": task, "form": form})
    context = {
        "rows": rows,
        "params": params,
        "today": timezone.localdate(),
        "teams": Team.objects.filter(org=member.org),
        "states": STATE_FILTERS,
        "next": request.get_full_path(),
    }
    return render(request, "tasks/list.html", context, status=400 if failed else 200)


@login_required
@require_GET
def task_list(request: HttpRequest, org_slug: str) -> HttpResponse:
    return _list(request, member_context(request, org_slug))


def _back(request: HttpRequest, org_slug: str) -> str:
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts=None) and target.startswith("/"):
        return target
    return reverse("dashboard:task-list", args=[org_slug])


@login_required
@require_POST
def task_change(request: HttpRequest, org_slug: str, code: str) -> HttpResponse:
    """One task's state, assignee and due date, from its row on the Tasks screen."""
    task, _ = get_for_member(request, Task, org_slug=org_slug, require="respond", code=code)
    member = member_context(request, org_slug)
    form = TaskChangeForm(request.POST, members=_members(member), prefix=task.code)
    if form.is_valid():
        changes: dict[str, Any] = {
            "state": form.cleaned_data["state"],
            "assignee": form.assignee_member(),
            "due_date": form.cleaned_data["due_date"],
        }
        try:
            services.change_task(task=task, **changes)
        except InvalidInput as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, f"Saved “{task.title}”.")
            return redirect(_back(request, org_slug))
    return _list(request, member, failed=(task.code, form))
