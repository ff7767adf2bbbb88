"""The public HTML documents, built straight from `pages.documents(page)`."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from upstate.incidents.services import (
    create_incident,
    post_update,
    publish_postmortem,
    save_postmortem,
)
from upstate.pages.services import create_component, update_page
from upstate.public.pages import HISTORY_PAGE_SIZE, documents
from upstate.public.snapshot import rendered
from upstate.public.tests.scene import build_scene


def _html(page) -> dict[str, str]:  # noqa: ANN001
    return {path: body.decode() for path, body in rendered(documents(page)).items()}


def _backfill(page, title: str, started: datetime, hours: float = 1, **fields):  # noqa: ANN001, ANN003
    return create_incident(
        page=page,
        title=title,
        started_at=started,
        resolved_at=started + timedelta(hours=hours),
        **fields,
    )


def _component(html: str, name: str) -> str:
    """The markup of one component row: its name, status and bars."""
    start = html.index(f'<span class="name">{name}')
    end = html.find('<div class="component">', start)
    return html[start : end if end != -1 else len(html)]


@pytest.fixture
def scene(page):
    return build_scene(page)


def test_the_status_page_shows_banner_incidents_maintenance_and_components(scene):
    html = _html(scene.page)[""]
    assert '<p class="banner minor" id="overall">' in html
    assert "Minor Service Outage" in html
    assert "Elevated API errors" in html
    assert "Rolled back; <strong>watching</strong>." in html
    assert "Cache upgrade" in html and "Website migration" in html
    assert '<span class="desc">REST API</span>' in _component(html, "API")
    assert "Partial outage</span>" in _component(html, "API")
    assert "Under maintenance</span>" in _component(html, "Cache")
    assert '<details class="group" id="group-' in html
    assert "Powered by <strong>Upstate</strong>" in html
    for feed in ("history.rss", "history.atom", "maintenance.ics", "api/v2/summary.json"):
        assert f'href="./{feed}"' in html


def test_it_builds_every_document(scene):
    paths = set(documents(scene.page))
    assert {
        "",
        "history",
        f"incidents/{scene.active.code}",
        f"incidents/{scene.resolved.code}",
    } <= paths
    assert f"maintenances/{scene.upcoming.code}" in paths


def test_it_leaves_internal_incidents_out(scene):
    html = _html(scene.page)
    assert f"incidents/{scene.internal.code}" not in html
    assert not any("Internal disk alarm" in body for body in html.values())
    # The internal critical incident does not colour the Website's bars either.
    website = _component(html[""], "Website")
    assert "Operational</span>" in website
    assert "b-critical" not in website


def test_it_escapes_titles(page, api_component):
    incident = create_incident(
        page=page, title="<script>alert(1)</script>", components={api_component: None}
    )
    html = _html(page)
    for body in (html[""], html[f"incidents/{incident.code}"]):
        assert "<script>alert(1)</script>" not in body
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_it_sanitises_markdown(page, api_component):
    incident = create_incident(
        page=page,
        title="Links",
        message="[x](javascript:alert(1)) <img src=x onerror=alert(2)> [ok](https://example.com)",
    )
    body = _html(page)[f"incidents/{incident.code}"]
    assert "javascript:" not in body
    assert "onerror" not in body
    assert '<a href="https://example.com" rel="noopener noreferrer nofollow">ok</a>' in body


def test_severity_bar_only_when_enabled(page, api_component):
    create_incident(page=page, title="Down", severity="high", components={api_component: None})
    assert "Severity: High" in _html(page)[""]
    update_page(page=page, show_severity=False)
    html = _html(page)
    assert not any("Severity:" in body for body in html.values())


def test_times_are_in_the_page_zone_inside_utc_time_elements(page):
    update_page(page=page, time_zone="America/Chicago")
    incident = _backfill(page, "Spring forward", datetime(2024, 3, 10, 12, 0, tzinfo=UTC))
    body = _html(page)[f"incidents/{incident.code}"]
    expected = '<time datetime="2024-03-10T12:00:00Z" data-local="datetime">Mar 10, 2024, 07:00 CDT'
    assert expected in body
    assert 'data-tz="America/Chicago"' in body
    assert "Duration</dt><dd>1 h</dd>" in body


def test_history_groups_resolved_incidents_by_day_in_the_page_zone(page):
    update_page(page=page, time_zone="America/Chicago")
    late = _backfill(page, "Late evening", datetime(2024, 3, 10, 3, 30, tzinfo=UTC))  # Mar 9 CST
    morning = _backfill(page, "Morning", datetime(2024, 3, 10, 15, 0, tzinfo=UTC))  # Mar 10
    create_incident(page=page, title="Still going")
    body = _html(page)["history"]
    sections = re.findall(r'<section class="day".*?</section>', body, re.S)
    assert len(sections) == 2
    assert '<time datetime="2024-03-10">Sun, Mar 10, 2024</time>' in sections[0]
    assert morning.title in sections[0]
    assert '<time datetime="2024-03-09">Sat, Mar 9, 2024</time>' in sections[1]
    assert late.title in sections[1]
    assert "Still going" not in body


def test_history_is_paged_newest_first(page):
    start = timezone.now() - timedelta(days=200)
    for n in range(HISTORY_PAGE_SIZE + 5):
        _backfill(page, f"Incident number {n:02d}", start + timedelta(days=n))
    html = _html(page)
    assert "history/3" not in html
    first, second = html["history"], html["history/2"]
    assert first.count('class="entry ') == HISTORY_PAGE_SIZE
    assert second.count('class="entry ') == 5
    assert first.index("Incident number 29") < first.index("Incident number 05")
    assert "Incident number 04" in second
    assert '<a rel="next" href="./history/2">' in first
    assert 'rel="prev"' not in first
    assert '<a rel="prev" href="../history">' in second
    assert 'rel="next"' not in second


def test_history_with_no_incidents_says_so(page):
    assert "No incidents reported." in _html(page)["history"]


def test_postmortem_only_when_published(page, api_component):
    incident = _backfill(page, "Data loss scare", timezone.now() - timedelta(days=1))
    save_postmortem(
        incident=incident,
        title="What happened",
        summary="A **bad** migration. [x](javascript:alert(1))",
        root_cause="Missing index.",
        action_items=[{"title": "Add the index", "done": True}, {"title": "Add a check"}],
    )
    path = f"incidents/{incident.code}/postmortem"
    assert path not in documents(page)
    assert "postmortem" not in _html(page)[f"incidents/{incident.code}"]

    publish_postmortem(incident=incident)
    html = _html(page)
    assert f'href="../incidents/{incident.code}/postmortem"' in html[f"incidents/{incident.code}"]
    body = html[path]
    assert '<h1 id="postmortem-title">What happened</h1>' in body
    assert "A <strong>bad</strong> migration." in body
    assert "javascript:" not in body
    assert re.search(r"Done</span>\s*<span class=\"title\">Add the index", body)
    assert re.search(r"Open</span>\s*<span class=\"title\">Add a check", body)
    assert f'href="../../incidents/{incident.code}"' in body


def test_links_are_relative_to_each_document(scene):
    html = _html(scene.page)
    assert f'href="./incidents/{scene.active.code}"' in html[""]
    assert f'href="./maintenances/{scene.upcoming.code}"' in html[""]
    assert 'href="./history"' in html[""]
    incident = html[f"incidents/{scene.active.code}"]
    assert 'class="brand" href="../"' in incident
    assert 'href="../history"' in incident
    assert 'class="brand" href="./"' in html["history"]


def test_the_canonical_link_names_the_custom_domain(page, prove_domain):
    update_page(page=page, custom_domain="status.acme.test")
    assert '<link rel="canonical" href="https://status.acme.test/">' not in _html(page)[""]
    page = prove_domain(page)
    assert '<link rel="canonical" href="https://status.acme.test/">' in _html(page)[""]


def test_components_shown_only_when_degraded_hide_while_operational(page, api_component):
    quiet = create_component(page=page, name="Fax gateway", only_show_if_degraded=True)
    assert "Fax gateway" not in _html(page)[""]
    create_incident(page=page, title="Fax down", impact="critical", components={quiet: None})
    html = _html(page)[""]
    assert "Major outage</span>" in _component(html, "Fax gateway")


def test_uptime_bars_show_ninety_days_with_text(page, api_component):
    # Noon two days ago in the page's zone (UTC): three hours that stay within one day's bar.
    noon = timezone.now().astimezone(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    _backfill(
        page,
        "Big outage",
        noon - timedelta(days=2),
        hours=3,
        impact="critical",
        components={api_component: None},
    )
    html = _html(page)[""]
    bars = re.search(r'<ol class="bars"[^>]*>(.*?)</ol>', html, re.S).group(1)
    assert bars.count("<li ") == 90
    # Once per day, in a span screen readers read and hovering shows: no title copy.
    assert bars.count("Major outage for 3 h (Big outage)") == 1
    assert bars.count("<span>") == 90
    assert "b-critical" in bars
    assert re.search(r'class="pct">\d+\.\d\d % uptime', html)


def test_maintenance_page_shows_window_components_and_updates(scene):
    body = _html(scene.page)[f"maintenances/{scene.underway.code}"]
    assert '<h1 id="maintenance-title">Cache upgrade</h1>' in body
    assert "In progress" in body
    assert "Infrastructure - Cache" in body
    assert "Upgrading the cache cluster." in body


def test_incident_page_shows_timeline_and_component_changes(scene):
    body = _html(scene.page)[f"incidents/{scene.active.code}"]
    assert body.index("Monitoring") < body.index("Identified") < body.index("Investigating")
    assert "API: Degraded performance → Partial outage" in body
    assert "Affected components: API." in body


def _count_queries(page) -> int:  # noqa: ANN001
    with CaptureQueriesContext(connection) as captured:
        rendered(documents(page))
    return len(captured)


def test_the_build_takes_a_constant_number_of_queries(scene, django_assert_num_queries):
    resolved = scene.resolved
    save_postmortem(incident=resolved, summary="Slow disk.", action_items=[{"title": "Swap"}])
    publish_postmortem(incident=resolved)
    before = _count_queries(scene.page)
    for n in range(10):
        incident = create_incident(
            page=scene.page, title=f"More {n}", components={scene.api: None, scene.cache: None}
        )
        post_update(incident=incident, status="resolved", message="Done.")
        save_postmortem(incident=incident, summary="Why.", action_items=[{"title": "Fix"}])
        publish_postmortem(incident=incident)
        create_component(page=scene.page, name=f"Extra {n}", group=scene.infrastructure)
    with django_assert_num_queries(before):
        documents(scene.page)
    assert before == 14  # 13, and the monitors' hourly checks for the uptime bars
