"""The accepted-text rule on the command line and in monitors-as-code files: a control
character is a clear error naming the argument or field, exit status 2, nothing stored."""

from __future__ import annotations

import pytest

from upstate.cli import main
from upstate.incidents.models import Incident
from upstate.monitors.models import Monitor


@pytest.fixture
def run(capsys):
    def _run(*argv: str) -> tuple[int, str]:
        code = main(list(argv))
        return code, capsys.readouterr().err

    return _run


def test_an_incident_title_with_an_escape_is_refused(page, run):
    code, err = run("incident", "create", "--page", "acme", "--title", "Disk \x1b[31m full")
    assert code == 2
    assert err.startswith("upstate: error: title: must not contain control characters (U+001B")
    assert not Incident.objects.exists()


def test_a_message_that_is_no_utf8_is_refused(page, run):
    # Bytes that are no UTF-8 reach Python as lone surrogates (surrogateescape).
    code, err = run("incident", "create", "--page", "acme", "--title", "ok", "--message", "\udcff")
    assert code == 2
    assert "message: must be valid Unicode text" in err
    assert not Incident.objects.exists()


def test_a_monitor_name_with_a_form_feed_in_a_yaml_file_is_refused(tmp_path, page, run):
    path = tmp_path / "monitors.yaml"
    path.write_text(
        'org: acme\nmonitors:\n  - name: "Nightly\\fbackup"\n    kind: heartbeat\n'
        "    interval_seconds: 86400\n"
    )
    code, err = run("monitors", "apply", str(path))
    assert code == 2
    assert "name" in err and "U+000C" in err
    assert not Monitor.objects.exists()
