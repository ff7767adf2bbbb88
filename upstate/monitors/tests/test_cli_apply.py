"""`upstate monitors apply FILE`: config as code, idempotent, all or nothing."""

from __future__ import annotations

import textwrap

import pytest

from upstate.cli import main
from upstate.monitors.models import Monitor

FILE = """\
org: acme
monitors:
  - name: Production API
    kind: http
    url: https://api.acme.test/health
    interval_seconds: 30
    keyword: ok
    alert_policy:
      create_status_page_incident: true
      status_page_id: acme
      affected_component: API
      incident_severity: high
      impact: critical
  - name: Database
    kind: tcp
    host: db.acme.test
    port: 5432
    alert_policy:
      page: acme
      component: website
  - name: Nightly backup
    kind: heartbeat
    interval_seconds: 86400
    grace_seconds: 3600
    alert_policy:
      create_status_page_incident: false
"""


@pytest.fixture
def apply(tmp_path, capsys):
    def run(text: str, *args: str) -> tuple[int, str, str]:
        path = tmp_path / "monitors.yaml"
        path.write_text(textwrap.dedent(text))
        code = main(["monitors", "apply", str(path), *args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_applying_twice_creates_then_changes_nothing(apply, page, api_component, web_component):
    code, out, err = apply(FILE)
    assert code == 0, err
    assert out.strip() == "3 created, 0 changed, 0 unchanged, 0 deleted"
    assert "created   Production API" in err
    api = Monitor.objects.get(name="Production API")
    assert (api.page, api.component, api.severity, api.impact) == (
        page,
        api_component,
        "high",
        "critical",
    )
    assert Monitor.objects.get(name="Database").component == web_component
    updated_at = api.updated_at

    code, out, _ = apply(FILE)
    assert out.strip() == "0 created, 0 changed, 3 unchanged, 0 deleted"
    api.refresh_from_db()
    assert api.updated_at == updated_at


def test_a_changed_line_changes_that_monitor_and_a_removed_one_resets(
    apply, page, api_component, web_component
):
    apply(FILE)
    edited = FILE.replace("interval_seconds: 30\n    keyword: ok\n", "interval_seconds: 60\n")
    code, out, _ = apply(edited)
    assert out.strip() == "0 created, 1 changed, 2 unchanged, 0 deleted"
    api = Monitor.objects.get(name="Production API")
    assert (api.interval_seconds, api.keyword) == (60, "")


def test_prune_deletes_what_the_file_no_longer_lists(apply, page, api_component, web_component):
    apply(FILE)
    only_two = FILE.split("  - name: Nightly backup")[0]
    code, out, _ = apply(only_two, "--prune")
    assert out.strip() == "0 created, 0 changed, 2 unchanged, 1 deleted"
    assert not Monitor.objects.filter(name="Nightly backup").exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("interval_seconds: 30", "interval_seconds: 5"),
            "monitors[0].interval_seconds: must be at least 10",
        ),
        (
            ("affected_component: API", "affected_component: Nope"),
            "monitors[0].alert_policy.component: no component 'Nope'",
        ),
        (("port: 5432", "port: 99999"), "monitors[1].port: must be at most 65535"),
        (
            ("host: db.acme.test", "host: ''"),
            "monitors[1].host: is required for a TCP port monitor",
        ),
        (
            ("status_page_id: acme", "status_page_id: globex"),
            "monitors[0].alert_policy.page: no page 'globex'",
        ),
        (("kind: heartbeat", "kind: smoke"), "monitors[2].kind: must be one of"),
    ],
)
def test_bad_files_change_nothing_and_name_the_field(
    apply, page, api_component, web_component, change, message
):
    code, _, err = apply(FILE.replace(*change))
    assert code == 2
    assert message in err
    assert not Monitor.objects.exists()  # earlier entries were rolled back too


def test_broken_yaml_is_reported_in_one_line_with_the_place(apply, org, tmp_path):
    code, _, err = apply("org: acme\nmonitors:\n  - name: API\n    kind: [http\n")
    assert code == 2
    (line,) = err.strip().splitlines()
    assert line.startswith(f"upstate: error: {tmp_path / 'monitors.yaml'}:5:1: file: ")
    assert "is not valid YAML: while parsing a flow sequence, expected ',' or ']'" in line


@pytest.mark.parametrize(
    ("change", "where"),
    [
        # The value's own place when the file has it...
        (("interval_seconds: 30", "interval_seconds: 5"), "6:23: monitors[0].interval_seconds"),
        (("port: 5432", "port: 99999"), "17:11: monitors[1].port"),
        (("kind: heartbeat", "kind: smoke"), "22:11: monitors[2].kind"),
        # ...under the name the file uses for it...
        (("affected_component: API", "affected_component: Nope"), "11:27: monitors[0].alert_"),
        # ...else the mapping it belongs in.
        (("    host: db.acme.test\n", ""), "14:5: monitors[1].host: is required"),
        (("      page: acme\n", ""), "19:18: monitors[1].alert_policy.component: needs"),
    ],
)
def test_schema_mistakes_name_file_line_column_and_field(
    apply, page, api_component, web_component, tmp_path, change, where
):
    code, _, err = apply(FILE.replace(*change))
    assert code == 2
    line = err.strip().splitlines()[-1]  # after the progress lines: one line, no more
    assert err.count("upstate: error") == 1
    assert line.startswith(f"upstate: error: {tmp_path / 'monitors.yaml'}:{where}"), line
    assert not Monitor.objects.exists()


def test_a_key_written_twice_is_a_mistake(apply, org):
    code, _, err = apply("org: acme\nmonitors:\n  - name: A\n    name: B\n    kind: tcp\n")
    assert code == 2
    assert "monitors.yaml:4:5: file: is not valid YAML: 'name' appears twice" in err


def test_dry_run_says_what_would_change_and_writes_nothing(
    apply, page, api_component, web_component
):
    from upstate.audit.models import AuditEntry

    apply(FILE)
    before = {m.name: m.updated_at for m in Monitor.objects.all()}
    audit = AuditEntry.objects.count()
    edited = FILE.replace("interval_seconds: 30", "interval_seconds: 60").replace(
        "  - name: Nightly backup",
        "  - name: Weekly report\n    kind: heartbeat\n"
        "    alert_policy:\n      create_status_page_incident: false\n"
        "  - name: Nightly backup",
    )
    edited = edited.split("  - name: Nightly backup")[0]
    code, out, err = apply(edited, "--dry-run", "--prune")
    assert code == 0, err
    lines = out.strip().splitlines()
    assert lines[0] == "Dry run: 3 monitors against acme; nothing is written."
    assert "create    Weekly report" in lines
    assert "change    Production API: interval_seconds: 30 -> 60" in lines
    assert "unchanged Database" in lines
    assert "remove    Nightly backup" in lines
    assert lines[-1] == "1 to create, 1 to change, 1 unchanged, 1 to remove"
    assert {m.name: m.updated_at for m in Monitor.objects.all()} == before
    assert AuditEntry.objects.count() == audit
    # Without --prune, what the file leaves out is kept, and the plan says so.
    _, out, _ = apply(edited, "--dry-run")
    assert "kept      Nightly backup (not in the file; --prune would remove it)" in out


def test_dry_run_reports_mistakes_like_apply(apply, page, api_component, web_component):
    code, out, err = apply(FILE.replace("port: 5432", "port: 0"), "--dry-run")
    assert code == 2
    assert "monitors.yaml:17:11: monitors[1].port: must be at least 1" in err
