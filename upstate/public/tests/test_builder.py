"""Builds run after the change commits, in a thread of their own, once per burst."""

from __future__ import annotations

import threading
import time

from upstate.incidents.services import create_incident, post_update
from upstate.public import publish, store
from upstate.public.models import PublicSnapshot


def _builder(monkeypatch) -> publish.Builder:  # noqa: ANN001
    builder = publish.Builder()
    builder.start()
    monkeypatch.setattr(publish, "BUILDER", builder)
    return builder


def test_a_burst_of_changes_builds_the_page_a_few_times_not_once_each(
    transactional_db, page, api_component, monkeypatch
):
    monkeypatch.setattr(publish, "MIN_INTERVAL", 1.0)
    builder = _builder(monkeypatch)
    incident = create_incident(page=page, title="Slow", status="investigating", impact="minor")
    assert builder.wait_idle(timeout=30)
    before = builder.runs

    started = time.monotonic()
    for n in range(30):
        post_update(incident=incident, status="identified", message=f"Update {n}")
    took = time.monotonic() - started
    assert builder.wait_idle(timeout=30)

    # At most one build a second of the burst, and one for its end (however slow the
    # machine makes the 30 changes).
    built = builder.runs - before
    assert 1 <= built <= took / publish.MIN_INTERVAL + 2
    assert built < 30
    # The last change is in what is served, and in the database.
    summary = store.snapshot_of(page.code).documents["api/v2/summary.json"].body
    assert b"Update 29" in summary
    assert PublicSnapshot.objects.filter(page_code=page.code).count() == 1


def test_a_change_returns_before_its_build(transactional_db, page, monkeypatch):
    builder = _builder(monkeypatch)
    gate = threading.Event()
    real = publish.rebuild_now

    def slow_build(page_id: int, **kwargs) -> None:  # noqa: ANN003
        gate.wait(30)
        real(page_id, **kwargs)

    monkeypatch.setattr(publish, "rebuild_now", slow_build)

    create_incident(page=page, title="Slow", status="investigating", impact="minor")

    # The service returned while the build still waits: the incident is not served yet.
    assert b"Slow" not in store.snapshot_of(page.code).documents["api/v2/summary.json"].body
    gate.set()
    assert builder.wait_idle(timeout=30)
    assert b"Slow" in store.snapshot_of(page.code).documents["api/v2/summary.json"].body


def test_a_failing_build_leaves_the_last_version_and_the_builder_running(
    transactional_db, page, monkeypatch
):
    builder = _builder(monkeypatch)
    create_incident(page=page, title="First", status="investigating", impact="minor")
    assert builder.wait_idle(timeout=30)
    served = store.snapshot_of(page.code).version

    def broken(page_id: int, **kwargs) -> None:  # noqa: ANN003
        raise RuntimeError("template exploded")

    monkeypatch.setattr(publish, "rebuild_now", broken)
    create_incident(page=page, title="Second", status="investigating", impact="minor")
    assert builder.wait_idle(timeout=30)
    assert store.snapshot_of(page.code).version == served

    monkeypatch.undo()
    monkeypatch.setattr(publish, "BUILDER", builder)
    create_incident(page=page, title="Third", status="investigating", impact="minor")
    assert builder.wait_idle(timeout=30)
    assert b"Third" in store.snapshot_of(page.code).documents["api/v2/summary.json"].body


def test_a_build_another_process_began_after_the_change_is_not_repeated(transactional_db, page):
    # Each web process builds after its own writes; the page lock orders the builds, and one
    # that began after this change was committed already holds it.
    from upstate.public.snapshot import build_snapshot, change_clock

    create_incident(page=page, title="First", status="investigating", impact="minor")
    changed_at = change_clock()
    built = build_snapshot(page)  # another process's build, begun after the change
    assert built is not None and built.read_from > changed_at
    assert build_snapshot(page, changed_at=changed_at) is None
    assert PublicSnapshot.objects.get(page_code=page.code).id == built.version

    create_incident(page=page, title="Second", status="investigating", impact="minor")
    later = change_clock()
    rebuilt = build_snapshot(page, changed_at=later)  # no build began since: this one builds
    assert rebuilt is not None and rebuilt.version > built.version
    assert b"Second" in store.snapshot_of(page.code).documents["api/v2/summary.json"].body
