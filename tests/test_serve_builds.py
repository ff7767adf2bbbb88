"""`upstate serve` on SQLite for real: the web process hands the page's builds to the worker,
and builds the page itself when the worker does not (here: stopped with SIGSTOP)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import httpx

from tests.test_secret_key import env  # noqa: F401
from tests.test_serve import (
    UPSTATE,
    _children,
    _free_port,
    _wait_for_http,
    _wait_for_text,
    run,
    stop,
)
from upstate.public import handoff

ATTEMPTS = 150  # x 0.1 s


def _served(base: str, text: str) -> bool:
    for _ in range(ATTEMPTS):
        if text in httpx.get(f"{base}/p/acme/api/v2/summary.json", timeout=10).text:
            return True
        time.sleep(0.1)
    return False


def _worker_of(server: subprocess.Popen) -> int:
    for child in _children(server.pid):
        if b"worker" in Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0"):
            return child
    raise AssertionError("serve has no worker")


def test_the_worker_builds_and_the_web_steps_in_when_it_does_not(env, tmp_path):  # noqa: F811
    env.update(UPSTATE_LOG_LEVEL="INFO")
    run(env, "migrate")
    run(env, "org", "create", "acme", "--name", "Acme")
    key = run(env, "apikey", "create", "--org", "acme", "--role", "admin")
    auth = {"Authorization": f"Bearer {key}"}
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log_path = tmp_path / "serve.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [UPSTATE, "serve", "--port", str(port)], env=env, stdout=log, stderr=log
        )
    worker = None
    try:
        _wait_for_http(f"{base}/healthz", server)
        _wait_for_text(log_path, "Huey consumer started")
        database = Path(env["UPSTATE_DATA_DIR"]) / "upstate.sqlite3"
        assert Path(f"{database}-builds.sock").is_socket()  # the worker listens
        api = httpx.Client(base_url=f"{base}/api/v1", headers=auth, timeout=30)
        page = api.post("/pages", json={"name": "Acme Status", "slug": "acme"})
        assert page.status_code == 201, page.text
        incident = api.post(
            "/incidents",
            json={"page_id": page.json()["id"], "title": "Slow logins", "status": "investigating"},
        )
        assert incident.status_code == 201, incident.text
        assert _served(base, "Slow logins")
        # Once the worker is warm (its first build may take long on a busy machine), it
        # builds what the web process hands it: the web process does not step in.
        stepped_in = log_path.read_text().count("has not built page")
        warm = api.post(
            f"/incidents/{incident.json()['id']}/updates",
            json={"status": "investigating", "message": "Still looking"},
        )
        assert warm.status_code == 201, warm.text
        assert _served(base, "Still looking")
        time.sleep(handoff.GRACE + 0.5)  # the web process would have stepped in by now
        assert log_path.read_text().count("has not built page") == stepped_in

        worker = _worker_of(server)
        os.kill(worker, signal.SIGSTOP)  # alive, holding its socket, building nothing
        updated = api.post(
            f"/incidents/{incident.json()['id']}/updates",
            json={"status": "identified", "message": "Found while the worker sleeps"},
        )
        assert updated.status_code == 201, updated.text
        assert _served(base, "Found while the worker sleeps")
        assert "has not built page" in log_path.read_text()
    finally:
        if worker is not None:
            os.kill(worker, signal.SIGCONT)
        stop(server)
