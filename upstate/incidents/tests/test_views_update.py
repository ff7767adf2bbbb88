from __future__ import annotations

from upstate.dashboard.tests.helpers import declare, incident_url
from upstate.incidents.models import IncidentUpdate
from upstate.pages.health import component_statuses
from upstate.pages.models import ComponentStatus


def test_htmx_posts_an_update_and_gets_the_refreshed_incident(
    client, responder, page, api_component
):
    incident = declare(page)
    client.force_login(responder.user)
    response = client.post(
        incident_url(incident, "updates/"),
        {
            "update-status": "identified",
            "update-message": "Found a bad deploy",
            f"update-component-{api_component.code}": "major_outage",
            "update-notify": "on",
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" not in body and 'id="incident"' in body
    assert "Found a bad deploy" in body
    assert response.context["composer"]["status"].value() == "monitoring"
    incident.refresh_from_db()
    assert incident.status == "identified"
    assert component_statuses(page)[api_component.id] == ComponentStatus.MAJOR_OUTAGE
    assert incident.updates.first().author == responder.user


def test_without_htmx_it_redirects_back(client, owner, page):
    incident = declare(page)
    client.force_login(owner.user)
    response = client.post(incident_url(incident, "updates/"), {"update-status": "monitoring"})
    assert response["Location"] == incident_url(incident)


def test_bad_input_shows_the_error_and_writes_nothing(client, owner, page):
    incident = declare(page)
    client.force_login(owner.user)
    response = client.post(
        incident_url(incident, "updates/"),
        {"update-status": "postmortem", "update-message": "typed text"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "typed text" in body and 'class="error"' in body
    assert IncidentUpdate.objects.count() == 1


def test_a_too_long_message_is_refused_by_the_service_inline(client, owner, page):
    incident = declare(page)
    client.force_login(owner.user)
    response = client.post(
        incident_url(incident, "updates/"),
        {"update-status": "identified", "update-message": "x" * 25_001},
    )
    assert response.status_code == 400
    assert "at most 25000 characters" in response.context["composer"].errors["message"][0]
    assert IncidentUpdate.objects.count() == 1


def test_viewers_get_403(client, viewer, page):
    incident = declare(page)
    client.force_login(viewer.user)
    response = client.post(incident_url(incident, "updates/"), {"update-status": "identified"})
    assert response.status_code == 403
    assert IncidentUpdate.objects.count() == 1


def test_outsiders_get_404(client, outsider, page):
    incident = declare(page)
    client.force_login(outsider.user)
    response = client.post(incident_url(incident, "updates/"), {"update-status": "identified"})
    assert response.status_code == 404
    assert IncidentUpdate.objects.count() == 1


def test_the_preview_renders_markdown_as_the_page_would(client, responder, page):
    client.force_login(responder.user)
    response = client.post(
        "/dashboard/acme/incidents/preview/?field=update-message",
        {"update-message": "**Fixed** <img src=x onerror=alert(1)>", "update-status": "resolved"},
    )
    body = response.content.decode()
    assert "<strong>Resolved</strong>" in body
    assert "<strong>Fixed</strong>" in body
    assert "onerror" not in body


def test_the_preview_is_for_responders(client, viewer, outsider, page):
    client.force_login(viewer.user)
    assert client.post("/dashboard/acme/incidents/preview/", {"message": "x"}).status_code == 403
    client.force_login(outsider.user)
    assert client.post("/dashboard/acme/incidents/preview/", {"message": "x"}).status_code == 404
