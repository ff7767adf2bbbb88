"""`upstate incident create|update|list`: responders posting from a terminal."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.test_serve import UPSTATE, sqlite_env
from upstate.cli import main
from upstate.incidents.models import Impact, Incident, IncidentStatus
from upstate.pages.health import component_statuses
from upstate.pages.models import ComponentStatus


@pytest.fixture
def run(capsys):
    def _run(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return _run


def test_it_declares_an_incident_and_prints_its_code(page, api_component, web_component, run):
    code, out, _ = run(
        "incident", "create", "--page", "acme", "--title", "API down", "--impact", "major",
        "--component", "api", web_component.code, "--message", "Looking into it.",
    )  # fmt: skip

    assert code == 0
    incident = Incident.objects.get(code=out.strip())
    assert (incident.title, incident.impact, incident.status) == (
        "API down",
        Impact.MAJOR,
        IncidentStatus.INVESTIGATING,
    )
    assert set(incident.components.all()) == {api_component, web_component}
    assert incident.updates.get().message == "Looking into it."
    assert component_statuses(page)[api_component.id] == ComponentStatus.PARTIAL_OUTAGE


def test_it_overrides_a_component_status_with_name_equals_status(page, api_component, run):
    code, _, _ = run(
        "incident", "create", "--page", "acme", "--title", "Slow", "--impact", "minor",
        "--component", "API=major_outage",
    )  # fmt: skip

    assert code == 0
    assert component_statuses(page)[api_component.id] == ComponentStatus.MAJOR_OUTAGE


def test_it_posts_an_update_and_resolves(page, api_component, run):
    created = run("incident", "create", "--page", "acme", "--title", "X", "--component", "API")[1]
    incident_code = created.strip()

    code, out, _ = run(
        "incident", "update", incident_code, "--status", "resolved", "--message", "Fixed."
    )

    assert code == 0
    assert "resolved" in out
    incident = Incident.objects.get(code=incident_code)
    assert incident.status == IncidentStatus.RESOLVED
    assert incident.resolved_at is not None
    assert component_statuses(page)[api_component.id] == ComponentStatus.OPERATIONAL


def test_it_lists_active_incidents_only_when_asked(page, run):
    active = run("incident", "create", "--page", "acme", "--title", "Still broken")[1].strip()
    done = run(
        "incident", "create", "--page", "acme", "--title", "Long fixed", "--status", "resolved"
    )[1].strip()

    everything = run("incident", "list")[1]
    only_active = run("incident", "list", "--page", "acme", "--active")[1]

    assert active in everything and done in everything
    assert active in only_active and done not in only_active
    assert "Still broken" in only_active


def test_it_rejects_a_bad_status_naming_the_field_and_writes_nothing(page, run):
    code, out, err = run("incident", "create", "--page", "acme", "--title", "X", "--status", "up")

    assert code == 2
    assert out == ""
    assert err.startswith("upstate: error: status: must be one of investigating")
    assert not Incident.objects.exists()


def test_it_names_an_unknown_component(page, api_component, run):
    code, _, err = run(
        "incident", "create", "--page", "acme", "--title", "X", "--component", "Database"
    )

    assert code == 2
    assert "component: no component 'Database' on page acme" in err
    assert not Incident.objects.exists()


def test_it_names_an_unknown_page(db, run):
    code, _, err = run("incident", "create", "--page", "nope", "--title", "X")

    assert code == 2
    assert "page: no status page with slug 'nope'" in err


def test_it_names_an_unknown_incident_code(db, run):
    code, _, err = run("incident", "update", "aaaaaaaaaaaa", "--status", "resolved")

    assert code == 2
    assert "code: no incident with code 'aaaaaaaaaaaa'" in err


def test_it_names_the_unknown_component_of_name_equals_status(page, api_component, run):
    code, _, err = run(
        "incident", "create", "--page", "acme", "--title", "X",
        "--component", "Database=major_outage",
    )  # fmt: skip

    assert code == 2
    assert "component: no component 'Database' on page acme" in err
    assert not Incident.objects.exists()


def test_it_refuses_an_unknown_component_status_naming_the_component(page, api_component, run):
    code, _, err = run(
        "incident", "create", "--page", "acme", "--title", "X", "--component", "API=down"
    )

    assert code == 2
    assert f"components.{api_component.code}: must be one of operational" in err
    assert not Incident.objects.exists()


def test_it_backfills_a_past_incident(page, run):
    code, out, _ = run(
        "incident", "create", "--page", "acme", "--title", "Old outage",
        "--started-at", "2025-01-31T14:05:00Z", "--resolved-at", "2025-01-31T15:00:00",
    )  # fmt: skip

    assert code == 0
    incident = Incident.objects.get(code=out.strip())
    assert incident.backfilled
    assert incident.status == IncidentStatus.RESOLVED
    assert incident.resolved_at.isoformat() == "2025-01-31T15:00:00+00:00"


def test_it_refuses_a_time_it_cannot_read(page, run):
    code, _, err = run(
        "incident", "create", "--page", "acme", "--title", "X", "--started-at", "yesterday"
    )

    assert code == 2
    assert "started_at: must be an ISO 8601 date and time" in err


def test_update_changes_details_without_posting_and_acknowledges(page, run):
    incident_code = run("incident", "create", "--page", "acme", "--title", "X")[1].strip()

    code, out, _ = run(
        "incident", "update", incident_code, "--impact", "critical", "--category", "security",
        "--acknowledge",
    )  # fmt: skip

    assert code == 0
    assert out.startswith(f"Changed {incident_code}")
    incident = Incident.objects.get(code=incident_code)
    assert (incident.impact, incident.category) == (Impact.CRITICAL, "security")
    assert incident.acknowledged_at is not None
    assert incident.updates.count() == 1  # no timeline entry


def test_update_with_nothing_to_change_says_so(page, run):
    incident_code = run("incident", "create", "--page", "acme", "--title", "X")[1].strip()

    code, _, err = run("incident", "update", incident_code)

    assert code == 2
    assert "nothing to change" in err


def test_create_acknowledge_takes_the_incident_in_the_same_step(tmp_path):
    # The real command on a fresh data directory, as a responder runs it from a terminal.
    env = sqlite_env(tmp_path / "data")

    def upstate(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [UPSTATE, *args], env=env, capture_output=True, text=True, timeout=180
        )

    assert upstate("demo").returncode == 0
    create = ("incident", "create", "--page", "acme", "--json")
    taken = upstate(*create, "--title", "Logins slow", "--acknowledge")
    waiting = upstate(*create, "--title", "Search slow")
    owned = upstate(
        *create, "--title", "Exports slow", "--acknowledge", "--owner", "admin@acme.test"
    )

    assert taken.returncode == 0, taken.stderr
    incident = json.loads(taken.stdout)
    assert incident["response_state"] == "acknowledged"
    assert incident["acknowledged_at"] is not None
    assert json.loads(waiting.stdout)["response_state"] == "triggered"
    assert json.loads(waiting.stdout)["acknowledged_at"] is None
    both = json.loads(owned.stdout)
    assert (both["response_state"], both["owner"]) == ("acknowledged", "admin@acme.test")
    listed = json.loads(upstate("incident", "list", "--active", "--json").stdout)
    states = {i["title"]: i["response_state"] for i in listed}
    assert states["Logins slow"] == "acknowledged"
    assert states["Search slow"] == "triggered"
