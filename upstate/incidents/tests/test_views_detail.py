from __future__ import annotations

from upstate.dashboard.tests.helpers import declare, incident_url


def test_it_shows_the_timeline_and_a_composer_with_the_next_status(
    client, responder, page, api_component
):
    incident = declare(
        page, "Checkout fails", message="Looking into **it**", components={api_component: None}
    )
    client.force_login(responder.user)
    response = client.get(incident_url(incident))
    body = response.content.decode()
    assert "Looking into <strong>it</strong>" in body
    assert response.context["composer"]["status"].value() == "identified"
    assert "Post update" in body and "Acknowledge" in body and "Resolve incident" in body
    assert "API: Operational" in body


def test_viewers_see_no_write_controls(client, viewer, page):
    incident = declare(page)
    client.force_login(viewer.user)
    body = client.get(incident_url(incident)).content.decode()
    for control in ("Post update", ">Acknowledge<", "Take ownership", "Resolve incident", "Delete"):
        assert control not in body
    assert body.count('method="post"') == 1  # signing out is the only thing a viewer can post


def test_markdown_is_sanitised(client, viewer, page):
    incident = declare(page, message="<script>alert(1)</script> [x](javascript:alert(1))")
    client.force_login(viewer.user)
    body = client.get(incident_url(incident)).content.decode()
    assert "<script>alert(1)" not in body
    assert "javascript:alert" not in body


def test_outsiders_get_404(client, outsider, page):
    incident = declare(page)
    client.force_login(outsider.user)
    assert client.get(incident_url(incident)).status_code == 404


def test_an_incident_is_404_through_another_orgs_url(client, outsider, owner, page):
    incident = declare(page)
    client.force_login(outsider.user)
    assert client.get(f"/dashboard/globex/incidents/{incident.code}/").status_code == 404


def test_anonymous_is_sent_to_sign_in(client, page):
    incident = declare(page)
    assert client.get(incident_url(incident))["Location"].startswith("/dashboard/login/")
