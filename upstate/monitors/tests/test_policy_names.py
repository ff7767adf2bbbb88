"""Alert policies written against the product documents' example: `status_page_id`,
`affected_component` and `incident_severity: major` (an impact word) work in the API and in
`upstate monitors apply`."""

from __future__ import annotations

import textwrap

from upstate.api.tests.helpers import Api, field_errors
from upstate.cli import main
from upstate.monitors.models import Monitor


def _monitor(policy: dict) -> dict:
    return {
        "name": "Production API",
        "kind": "http",
        "url": "https://api.acme.test/h",
        "alert_policy": policy,
    }


def test_the_documents_names_work_in_the_api(client, owner, page, api_component):
    policy = {
        "create_status_page_incident": True,
        "status_page_id": page.code,
        "affected_component": api_component.code,
        "incident_severity": "major",
    }
    response = Api(client, owner).post("/monitors", _monitor(policy))
    assert response.status_code == 201, response.content
    shown = response.json()["alert_policy"]
    assert (shown["page_id"], shown["component_id"]) == (page.code, api_component.code)
    assert (shown["impact"], shown["severity"]) == ("major", None)


def test_incident_severity_critical_is_both_impact_and_severity(client, owner, page):
    policy = {"status_page_id": page.code, "incident_severity": "critical"}
    shown = Api(client, owner).post("/monitors", _monitor(policy)).json()["alert_policy"]
    assert (shown["impact"], shown["severity"]) == ("critical", "critical")


def test_a_real_severity_keeps_the_default_impact(client, owner, page):
    policy = {"status_page_id": page.code, "incident_severity": "low"}
    shown = Api(client, owner).post("/monitors", _monitor(policy)).json()["alert_policy"]
    assert (shown["impact"], shown["severity"]) == ("major", "low")


def test_an_impact_word_beside_an_impact_is_refused(client, owner, page):
    policy = {"page_id": page.code, "impact": "minor", "incident_severity": "major"}
    response = Api(client, owner).post("/monitors", _monitor(policy))
    assert response.status_code == 422
    assert "alert_policy.severity" in field_errors(response)
    assert not Monitor.objects.exists()


def test_a_patch_takes_the_documents_names_too(client, owner, page):
    api = Api(client, owner)
    code = api.post("/monitors", _monitor({"page_id": page.code})).json()["id"]
    shown = api.patch(f"/monitors/{code}", {"alert_policy": {"incident_severity": "minor"}})
    assert shown.status_code == 200, shown.content
    assert shown.json()["alert_policy"]["impact"] == "minor"


def test_the_documents_example_applies_from_a_file(tmp_path, capsys, owner, page, api_component):
    path = tmp_path / "monitors.yaml"
    path.write_text(
        textwrap.dedent(
            f"""\
            org: acme
            monitors:
              - name: Production API
                kind: http
                url: https://api.acme.test/health
                alert_policy:
                  create_status_page_incident: true
                  status_page_id: {page.code}
                  affected_component: {api_component.code}
                  incident_severity: major
            """
        )
    )
    assert main(["monitors", "apply", str(path)]) == 0, capsys.readouterr()
    monitor = Monitor.objects.get()
    assert (monitor.impact, monitor.severity, monitor.component) == ("major", "", api_component)
