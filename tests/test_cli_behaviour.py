"""The `upstate` command as a new user meets it: the real command in a subprocess, on a fresh
data directory. Mistakes get one line and exit code 2, never a traceback; output can be piped;
lists speak JSON."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from tests.test_serve import UPSTATE, sqlite_env

TIMEOUT = 180


@pytest.fixture
def env(tmp_path) -> dict[str, str]:
    return sqlite_env(tmp_path / "data")


def upstate(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [UPSTATE, *args], env=env, capture_output=True, text=True, timeout=TIMEOUT
    )


def test_a_command_on_a_new_data_directory_prepares_the_database(env):
    created = upstate(env, "org", "create", "globex", "--name", "Globex")

    assert created.returncode == 0, created.stderr
    assert created.stdout == "Created organization globex (Globex).\n"
    assert created.stderr.startswith("upstate: prepared a new database")
    assert "Traceback" not in created.stderr
    listed = upstate(env, "org", "list", "--json")
    assert listed.returncode == 0
    assert listed.stderr == ""  # prepared once
    assert json.loads(listed.stdout) == [{"slug": "globex", "name": "Globex", "members": 0}]


@pytest.mark.parametrize("command", ["worker", "web"])
def test_web_and_worker_on_a_new_database_say_what_to_run(env, command):
    result = upstate(env, command)

    assert result.returncode == 2
    assert result.stderr == (
        "upstate: error: database: has no tables yet; run `upstate migrate` first\n"
    )


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"UPSTATE_DEBUG": "yes"}, "UPSTATE_DEBUG must be True or False, not 'yes'"),
        ({"EMAIL_URL": "http://mail"}, "email URL scheme must be one of"),
        ({"UPSTATE_LOG_LEVEL": "loud"}, "UPSTATE_LOG_LEVEL must be DEBUG, INFO, WARNING"),
    ],
)
def test_a_configuration_mistake_is_one_line_and_exit_code_2(env, variables, message):
    result = upstate({**env, **variables}, "incident", "list")

    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("upstate: error: configuration: ")
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "args",
    [
        ["incident", "create", "--page", "nope", "--title", "X"],
        ["incident", "update", "aaaaaaaaaaaa", "--status", "resolved"],
        ["incident", "list", "--limit", "0"],
    ],
)
def test_an_input_mistake_is_one_line_and_exit_code_2(env, args):
    result = upstate(env, *args)

    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith("upstate: error: ")
    assert "Traceback" not in result.stderr


def test_a_usage_mistake_exits_2_with_usage(env):
    result = upstate(env, "incident", "create", "--title", "X")  # no --page

    assert result.returncode == 2
    assert "the following arguments are required: --page" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unreachable_database_is_one_line_and_exit_code_3(env):
    # Nobody listens on port 9 (discard) on loopback.
    result = upstate({**env, "DATABASE_URL": "postgres://u@127.0.0.1:9/gone"}, "incident", "list")

    assert result.returncode == 3
    assert result.stderr.startswith("upstate: error: database: unreachable")
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.fixture
def demo_env(env) -> dict[str, str]:
    loaded = upstate(env, "demo")
    assert loaded.returncode == 0, loaded.stderr
    return env


@pytest.mark.parametrize("args", [["incident", "list"], ["incident", "list", "--json"]])
def test_output_into_a_pipe_closed_early_ends_quietly(demo_env, args):
    # The reader is gone before the command writes, as `| head -1` is once it has its line.
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        result = subprocess.run(
            [UPSTATE, *args],
            env=demo_env,
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=TIMEOUT,
        )
    finally:
        os.close(write_end)

    assert result.returncode == 0
    assert result.stderr == ""


def test_head_gets_the_first_line(demo_env):
    piped = subprocess.run(
        ["bash", "-c", '"$0" incident list | head -1; echo "exit ${PIPESTATUS[0]}"', UPSTATE],
        env=demo_env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )

    assert piped.stdout.startswith("CODE ")
    assert piped.stdout.endswith("exit 0\n")
    assert piped.stderr == ""


def test_lists_print_one_json_document_as_the_api_shows_incidents(demo_env):
    result = upstate(demo_env, "incident", "list", "--active", "--json")

    assert result.returncode == 0
    incidents = json.loads(result.stdout)
    assert [i["title"] for i in incidents] == ["Elevated error rates on the API"]
    live = incidents[0]
    assert live["status"] == "monitoring"
    assert live["severity"] == "high" and live["category"] == "outage"
    assert {c["name"] for c in live["components"]} == {"Core - API", "Core - Webhooks"}
    assert len(live["updates"]) == 3
    resolved = json.loads(upstate(demo_env, "incident", "list", "--resolved", "--json").stdout)
    assert len(resolved) == 3
    assert all(i["resolved_at"] for i in resolved)


def test_create_and_update_take_the_api_fields(demo_env):
    created = upstate(
        demo_env, "incident", "create", "--page", "acme", "--title", "Logins slow",
        "--impact", "major", "--severity", "high", "--category", "performance",
        "--component", "Authentication=degraded_performance", "Dashboard",
        "--visibility", "internal", "--no-notify", "--owner", "admin@acme.test",
        "--started-at", "2025-01-31T14:05:00Z", "--message", "Looking.", "--json",
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    incident = json.loads(created.stdout)
    assert (incident["impact"], incident["severity"], incident["category"]) == (
        "major",
        "high",
        "performance",
    )
    assert incident["visibility"] == "internal"
    assert incident["owner"] == "admin@acme.test"
    assert incident["started_at"].startswith("2025-01-31T14:05:00")
    assert incident["updates"][0]["notify"] is False
    statuses = {c["name"]: c["status"] for c in incident["components"]}
    assert statuses == {
        "Core - Authentication": "degraded_performance",
        "Core - Dashboard": "partial_outage",
    }

    updated = upstate(
        demo_env, "incident", "update", incident["id"], "--severity", "", "--title",
        "Logins slow for some", "--status", "identified", "--message", "Found it.", "--json",
    )  # fmt: skip
    assert updated.returncode == 0, updated.stderr
    after = json.loads(updated.stdout)
    assert after["title"] == "Logins slow for some"
    assert after["severity"] is None
    assert after["status"] == "identified"
    assert after["updates"][0]["message"] == "Found it."


def test_update_refuses_a_message_without_a_status(demo_env):
    code = json.loads(upstate(demo_env, "incident", "list", "--active", "--json").stdout)[0]["id"]

    result = upstate(demo_env, "incident", "update", code, "--message", "Hello")

    assert result.returncode == 2
    assert result.stderr == (
        "upstate: error: status: --message, --component and --no-notify go with --status\n"
    )


def test_the_owner_must_be_a_member_who_may_respond(demo_env):
    result = upstate(
        demo_env, "incident", "create", "--page", "acme", "--title", "X",
        "--owner", "nobody@acme.test",
    )  # fmt: skip

    assert result.returncode == 2
    assert "owner: 'nobody@acme.test' is not a member of acme" in result.stderr
    listed = upstate(demo_env, "incident", "list", "--active", "--json")
    assert [i["title"] for i in json.loads(listed.stdout)] == ["Elevated error rates on the API"]
