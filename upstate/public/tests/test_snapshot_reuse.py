"""A build keeps the previous build's pages of incidents that did not change, and renders again
every page that any value it shows has touched."""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta

import pytest
from django.test.signals import template_rendered
from django.utils import timezone

from upstate.incidents.services import (
    change_incident,
    create_incident,
    post_update,
    publish_postmortem,
    save_postmortem,
)
from upstate.pages.models import StatusPage
from upstate.pages.services import create_component, create_group, update_component, update_page
from upstate.public import store
from upstate.public.publish import request_rebuild
from upstate.public.snapshot import build_snapshot

KEYED_TEMPLATES = ("public/incident.html", "public/postmortem.html", "public/history.html")


@dataclasses.dataclass
class History:
    page: object
    database: object
    old: object  # resolved, on Database (in the group Backend), with a published postmortem
    older: object  # resolved, on API
    live: object  # active, on API


@pytest.fixture
def history(page) -> History:
    backend = create_group(page=page, name="Backend")
    database = create_component(page=page, name="Database", group=backend)
    api = create_component(page=page, name="API")
    started = timezone.now() - timedelta(days=3)
    old = create_incident(
        page=page,
        title="Slow queries",
        severity="high",
        components={database: "degraded_performance"},
        message="Queries are slow.",
        started_at=started,
    )
    post_update(incident=old, status="resolved", message="Fast again.")
    save_postmortem(incident=old, summary="An index went missing.")
    publish_postmortem(incident=old)
    older = create_incident(
        page=page, title="Login errors", components={api: None}, started_at=started, message="."
    )
    post_update(incident=older, status="resolved", message="Fixed.")
    live = create_incident(page=page, title="Checkout is slow", components={api: None})
    return History(page, database, old, older, live)


def _build(page) -> tuple[dict[str, str], list[str]]:  # noqa: ANN001
    """Builds the page's snapshot: its incident and history pages, and which of their
    templates rendered."""
    names: list[str] = []

    def record(sender, template, context, **kwargs) -> None:  # noqa: ANN001, ANN003
        names.append(template.name)

    template_rendered.connect(record)
    try:
        snapshot = build_snapshot(page)
    finally:
        template_rendered.disconnect(record)
    pages = {
        path: document.body.decode()
        for path, document in snapshot.documents.items()
        if path.startswith(("incidents/", "history/")) or path == "history"
    }
    return pages, sorted(name for name in names if name in KEYED_TEMPLATES)


def test_the_first_build_renders_every_incident_page(history):
    pages, renders = _build(history.page)

    assert len(pages) == 5  # three incidents, one postmortem, the history
    assert renders == sorted([*KEYED_TEMPLATES, "public/incident.html", "public/incident.html"])


def test_an_update_renders_only_the_incident_it_is_about(history):
    before, _ = _build(history.page)

    post_update(incident=history.live, status="identified", message="A cache node is down.")
    after, renders = _build(history.page)

    assert renders == ["public/incident.html"]
    live = f"incidents/{history.live.code}"
    assert "A cache node is down." in after[live]
    assert {p: b for p, b in after.items() if p != live} == {
        p: b for p, b in before.items() if p != live
    }


def _rename_page(h: History) -> str:
    update_page(page=h.page, name="Acme Platform")
    return "Acme Platform"


def _rename_group(h: History) -> str:
    from upstate.pages.services import update_group

    update_group(group=h.database.group, name="Storage")
    return "Storage - Database"


def _rename_component(h: History) -> str:
    update_component(component=h.database, name="Primary database")
    return "Backend - Primary database"


def _move_time_zone(h: History) -> str:
    update_page(page=h.page, time_zone="Asia/Tokyo")
    return "JST"


def _hide_severity(h: History) -> str:
    update_page(page=h.page, show_severity=False)
    return "!Severity:"


def _retitle(h: History) -> str:
    change_incident(incident=h.old, title="Slow queries on the primary")
    return "Slow queries on the primary"


def _serve_on_a_domain(h: History) -> str:
    update_page(page=h.page, custom_domain="status.example.com")
    # Proven, as the worker's DNS check would find it: only a verified domain is linked.
    StatusPage.objects.filter(id=h.page.id).update(domain_verified_at=timezone.now())
    request_rebuild(h.page.id)
    return "https://status.example.com/incidents/"


def _update_the_postmortem(h: History) -> str:
    save_postmortem(incident=h.old, summary="A migration dropped an index.")
    publish_postmortem(incident=h.old)
    return "A migration dropped an index."


@pytest.mark.parametrize(
    "change",
    [
        _rename_page,
        _rename_group,
        _rename_component,
        _move_time_zone,
        _hide_severity,
        _retitle,
        _serve_on_a_domain,
        _update_the_postmortem,
    ],
)
def test_a_change_to_what_an_old_incident_page_shows_renders_it_again(history, change):
    _build(history.page)

    expected = change(history)
    pages, renders = _build(history.page)

    old = f"incidents/{history.old.code}"
    shown = pages[old] + pages[f"{old}/postmortem"]
    if expected.startswith("!"):
        assert expected[1:] not in shown
    else:
        assert expected in shown
    assert "public/incident.html" in renders
    assert "public/history.html" in renders


def test_pages_kept_by_other_code_are_rendered_again(history):
    _build(history.page)
    # As after an upgrade: the keys on file were made by another release's templates.
    kept = store.snapshot_of(history.page.code)
    older = {p: f"older-release:{k}" for p, k in kept.keys.items()}
    store.clear()
    store.install(dataclasses.replace(kept, keys=older))

    _, renders = _build(history.page)

    assert len(renders) == 5


def test_a_newly_resolved_incident_renders_the_history_again(history):
    _build(history.page)

    post_update(incident=history.live, status="resolved", message="All good.")
    pages, renders = _build(history.page)

    assert renders == ["public/history.html", "public/incident.html"]
    assert "Checkout is slow" in pages["history"]


def test_a_build_reads_the_components_once_for_all_its_documents(page, api_component):
    from django.db import connection

    group = create_group(page=page, name="Core")
    create_component(page=page, name="Database", group=group)
    create_incident(page=page, title="Slow", impact="minor", components={api_component: None})
    reads: list[str] = []

    def spy(execute, sql, params, many, context):  # noqa: ANN001, ANN202
        for table in ('"pages_component"', '"pages_componentgroup"'):
            if sql.startswith("SELECT") and f"FROM {table} " in sql + " ":
                reads.append(table)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(spy):
        built = build_snapshot(page)
    # The groups once; the components for the documents (HTML, JSON, feeds, embeds), for
    # their statuses and for the subscribe form's list: not again for the JSON.
    assert reads.count('"pages_componentgroup"') == 1
    assert reads.count('"pages_component"') == 3
    # The JSON still shows every component with its status, as the HTML does.
    summary = json.loads(built.documents["api/v2/summary.json"].body)
    statuses = {c["name"]: c["status"] for c in summary["components"]}
    assert statuses == {
        "API": "degraded_performance",
        "Core": "operational",
        "Database": "operational",
    }
    assert b"Database" in built.documents[""].body
