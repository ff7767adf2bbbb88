"""The worker's threads on the SQLite queue: a task enqueued in the worker's process (the
deliveries a fan-out writes) wakes the idle threads instead of waiting out their polling."""

from __future__ import annotations

import threading

import pytest
from huey import SqliteHuey

from upstate.server import _waking_worker_class

THREADS = 3
# Longer than the test waits: a thread that is not woken looks only after this.
LONG_POLL = 60.0


@pytest.fixture
def queue(tmp_path):
    return SqliteHuey(filename=str(tmp_path / "tasks.sqlite3"), results=True)


def test_a_task_enqueued_in_the_process_wakes_every_idle_thread(queue):
    barrier = threading.Barrier(THREADS, timeout=20)

    @queue.task()
    def meet() -> int:
        # Returns only once all the threads run it at the same time.
        return barrier.wait()

    worker_class = _waking_worker_class(queue)
    stop = threading.Event()
    workers = [
        worker_class(queue, stop, default_delay=LONG_POLL, max_delay=LONG_POLL, backoff=1.0)
        for _ in range(THREADS)
    ]

    def run(worker) -> None:  # noqa: ANN001
        while not stop.is_set():
            worker.loop()

    threads = [threading.Thread(target=run, args=(w,), daemon=True) for w in workers]
    for thread in threads:
        thread.start()
    try:
        # Each thread finds the queue empty once, then sleeps for LONG_POLL unless woken.
        stop.wait(0.5)
        results = [meet() for _ in range(THREADS)]
        positions = sorted(result.get(blocking=True, timeout=30) for result in results)
        assert positions == list(range(THREADS))
    finally:
        stop.set()
        barrier.abort()
