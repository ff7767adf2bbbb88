"""The organization's audit log: admins and owners only."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from upstate.audit.models import AuditEntry
from upstate.dashboard.access import member_context

PER_PAGE = 50


@login_required
def audit_log(request: HttpRequest, org_slug: str) -> HttpResponse:
    member = member_context(request, org_slug, require="manage")
    entries = AuditEntry.objects.filter(org=member.org)
    actions = sorted(set(entries.values_list("action", flat=True).distinct()))
    action = request.GET.get("action", "")
    if action:
        entries = entries.filter(action=action)
    page = Paginator(entries, PER_PAGE).get_page(request.GET.get("page"))
    for entry in page:
        entry.detail_lines = [(key, _text(value)) for key, value in entry.details.items()]
    context = {"entries": page, "actions": actions, "action": action}
    return render(request, "audit/log.html", context)


def _text(value: object) -> str:
    """A details value for people: [old, new] pairs as "old → new"."""
    if isinstance(value, list) and len(value) == 2:
        return f"{_blank(value[0])} → {_blank(value[1])}"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return _blank(value)


def _blank(value: object) -> str:
    return "(none)" if value in (None, "") else str(value)
