"""The installation's secret key: generated into the data directory when none is set (kept
owner-only, shared by every process of that directory), and the key published in the source
refused outside debug mode."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.test_serve import UPSTATE, _free_port, _wait_for_http
from upstate.lib.secretkey import PUBLISHED_DEFAULT

PRINT_KEY = (
    "import django; django.setup(); from django.conf import settings; print(settings.SECRET_KEY)"
)


@pytest.fixture
def env(tmp_path) -> dict[str, str]:
    env = dict(os.environ)
    for name in (
        "DATABASE_URL",
        "REDIS_URL",
        "UPSTATE_TASKS_IMMEDIATE",
        "UPSTATE_SECRET_KEY",
        "UPSTATE_SECRET_KEY_FILE",
        "UPSTATE_DEBUG",
    ):
        env.pop(name, None)
    env.update(
        UPSTATE_DATA_DIR=str(tmp_path / "data"),
        DJANGO_SETTINGS_MODULE="upstate.settings",
        PYTHONUNBUFFERED="1",
    )
    return env


def _keys_of_processes_started_together(env: dict[str, str], count: int) -> list[str]:
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", PRINT_KEY], env=env, stdout=subprocess.PIPE, text=True
        )
        for _ in range(count)
    ]
    return [process.communicate(timeout=120)[0].strip() for process in processes]


def test_processes_sharing_a_data_directory_generate_one_key_and_keep_it(env, tmp_path):
    keys = _keys_of_processes_started_together(env, 4)
    assert len(set(keys)) == 1
    key = keys[0]
    assert len(key) >= 50 and key != PUBLISHED_DEFAULT
    stored = tmp_path / "data" / "secret_key"
    assert stored.read_text().strip() == key
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert [p.name for p in stored.parent.iterdir() if p.name.startswith(".secret_key")] == []
    # A restart reads the same key.
    again = subprocess.run(
        [sys.executable, "-c", PRINT_KEY], env=env, capture_output=True, text=True, check=True
    )
    assert again.stdout.strip() == key


def test_another_data_directory_gets_another_key(env, tmp_path):
    first = _keys_of_processes_started_together(env, 1)[0]
    env["UPSTATE_DATA_DIR"] = str(tmp_path / "elsewhere")
    assert _keys_of_processes_started_together(env, 1)[0] != first


def test_a_configured_key_wins_and_nothing_is_written(env, tmp_path):
    env["UPSTATE_SECRET_KEY"] = "a-key-of-our-own-" + "x" * 40
    assert _keys_of_processes_started_together(env, 1)[0] == env["UPSTATE_SECRET_KEY"]
    assert not (tmp_path / "data" / "secret_key").exists()


@pytest.mark.parametrize("command", [["serve", "--port", "0"], ["worker"], ["migrate"]])
def test_the_published_key_is_refused_outside_debug(env, command):
    env["UPSTATE_SECRET_KEY"] = PUBLISHED_DEFAULT
    result = subprocess.run(
        [UPSTATE, *command], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("upstate: error: configuration: UPSTATE_SECRET_KEY is the key")


def test_debug_mode_still_accepts_the_published_key(env):
    env.update(UPSTATE_SECRET_KEY=PUBLISHED_DEFAULT, UPSTATE_DEBUG="True")
    assert _keys_of_processes_started_together(env, 1)[0] == PUBLISHED_DEFAULT


def test_a_key_made_by_one_process_opens_the_api_of_another(env, tmp_path):
    """`upstate apikey create` digests the key with the generated secret; the web processes
    of `upstate serve` must check it with the same one."""
    subprocess.run([UPSTATE, "migrate"], env=env, check=True, capture_output=True, timeout=120)
    subprocess.run(
        [UPSTATE, "org", "create", "acme", "--name", "Acme"], env=env, check=True, timeout=60
    )
    plain = subprocess.run(
        [UPSTATE, "apikey", "create", "--org", "acme", "--role", "viewer"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout.strip()
    port = _free_port()
    log = (tmp_path / "serve.log").open("w")
    server = subprocess.Popen(
        [UPSTATE, "serve", "--port", str(port), "--workers", "2"], env=env, stdout=log, stderr=log
    )
    try:
        _wait_for_http(f"http://127.0.0.1:{port}/healthz", server)
        for _ in range(4):  # whichever web process answers
            answer = httpx.get(
                f"http://127.0.0.1:{port}/api/v1/pages",
                headers={"Authorization": f"Bearer {plain}"},
                timeout=10,
            )
            assert answer.status_code == 200, answer.text
    finally:
        server.terminate()
        server.wait(timeout=60)
        log.close()
    assert Path(tmp_path / "data" / "secret_key").exists()
