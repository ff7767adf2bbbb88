"""The dashboard's subscriber list and per-incident delivery log."""

from __future__ import annotations

from upstate.incidents.services import create_incident
from upstate.notifications.tests.helpers import subscribe


def test_the_delivery_log_shows_each_attempt_and_why_it_failed(
    client, owner, page, smtp_sink, django_capture_on_commit_callbacks
):
    subscribe(page, "ann@example.com")
    subscribe(page, "gone@example.com")
    smtp_sink.reject["gone@example.com"] = "550 5.1.1 No such user"
    with django_capture_on_commit_callbacks(execute=True):
        incident = create_incident(page=page, title="Down")
    client.force_login(owner.user)
    html = client.get(f"/dashboard/acme/incidents/{incident.code}/deliveries/").content.decode()
    assert "incident.created" in html
    assert "ann@example.com" in html and "Sent" in html
    assert "gone@example.com" in html and "550 5.1.1 No such user" in html

    html = client.get("/dashboard/acme/pages/acme/subscribers/").content.decode()
    assert "gone@example.com" in html and "Disabled" in html
    assert "ann@example.com" in html and "Confirmed" in html


def test_outsiders_get_404_and_viewers_cannot_list_subscribers(client, outsider, viewer, page):
    incident = create_incident(page=page, title="Down")
    client.force_login(outsider.user)
    assert client.get(f"/dashboard/acme/incidents/{incident.code}/deliveries/").status_code == 404
    assert client.get("/dashboard/acme/pages/acme/subscribers/").status_code == 404
    client.force_login(viewer.user)
    assert client.get("/dashboard/acme/pages/acme/subscribers/").status_code == 403
    assert client.get(f"/dashboard/acme/incidents/{incident.code}/deliveries/").status_code == 200
