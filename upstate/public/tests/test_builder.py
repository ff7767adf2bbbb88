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
    before = store.snapshot_of(page.code).version  # versions count this page's builds

    started = time.monotonic()
    for n in range(30):
        post_update(incident=incident, status="identified", message=f"Update {n}")
    took = time.monotonic() - started
    assert builder.wait_idle(timeout=30)

    # At most one build a second of the burst, and one for its end (however slow the
    # machine makes the 30 changes).
    built = store.snapshot_of(page.code).version - before
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

    def slow_build(page_id: int, **kwargs) -> float | None:  # noqa: ANN003
        gate.wait(30)
        return real(page_id, **kwargs)

    monkeypatch.setattr(publish, "rebuild_now", slow_build)

    create_incident(page=page, title="Slow", status="investigating", impact="minor")

    # The service returned while the build still waits: the incident is not served yet.
    assert b"Slow" not in store.snapshot_of(page.code).documents["api/v2/summary.json"].body
    gate.set()
    assert builder.wait_idle(timeout=30)
    assert b"Slow" in store.snapshot_of(page.code).documents["api/v2/summary.json"].body


def test_a_failing_build_leaves_the_last_version_and_is_tried_again_by_itself(
    transactional_db, page, monkeypatch
):
    builder = _builder(monkeypatch)
    create_incident(page=page, title="First", status="investigating", impact="minor")
    assert builder.wait_idle(timeout=30)
    served = store.snapshot_of(page.code).version
    real = publish.rebuild_now
    attempts: list[float] = []

    def broken(page_id: int, **kwargs) -> float | None:  # noqa: ANN003
        attempts.append(time.monotonic())
        if len(attempts) < 3:  # the database busy or away, say
            raise RuntimeError("database is locked")
        return real(page_id, **kwargs)

    monkeypatch.setattr(publish, "rebuild_now", broken)
    create_incident(page=page, title="Second", status="investigating", impact="minor")
    deadline = time.monotonic() + 30
    while len(attempts) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert store.snapshot_of(page.code).version == served  # the last version stays up

    # No further change: the builder tries again by itself, waiting longer each time.
    assert builder.wait_idle(timeout=30)
    assert len(attempts) == 3
    assert attempts[2] - attempts[1] > attempts[1] - attempts[0] > 0.5
    assert b"Second" in store.snapshot_of(page.code).documents["api/v2/summary.json"].body


def test_a_build_another_process_began_after_the_change_is_not_repeated(transactional_db, page):
    # Each web process builds after its own writes; the page lock orders the builds, and one
    # that began after this change was committed already holds it.
    from upstate.public.snapshot import build_after_change, build_snapshot, change_clock

    create_incident(page=page, title="First", status="investigating", impact="minor")
    changed_at = change_clock()
    built = build_snapshot(page)  # another process's build, begun after the change
    assert built is not None and built.read_from > changed_at
    assert build_after_change(page, changed_at=changed_at) is None
    assert PublicSnapshot.objects.get(page_code=page.code).id == built.version

    create_incident(page=page, title="Second", status="investigating", impact="minor")
    later = change_clock()
    rebuilt = build_after_change(page, changed_at=later)  # no build began since: this builds
    assert rebuilt is not None and rebuilt.version > built.version
    assert b"Second" in store.snapshot_of(page.code).documents["api/v2/summary.json"].body


def test_processes_together_build_a_page_at_most_once_per_spacing(
    transactional_db, page, monkeypatch
):
    # A change another process's build (begun moments before it) does not hold is built once
    # the spacing has passed since that build began, not at once: during a storm through
    # several web processes each used to build the page every half second.
    from upstate.public.snapshot import build_after_change, build_snapshot, change_clock

    built = build_snapshot(page)
    monkeypatch.setattr(publish, "_rebuild_after_commit", lambda *args: None)  # built below
    create_incident(page=page, title="Later", status="investigating", impact="minor")
    changed_at = change_clock()
    wait = build_after_change(page, changed_at=changed_at, spacing=30.0)
    assert isinstance(wait, float) and 0.0 < wait <= 30.0
    assert PublicSnapshot.objects.get(page_code=page.code).id == built.version
    rebuilt = build_after_change(page, changed_at=changed_at, spacing=0.0)
    assert rebuilt is not None and rebuilt.version > built.version
    assert b"Later" in store.snapshot_of(page.code).documents["api/v2/summary.json"].body


def test_the_builder_asks_again_when_another_process_built_moments_ago(
    transactional_db, page, monkeypatch
):
    from upstate.public.snapshot import build_snapshot

    monkeypatch.setattr(publish, "MIN_INTERVAL", 0.3)
    builder = _builder(monkeypatch)
    build_snapshot(page)  # as if another process had just built the page
    create_incident(page=page, title="Asked again", status="investigating", impact="minor")
    assert builder.wait_idle(timeout=30)
    assert b"Asked again" in store.snapshot_of(page.code).documents["api/v2/summary.json"].body
