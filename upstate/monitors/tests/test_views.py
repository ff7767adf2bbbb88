"""Dashboard screens: list, detail with chart and uptime, create/edit with "test now",
delete; tenant isolation and roles."""

from __future__ import annotations

import pytest

from upstate.monitors.models import Monitor
from upstate.monitors.services import check_and_record, create_monitor, roll_up


@pytest.fixture
def signed_in(client):
    def sign_in(persona):
        client.force_login(persona.user)
        return client

    return sign_in


@pytest.fixture
def monitor(org, page, api_component, http_target):
    return create_monitor(
        org=org,
        name="Public <API>",
        kind="http",
        url=http_target.url(),
        page=page,
        component=api_component,
    )


def url(org, name="", code=""):
    base = f"/dashboard/{org.slug}/monitors/"
    return base + (f"{code}/" if code else "") + (f"{name}/" if name else "")


def test_the_list_shows_status_and_uptime(signed_in, owner, org, monitor, http_target):
    check_and_record(monitor)
    http_target.mode = "error"
    check_and_record(monitor)
    roll_up()
    response = signed_in(owner).get(url(org))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Public &lt;API&gt;" in html  # escaped
    assert "Public <API>" not in html
    assert "50.00 %" in html  # one of two checks passed in the last 24 h
    assert "HTTP 500, expected 200-299" in html


def test_the_detail_has_a_chart_uptime_and_recent_checks(signed_in, viewer, org, monitor):
    check_and_record(monitor)
    roll_up()
    response = signed_in(viewer).get(url(org, code=monitor.code))
    html = response.content.decode()
    assert response.status_code == 200
    assert "<svg" in html and "<polyline" in html
    assert "100.00 %" in html
    assert "Passed" in html
    assert "Test now" not in html  # a viewer cannot run checks or edit


def test_creating_through_the_form(signed_in, owner, org, page, api_component, http_target):
    form = {
        "name": "Checkout",
        "kind": "http",
        "enabled": "on",
        "interval_seconds": "30",
        "timeout_seconds": "5",
        "url": http_target.url(),
        "method": "GET",
        "headers": "X-Probe: upstate",
        "expected_statuses": "200-299",
        "cert_expiry_days": "14",
        "record_type": "A",
        "grace_seconds": "60",
        "create_incident": "on",
        "page": page.id,
        "component": api_component.id,
        "impact": "major",
        "failures_before_open": "3",
        "successes_before_resolve": "2",
        "message_template": "{monitor} is down: {reason}",
    }
    client = signed_in(owner)
    tested = client.post(url(org, "test"), form)
    assert tested.status_code == 200
    assert 'data-ok="true"' in tested.content.decode()
    assert not Monitor.objects.exists()  # testing stores nothing

    bad = client.post(url(org, "new"), {**form, "interval_seconds": "5", "url": "ftp://x"})
    assert bad.status_code == 400
    assert "Ensure this value is greater than or equal to 10." in bad.content.decode()

    response = client.post(url(org, "new"), form)
    monitor = Monitor.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url(org, code=monitor.code)
    assert monitor.headers == {"X-Probe": "upstate"}
    assert (monitor.page, monitor.component) == (page, api_component)


def test_service_errors_land_on_the_field(signed_in, owner, org, monitor):
    client = signed_in(owner)
    response = client.post(
        url(org, "edit", monitor.code),
        {
            "name": "x",
            "kind": "tcp",
            "interval_seconds": "30",
            "timeout_seconds": "5",
            "method": "GET",
            "expected_statuses": "200-299",
            "cert_expiry_days": "14",
            "record_type": "A",
            "grace_seconds": "60",
            "impact": "major",
            "failures_before_open": "3",
            "successes_before_resolve": "2",
            "message_template": "{nope}",
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "unknown placeholder {nope}" in html
    monitor.refresh_from_db()
    assert monitor.name == "Public <API>"


def test_test_now_of_a_saved_monitor_shows_the_failure(signed_in, owner, org, monitor, http_target):
    http_target.mode = "error"
    response = signed_in(owner).post(url(org, "test", monitor.code))
    html = response.content.decode()
    assert 'data-ok="false"' in html
    assert "HTTP 500, expected 200-299" in html
    assert not monitor.results.exists()


def test_deleting(signed_in, owner, org, monitor):
    client = signed_in(owner)
    assert client.get(url(org, "delete", monitor.code)).status_code == 200
    response = client.post(url(org, "delete", monitor.code))
    assert response.status_code == 302
    assert not Monitor.objects.exists()


def test_outsiders_get_404_on_every_screen(signed_in, outsider, org, monitor):
    client = signed_in(outsider)
    assert client.get(url(org)).status_code == 404
    assert client.get(url(org, "new")).status_code == 404
    for name in ("", "edit", "delete"):
        assert client.get(url(org, name, monitor.code)).status_code == 404
    for name in ("test", "delete", "edit"):
        assert client.post(url(org, name, monitor.code)).status_code == 404
    assert client.post(url(org, "test"), {}).status_code == 404
    # Their own organization's screens do not show our monitors either.
    other = outsider.org
    html = client.get(f"/dashboard/{other.slug}/monitors/").content.decode()
    assert "Public &lt;API&gt;" not in html
    assert client.get(f"/dashboard/{other.slug}/monitors/{monitor.code}/").status_code == 404
    assert Monitor.objects.filter(id=monitor.id).exists()


@pytest.mark.parametrize("persona", ["viewer", "responder"])
def test_only_admins_change_monitors(signed_in, org, monitor, persona, request):
    client = signed_in(request.getfixturevalue(persona))
    assert client.get(url(org, code=monitor.code)).status_code == 200
    assert client.get(url(org, "new")).status_code == 403
    assert client.get(url(org, "edit", monitor.code)).status_code == 403
    assert client.post(url(org, "delete", monitor.code)).status_code == 403
    assert client.post(url(org, "test", monitor.code)).status_code == 403
    assert Monitor.objects.filter(id=monitor.id).exists()
