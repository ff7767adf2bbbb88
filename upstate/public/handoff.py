"""On SQLite (one host), the web processes hand their pages' builds to the worker.

A web process on SQLite is bound by its one Python lock: during a storm of API writes, the
page's builds took a third of it, and writes waited behind them. Handed to the worker, a
process with a lock of its own, the same storm went from 37-40 to 51-60 writes a second
(bench/write_storm.py). The web process sends the page id in a datagram to a socket the
worker listens on beside the database file, and builds the page itself when nobody listens there
(`upstate web` without a worker, a worker that died) or when no stored build holds the
change GRACE seconds after it (a worker that hangs). The grace covers a build that began
late and took long: on a loaded machine a worker's first build took over a second, and the
web process then built the page too.

PostgreSQL installations keep building in every process. Handing their builds to the worker
(tried with LISTEN/NOTIFY) gave fewer writes and slower public reads during the same storm
on two cores (52-53 against 54-55 writes a second, public p99 251-288 against 96-129 ms):
with PostgreSQL and two web processes the cores were already full, and a build's CPU costs
the same wherever it runs. Tried again over this module's socket, with a lighter load
generator: 51.8 and 48.7 against 48.4 and 44.3 writes a second, public p99 175 and 303
against 77 and 234 ms, within the noise of those runs.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import struct
import threading
from collections.abc import Callable
from pathlib import Path

from django.db import connection

log = logging.getLogger(__name__)

GRACE = 2.0  # seconds a handed-off change waits for the worker's build before its sender builds
SOCKET_SUFFIX = "-builds.sock"
MAX_PATH = 107  # bytes: a Unix socket's address is limited (108 on Linux, with the final NUL)
_PAGE = struct.Struct("!q")

_listening = False
_sender: socket.socket | None = None
_sender_lock = threading.Lock()


def socket_path() -> Path | None:
    """Beside the database file: the processes of one installation share it, and nobody else
    (a test database has its own). None where there is no such file (PostgreSQL, memory)."""
    name = str(connection.settings_dict.get("NAME") or "")
    if connection.vendor != "sqlite" or not name or name.startswith(("file:", ":memory:")):
        return None
    return Path(name + SOCKET_SUFFIX)


_folders: dict[Path, int] = {}  # folder -> a descriptor of it held open (`_address`)
_folders_lock = threading.Lock()


def _address(path: Path) -> bytes | None:
    """The socket's address: its path, or, when that is too long for one (a deep data
    directory), the same file through a descriptor of its folder held open by this process
    (/proc/self/fd/N/name, which Linux resolves). None when neither fits."""
    if len(full := os.fsencode(path)) <= MAX_PATH:
        return full
    try:
        with _folders_lock:
            if path.parent not in _folders:
                _folders[path.parent] = os.open(path.parent, os.O_PATH | os.O_DIRECTORY)
            short = os.fsencode(f"/proc/self/fd/{_folders[path.parent]}/{path.name}")
    except (OSError, AttributeError):  # no such folder; no O_PATH outside Linux
        return None
    return short if len(short) <= MAX_PATH and os.path.isdir("/proc/self/fd") else None


def send(page_id: int) -> bool:
    """True when the worker was told to build the page; False when this process must."""
    where = None if _listening else socket_path()
    if where is None or (path := _address(where)) is None:
        return False
    global _sender
    try:
        with _sender_lock:
            if _sender is None:
                _sender = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
                _sender.setblocking(False)  # a full queue means: build it here
            _sender.sendto(_PAGE.pack(page_id), path)
    except OSError:  # no worker listening (no file, or a file nobody holds), or a full queue
        return False
    return True


def listen(receive: Callable[[int], None]) -> socket.socket | None:
    """In the worker: take the builds of the host's web processes (SQLite only); each page id
    received is passed to ``receive`` in a thread of its own. The socket is returned (closing
    it stops that); None when this process cannot listen, and the web processes build."""
    global _listening
    path = socket_path()
    if path is None:
        return None
    address = _address(path)
    if address is None:
        log.warning("cannot listen for builds at %s (no address fits): web processes build", path)
        return None
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()  # left by a worker that stopped: nobody receives there
        server.bind(address)
    except OSError as error:
        server.close()
        log.warning("cannot listen for builds at %s (%s): web processes build", path, error)
        return None
    _listening = True
    threading.Thread(
        target=_receive, args=(server, receive), name="build-handoff", daemon=True
    ).start()
    return server


def _receive(server: socket.socket, receive: Callable[[int], None]) -> None:
    while True:
        try:
            data = server.recv(64)
        except OSError:  # closed
            return
        if len(data) != _PAGE.size:
            continue  # not ours: anyone who can write beside the database may send here
        try:
            receive(_PAGE.unpack(data)[0])
        except Exception:
            log.exception("a handed-off build could not be queued")
