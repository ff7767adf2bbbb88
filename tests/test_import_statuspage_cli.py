"""`upstate import statuspage` as an operator runs it: the real command in a subprocess on a
fresh data directory, reading a generated Statuspage account from a real HTTP server on
loopback (or its export directory), mail going to a real SMTP server on loopback."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from upstate.notifications.tests.sinks import SmtpSink
from upstate.statuspage.tests.fake_account import (
    API_KEY,
    PAGE_ID,
    AccountServer,
    export,
    make_account,
    serving,
)

UPSTATE = Path(sys.executable).with_name("upstate")
TIMEOUT = 600
INCIDENTS = 300


@pytest.fixture
def mail():
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def env(tmp_path, mail) -> dict[str, str]:
    env = dict(os.environ)
    for name in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"):
        env.pop(name, None)
    env.update(
        UPSTATE_DATA_DIR=str(tmp_path / "data"),
        PYTHONUNBUFFERED="1",
        EMAIL_URL=f"smtp://127.0.0.1:{mail.port}",
        # Confirmation emails leave from this process (no worker runs in these tests).
        UPSTATE_TASKS_IMMEDIATE="True",
    )
    return env


def upstate(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [UPSTATE, *args], env=env, capture_output=True, text=True, timeout=TIMEOUT
    )


def count(env: dict[str, str], sql: str) -> int:
    with sqlite3.connect(Path(env["UPSTATE_DATA_DIR"]) / "upstate.sqlite3") as db:
        return db.execute(sql).fetchone()[0]


def api(server: AccountServer) -> list[str]:
    return ["--api-key", API_KEY, "--page-id", PAGE_ID, "--base-url", server.base_url]


@pytest.fixture
def account():
    return make_account(incidents=INCIDENTS, updates_each=4, maintenance=4, active=1)


def test_it_imports_then_updates_without_duplicating(env, account, mail):
    assert upstate(env, "org", "create", "acme", "--name", "Acme").returncode == 0
    with serving(AccountServer(account)) as server:
        first = upstate(env, "import", "statuspage", "--org", "acme", "--page", "status",
                        "--trust-confirmed", *api(server))  # fmt: skip
        assert first.returncode == 0, first.stderr
        assert f"incidents {INCIDENTS}/{INCIDENTS}" in first.stderr
        assert "incidents 100/300" in first.stderr
        assert f"incidents: {INCIDENTS} created, 0 updated, 0 unchanged" in first.stdout
        assert "skipped 4 subscribers" in first.stdout
        assert "never confirmed on Statuspage (1)" in first.stdout
        assert "invalid email (1)" in first.stdout
        assert "Traceback" not in first.stderr
        incidents = count(env, "select count(*) from incidents_incident")
        updates = count(env, "select count(*) from incidents_incidentupdate")
        assert (incidents, updates) == (INCIDENTS, INCIDENTS * 4)

        account.realtime[7]["name"] = "Renamed on Statuspage"
        second = upstate(env, "import", "statuspage", "--org", "acme", "--page", "status",
                         "--trust-confirmed", *api(server))  # fmt: skip

    assert second.returncode == 0, second.stderr
    assert f"incidents: 0 created, 1 updated, {INCIDENTS - 1} unchanged" in second.stdout
    assert count(env, "select count(*) from incidents_incident") == incidents
    assert count(env, "select count(*) from incidents_incidentupdate") == updates
    assert count(env, "select count(*) from subscribers_subscriber") == 11
    renamed = "select title from incidents_incident where statuspage_id = 'inc000000008'"
    with sqlite3.connect(Path(env["UPSTATE_DATA_DIR"]) / "upstate.sqlite3") as db:
        assert db.execute(renamed).fetchone()[0] == "Renamed on Statuspage"
    # History, not news: no event was recorded, no email left (trusted: no confirmations).
    assert count(env, "select count(*) from notifications_event") == 0
    assert mail.count == 0


def test_untrusted_subscribers_get_a_confirmation_and_nothing_else(env, account, mail):
    upstate(env, "org", "create", "acme", "--name", "Acme")
    with serving(AccountServer(account)) as server:
        # The key from the environment, out of the process list.
        keyed = {**env, "STATUSPAGE_API_KEY": API_KEY}
        args = ["--page-id", PAGE_ID, "--base-url", server.base_url]
        result = upstate(keyed, "import", "statuspage", "--org", "acme", *args)

    assert result.returncode == 0, result.stderr
    assert "importing into page acmecloud of acme" in result.stderr
    assert mail.wait_for(9)
    assert mail.count == 9
    assert all("confirm" in m.message["Subject"].lower() for m in mail.mails)
    assert count(env, "select count(*) from notifications_event") == 0


def test_a_server_failing_midway_exits_1_with_no_incident_imported(env, account):
    upstate(env, "org", "create", "acme", "--name", "Acme")
    failing = AccountServer(account, fail={("incidents", 3): 500})
    with serving(failing) as server:
        result = upstate(env, "import", "statuspage", "--org", "acme", "--retries", "1",
                         *api(server))  # fmt: skip

    assert result.returncode == 1
    assert "incidents: FAILED, nothing of this kind was imported" in result.stdout
    assert "page=3" in result.stdout and "HTTP 500" in result.stdout
    assert "Run the same command again" in result.stdout
    assert "Traceback" not in result.stderr
    assert count(env, "select count(*) from incidents_incident") == 0
    assert count(env, "select count(*) from maintenance_maintenance") == 0
    assert count(env, "select count(*) from pages_component") == 8


def test_an_export_directory_imports_without_a_network(env, account, tmp_path):
    upstate(env, "org", "create", "acme", "--name", "Acme")
    export(account, tmp_path / "export")

    result = upstate(env, "import", "statuspage", "--org", "acme", "--trust-confirmed",
                     "--from-dir", str(tmp_path / "export"))  # fmt: skip

    assert result.returncode == 0, result.stderr
    assert count(env, "select count(*) from incidents_incident") == INCIDENTS
    assert count(env, "select count(*) from maintenance_maintenance") == 4
    assert count(env, "select count(*) from incidents_incidenttemplate") == 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "api-key: give --api-key and --page-id, or --from-dir DIR"),
        (["--from-dir", "/nonexistent-export"], "from-dir: /nonexistent-export is not a directory"),
        (["--api-key", "wrong", "--page-id", PAGE_ID], "api-key: Statuspage refused the key"),
        (["--api-key", API_KEY, "--page-id", "nope"], "page-id: Statuspage has no page 'nope'"),
    ],
)
def test_a_usage_mistake_is_one_line_and_exit_2(env, account, args, message):
    upstate(env, "org", "create", "acme", "--name", "Acme")
    with serving(AccountServer(account)) as server:
        extra = ["--base-url", server.base_url] if "--api-key" in args else []
        result = upstate(env, "import", "statuspage", "--org", "acme", *args, *extra)

    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("upstate: error: ")
    assert message in result.stderr
    assert count(env, "select count(*) from pages_statuspage") == 0


def test_an_unknown_organization_is_exit_2(env, tmp_path):
    result = upstate(env, "import", "statuspage", "--org", "nobody", "--from-dir", str(tmp_path))

    assert result.returncode == 2
    assert "org: no organization with slug 'nobody'" in result.stderr


def test_nothing_but_the_matcher_index_is_queued_for_the_worker(env):
    """Without a worker (no UPSTATE_TASKS_IMMEDIATE), what the import leaves in the task queue:
    re-indexing the page for incident matching; no notification, delivery or confirmation."""
    env = {k: v for k, v in env.items() if k != "UPSTATE_TASKS_IMMEDIATE"}
    upstate(env, "org", "create", "acme", "--name", "Acme")
    small = make_account(incidents=30, maintenance=2, active=1)
    with serving(AccountServer(small)) as server:
        result = upstate(env, "import", "statuspage", "--org", "acme", "--trust-confirmed",
                         *api(server))  # fmt: skip

    assert result.returncode == 0, result.stderr
    with sqlite3.connect(Path(env["UPSTATE_DATA_DIR"]) / "tasks.sqlite3") as db:
        queued = [bytes(data) for (data,) in db.execute("select data from task")]
    # A queued task names its function in its (signed) payload.
    assert queued
    assert all(b"upstate.awareness.tasks.index_page_task" in data for data in queued)
    assert count(env, "select count(*) from notifications_event") == 0
