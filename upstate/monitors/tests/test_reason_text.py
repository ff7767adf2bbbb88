"""What a checked server answered (an error text, a JSON value) ends up in an incident's public
message: its control characters never do (the accepted-text rule, upstate.lib.text)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from upstate.incidents.models import Incident
from upstate.monitors.checks import Outcome
from upstate.monitors.services import Result, record_results
from upstate.public.tests.documents import build_and_parse


def test_a_failure_reason_with_control_characters_opens_a_clean_incident(http_monitor, page):
    start = timezone.now()
    reason = "TLS alert \x1b[31mhandshake\x0c failure\x00"
    for n in range(3):  # the policy opens an incident after three failures
        outcome = Outcome(False, reason)
        record_results([Result(http_monitor.id, start + timedelta(seconds=30 * n), outcome)])

    message = Incident.objects.get(page=page).updates.get().message
    assert message == "Public API is failing its checks: TLS alert [31mhandshake failure"
    build_and_parse(page)
