"""The public page's uptime bars follow monitor checks where a component has monitors, and
incident history where it has none."""

from __future__ import annotations

import re
from datetime import timedelta

from django.utils import timezone

from upstate.monitors.checks import Outcome
from upstate.monitors.services import Result, create_monitor, record_results, roll_up
from upstate.public.pages import documents


def uptime_of(html: str, name: str) -> str:
    block = html.split(f">{name}<", 1)[1]
    return re.search(r'class="pct">([^<]+)<', block).group(1)


def test_bars_use_the_checks_of_monitored_components(org, page, api_component, web_component):
    monitor = create_monitor(
        org=org, name="API", kind="tcp", host="db", port=5432, page=page, component=api_component
    )
    now = timezone.now()
    outcomes = [True, True, True, False]
    record_results(
        [
            Result(monitor.id, now - timedelta(milliseconds=10 * i), Outcome(ok, "x", 5))
            for i, ok in enumerate(outcomes)
        ]
    )
    roll_up()
    html = documents(page)[""].decode()
    assert uptime_of(html, "API") == "75.00 % uptime"
    assert uptime_of(html, "Website") == "100.00 % uptime"  # no monitor: incident history
    assert "Major outage for" in html  # today's bar explains the failed share
