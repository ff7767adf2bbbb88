"""Work that a burst of changes asks for many times, done once per burst in a thread of its own.

A committed change marks a key (a page id); the thread runs the action for each marked key,
at most once every `interval` seconds per key, and at once for the first change after a
quiet spell. A key marked while its action runs is marked again, so the last change is always
followed by a run that started after it. An action that cannot do its work yet returns the
seconds after which it wants to run again; one that raises runs again by itself, 1, 2, 4 ...
at most 60 s later, until it succeeds. Web and worker processes start the threads
(`start_all`); elsewhere (the command line, tests) nothing is started and callers act inline.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from django.db import close_old_connections, connections

log = logging.getLogger(__name__)

RETRY_FIRST = 1.0  # seconds before an action that raised runs again; doubled each time
RETRY_CAP = 60.0


class Coalescer:
    def __init__(
        self, name: str, action: Callable[[int], float | None], interval: float = 0.5
    ) -> None:
        self.name = name
        self.action = action
        self.interval = interval
        self._wanted: dict[int, None] = {}  # keys in the order they were marked
        self._condition = threading.Condition()
        self._busy = False
        self._next: dict[int, float] = {}  # key -> when its action may run again
        self._failures: dict[int, int] = {}  # key -> runs of its action that raised in a row
        self.runs = 0
        self.started = False

    def mark(self, key: int) -> None:
        with self._condition:
            self._wanted[key] = None
            self._condition.notify()

    def run(self) -> None:
        while True:
            with self._condition:
                while True:
                    now = time.monotonic()
                    ready = [k for k in self._wanted if self._next.get(k, 0.0) <= now]
                    if ready:
                        break
                    self._busy = False
                    self._condition.notify_all()
                    waits = [self._next[k] - now for k in self._wanted]
                    self._condition.wait(min(waits) if waits else None)
                self._busy = True
                for key in ready:
                    del self._wanted[key]
            for key in ready:
                self._next[key] = time.monotonic() + self.interval
                again = self._attempt(key)
                self.runs += 1
                if again is not None:
                    with self._condition:
                        self._wanted[key] = None
                        self._next[key] = time.monotonic() + max(again, 0.0)

    def _attempt(self, key: int) -> float | None:
        # Nothing may end the thread: every later change would wait for it forever. A key
        # whose action raised (the database busy or away) is run again by itself, sooner
        # after a passing fault than after a lasting one.
        try:
            close_old_connections()
            again = self.action(key)
        except Exception:
            failures = self._failures[key] = self._failures.get(key, 0) + 1
            again = min(RETRY_CAP, RETRY_FIRST * 2 ** (failures - 1))
            log.exception(
                "%s: %s failed (%d in a row); trying again in %s s",
                self.name,
                key,
                failures,
                again,
            )
            return again
        self._failures.pop(key, None)
        return again

    def start(self) -> None:
        """Run marked keys in a thread of this process from now on (once per process)."""
        with _starting:
            if not self.started:
                threading.Thread(target=self._run, name=self.name, daemon=True).start()
                self.started = True

    def _run(self) -> None:
        try:
            self.run()
        finally:
            connections.close_all()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """True once nothing is marked or running (tests and benchmarks)."""
        with self._condition:
            return self._condition.wait_for(
                lambda: not self._wanted and not self._busy, timeout=timeout
            )


_starting = threading.Lock()
_registered: list[Coalescer] = []


def register(coalescer: Coalescer) -> Coalescer:
    _registered.append(coalescer)
    return coalescer


def start_all() -> None:
    """Start every registered coalescer's thread: what web and worker processes do."""
    for coalescer in _registered:
        coalescer.start()
