"""Coalescing: a burst of marks runs the action a few times, and always once after the last."""

from __future__ import annotations

import threading
import time

from upstate.lib import coalesce


def test_web_and_worker_processes_start_the_builder_and_the_index_requests():
    # Both register when Django loads their apps; a process that starts the threads before
    # importing them would build inside requests again.
    names = {c.name for c in coalesce._registered}
    assert {"snapshot-builder", "index-requests"} <= names


def test_a_burst_runs_a_few_times_and_once_after_its_last_mark():
    seen: list[tuple[int, int]] = []
    counter = {"marks": 0}
    lock = threading.Lock()

    def action(key: int) -> None:
        with lock:
            seen.append((key, counter["marks"]))
        time.sleep(0.01)

    runner = coalesce.Coalescer("test", action, interval=0.05)
    runner.start()
    for _ in range(200):
        with lock:
            counter["marks"] += 1
        runner.mark(7)
        time.sleep(0.001)
    assert runner.wait_idle(timeout=10)
    assert 1 <= len(seen) < 200
    # The last run started after the last mark: it saw every one of them.
    assert seen[-1] == (7, 200)
    runner.mark(8)
    assert runner.wait_idle(timeout=10)
    assert seen[-1][0] == 8


def test_an_action_that_cannot_work_yet_runs_again_after_the_delay_it_asks_for():
    runs: list[float] = []

    def action(key: int) -> float | None:
        runs.append(time.monotonic())
        return 0.2 if len(runs) == 1 else None

    runner = coalesce.Coalescer("test-again", action, interval=0.01)
    runner.start()
    runner.mark(1)
    assert runner.wait_idle(timeout=10)
    assert len(runs) == 2
    assert runs[1] - runs[0] >= 0.19


def test_an_action_that_raises_does_not_end_the_thread(monkeypatch):
    monkeypatch.setattr(coalesce, "RETRY_FIRST", 0.05)
    runs: list[int] = []

    def action(key: int) -> None:
        runs.append(key)
        if len(runs) == 1:
            raise RuntimeError("database is locked")

    runner = coalesce.Coalescer("test-raises", action, interval=0.01)
    runner.start()
    runner.mark(1)
    assert runner.wait_idle(timeout=10)
    assert runs == [1, 1]  # tried again after the failure
    runner.mark(2)
    assert runner.wait_idle(timeout=10)
    assert runs[-1] == 2
