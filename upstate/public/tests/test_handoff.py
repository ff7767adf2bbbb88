"""On SQLite the web processes hand their builds to the worker, and build themselves when it
does not listen or does not build (a real Unix socket; the processes are in tests/)."""

from __future__ import annotations

import queue
import socket
from collections import deque

import pytest
from django.db import connection

from upstate.public import handoff, publish
from upstate.public.snapshot import build_snapshot, change_clock

on_sqlite = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="PostgreSQL installations build in every process"
)


@pytest.fixture
def sqlite_path(db):
    path = handoff.socket_path()
    assert path is not None
    path.unlink(missing_ok=True)
    yield path
    path.unlink(missing_ok=True)


@pytest.mark.skipif(connection.vendor == "sqlite", reason="PostgreSQL only")
def test_on_postgresql_every_process_builds_for_itself(db):
    assert handoff.socket_path() is None
    assert handoff.send(1) is False
    assert handoff.listen(lambda page_id: None) is None


@on_sqlite
def test_with_nobody_listening_the_sender_builds(sqlite_path):
    assert handoff.send(1) is False  # no socket at all
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    stale.bind(str(sqlite_path))
    stale.close()  # a file left by a worker that stopped
    assert sqlite_path.exists()
    assert handoff.send(1) is False


@on_sqlite
def test_a_listening_worker_gets_each_page_id(sqlite_path, monkeypatch):
    monkeypatch.setattr(handoff, "_listening", False)
    received: queue.Queue[int] = queue.Queue()
    listener = handoff.listen(received.put)
    assert listener is not None
    try:
        assert handoff.send(7) is False  # the worker builds its own changes
        monkeypatch.setattr(handoff, "_listening", False)  # as a web process
        garbage = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        garbage.sendto(b"not a page id", str(sqlite_path))
        garbage.close()
        assert handoff.send(7) is True
        assert handoff.send(2**40) is True
        assert received.get(timeout=10) == 7
        assert received.get(timeout=10) == 2**40
        assert received.empty()
    finally:
        listener.close()


@pytest.fixture
def watched(db, page, monkeypatch):
    """The page's handed-off changes, and what the builder was asked to do meanwhile."""
    handed: dict[int, deque[float]] = {}
    changed: dict[int, float] = {}
    monkeypatch.setattr(publish, "_handed", handed)
    monkeypatch.setattr(publish, "_changed", changed)
    marked: list[int] = []
    monkeypatch.setattr(publish.BUILDER, "mark", marked.append)
    return handed, changed, marked


def test_a_change_the_worker_has_not_built_within_the_grace_is_built_here(page, watched):
    handed, changed, marked = watched
    late = change_clock() - handoff.GRACE - 0.5
    handed[page.id] = deque([late])

    assert publish._watch(page.id) is None
    assert marked == [page.id]
    assert changed[page.id] == late
    assert page.id not in handed


def test_a_change_the_worker_built_is_not_built_again(page, watched):
    handed, changed, marked = watched
    late = change_clock() - handoff.GRACE - 0.5
    handed[page.id] = deque([late])
    build_snapshot(page)  # began to read after the change: it holds it

    assert publish._watch(page.id) is None
    assert marked == []
    assert changed == {}
    assert page.id not in handed


def test_a_change_still_within_the_grace_is_looked_at_again_later(page, watched):
    handed, changed, marked = watched
    late = change_clock() - handoff.GRACE - 0.5
    recent = change_clock()
    handed[page.id] = deque([late, recent])

    again = publish._watch(page.id)

    assert marked == [page.id]  # the late one
    assert changed[page.id] == late
    assert list(handed[page.id]) == [recent]
    assert again is not None and 0 < again <= handoff.GRACE


@on_sqlite
def test_a_deep_data_directory_still_gets_its_builds_handed_over(db, tmp_path, monkeypatch):
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    deep.mkdir(parents=True)
    path = deep / "upstate.sqlite3-builds.sock"
    assert len(str(path)) > handoff.MAX_PATH  # too long for a socket's address
    monkeypatch.setattr(handoff, "socket_path", lambda: path)
    monkeypatch.setattr(handoff, "_listening", False)
    received: queue.Queue[int] = queue.Queue()
    listener = handoff.listen(received.put)
    assert listener is not None
    try:
        assert path.is_socket()  # where it belongs, reached through the folder's descriptor
        monkeypatch.setattr(handoff, "_listening", False)  # as a web process
        assert handoff.send(11) is True
        assert received.get(timeout=10) == 11
    finally:
        listener.close()
