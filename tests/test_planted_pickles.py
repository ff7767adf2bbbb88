"""Files in the data directory that someone could write never run code when they are read:
a task planted in the SQLite queue is dropped by a real worker (logged), and a file planted
where a file-based cache would look is never unpickled."""

from __future__ import annotations

import hashlib
import pickle
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from tests import test_serve
from tests.test_serve import UPSTATE

env = test_serve.env  # a throwaway SQLite installation's environment (a fixture)

ATTEMPTS = 300  # x 0.1 s


class Planted:
    """Unpickling this creates the marker file: what an attacker's payload would do."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):  # noqa: ANN204
        return (Path.touch, (self.marker,))


def test_a_task_planted_in_the_queue_is_dropped_unread(env, tmp_path):
    marker = tmp_path / "pwned"
    payload = pickle.dumps(Planted(marker))
    plant = textwrap.dedent(
        f"""
        import django
        django.setup()
        from huey.contrib.djhuey import HUEY
        HUEY.storage.enqueue({payload!r})
        print(HUEY.storage.queue_size())
        """
    )
    subprocess.run([UPSTATE, "migrate"], env=env, check=True, capture_output=True, timeout=180)
    planted = subprocess.run(
        [sys.executable, "-c", plant],
        env={**env, "DJANGO_SETTINGS_MODULE": "upstate.settings"},
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert planted.stdout.split()[-1] == "1"
    log_path = tmp_path / "worker.log"
    with log_path.open("w") as log:
        worker = subprocess.Popen([UPSTATE, "worker"], env=env, stdout=log, stderr=log)
    try:
        for _ in range(ATTEMPTS):
            if "not signed with this installation's key" in log_path.read_text():
                break
            assert worker.poll() is None, log_path.read_text()
            time.sleep(0.1)
        assert worker.poll() is None  # dropping it did not stop the worker
    finally:
        worker.send_signal(signal.SIGINT)
        worker.wait(timeout=60)

    assert "not signed with this installation's key" in log_path.read_text()
    assert not marker.exists()


def test_a_file_planted_in_the_cache_directory_is_never_unpickled(client, owner, settings):
    from django.core.cache.backends.filebased import FileBasedCache
    from django.test import RequestFactory

    from upstate.dashboard.auth import _failure_key

    # Where Django's file-based cache (the default before) kept the sign-in throttle's counter.
    folder = Path(settings.DATA_DIR) / "cache"
    folder.mkdir(parents=True, exist_ok=True)
    marker = folder / "pwned"
    files = FileBasedCache(str(folder), {})
    digest = hashlib.sha256(b"owner@acme.test|127.0.0.1").hexdigest()
    for name in (
        f"login-failures:{digest}",
        _failure_key(RequestFactory().get("/"), "owner@acme.test"),
    ):
        Path(files._key_to_file(name)).write_bytes(pickle.dumps(Planted(marker)))

    client.post("/dashboard/login/", {"username": "owner@acme.test", "password": "wrong"})

    assert not marker.exists()
