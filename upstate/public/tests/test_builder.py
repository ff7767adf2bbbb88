"""Builds run after the change commits, in a thread of their own, once per burst."""

from __future__ import annotations

import threading
import time

from upstate.incidents.services import create_incident, post_update
from upstate.public import publish, store
from upstate.public.models import PublicSnapshot


def _builder(monkeypatch) -> publish.Builder:  # noqa: ANN001
    builder = publish.Builder()
    thread = threading.Thread(target=builder.run, daemon=True)
    thread.start()
    monkeypatch.setattr(publish, "_builder", builder)
    return builder


def test_a_burst_of_changes_builds_the_page_a_few_times_not_once_each(
    transactional_db, page, api_component, monkeypatch
):
    monkeypatch.setattr(publish, "MIN_INTERVAL", 1.0)
    builder = _builder(monkeypatch)
    incident = create_incident(page=page, title="Slow", status="investigating", impact="minor")
    assert builder.wait_idle(timeout=30)
    before = builder.builds

    started = time.monotonic()
    for n in range(30):
        post_update(incident=incident, status="identified", message=f"Update {n}")
    took = time.monotonic() - started
    assert builder.wait_idle(timeout=30)

    # At most one build a second of the burst, and one for its end (however slow the
    # machine makes the 30 changes).
    built = builder.builds - before
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

    def slow_build(page_id: int) -> None:
        gate.wait(30)
        real(page_id)

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

    def broken(page_id: int) -> None:
        raise RuntimeError("template exploded")

    monkeypatch.setattr(publish, "rebuild_now", broken)
    create_incident(page=page, title="Second", status="investigating", impact="minor")
    assert builder.wait_idle(timeout=30)
    assert store.snapshot_of(page.code).version == served

    monkeypatch.undo()
    monkeypatch.setattr(publish, "_builder", builder)
    create_incident(page=page, title="Third", status="investigating", impact="minor")
    assert builder.wait_idle(timeout=30)
    assert b"Third" in store.snapshot_of(page.code).documents["api/v2/summary.json"].body
