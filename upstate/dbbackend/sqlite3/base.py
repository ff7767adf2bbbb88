"""Django's SQLite backend, with the threads of one process queuing for the write lock in
Python instead of in SQLite's busy handler.

A transaction begins IMMEDIATE (settings.py), taking SQLite's write lock at BEGIN. A thread
that finds it taken sleeps in SQLite's busy handler, 1, 2, 5, 10 ... 100 ms at a time, and
often sleeps on past the moment it was freed: with 20 API clients writing, Django's threads
spent most of their time asleep there (bench/write_storm.py). Here the threads of a process
wait on a lock that wakes the next one at once, and the one thread of each process that
holds it asks SQLite again every half millisecond while another process (the worker) writes.
"""

from __future__ import annotations

import sqlite3
import threading
import time

from django.db import OperationalError
from django.db.backends.sqlite3 import base

RETRY_SECONDS = 0.0005

# One per process: every connection of every thread.
WRITER = threading.Lock()


class DatabaseWrapper(base.DatabaseWrapper):
    _holds_writer = False

    def _start_transaction_under_autocommit(self) -> None:
        timeout = self.settings_dict.get("OPTIONS", {}).get("timeout", 5.0)
        if not WRITER.acquire(timeout=timeout):
            raise OperationalError("database is locked")
        self._holds_writer = True
        try:
            self._begin(time.monotonic() + timeout)
        except BaseException:
            self._release_writer()
            raise

    def _begin(self, deadline: float) -> None:
        raw = self.connection
        begin = "BEGIN" if self.transaction_mode is None else f"BEGIN {self.transaction_mode}"
        busy = raw.execute("PRAGMA busy_timeout").fetchone()[0]
        raw.execute("PRAGMA busy_timeout = 0")
        try:
            while True:
                try:
                    raw.execute(begin)
                    return
                except sqlite3.OperationalError as error:
                    if "locked" not in str(error) or time.monotonic() > deadline:
                        raise OperationalError(str(error)) from error
                time.sleep(RETRY_SECONDS)
        finally:
            raw.execute(f"PRAGMA busy_timeout = {int(busy)}")

    def _commit(self) -> None:
        try:
            super()._commit()
        finally:
            self._release_writer()

    def _rollback(self) -> None:
        try:
            super()._rollback()
        finally:
            self._release_writer()

    def _close(self) -> None:
        try:
            super()._close()
        finally:
            self._release_writer()

    def _release_writer(self) -> None:
        if self._holds_writer:
            self._holds_writer = False
            WRITER.release()
