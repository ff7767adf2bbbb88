"""The dashboard's 403 and 404 pages: friendly, with the right status, telling nothing about
the organization or object the address named."""

from __future__ import annotations

from upstate.dashboard.tests.helpers import declare, incident_url


def test_another_orgs_incident_is_a_friendly_404(client, outsider, page):
    incident = declare(page, "Secret database migration")
    client.force_login(outsider.user)
    response = client.get(incident_url(incident))
    assert response.status_code == 404
    assert [t.name for t in response.templates][0] == "404.html"
    body = response.content.decode()
    assert "<h1>Not found</h1>" in body
    assert 'href="/dashboard/"' in body
    for secret in ("Secret database migration", "Acme", "acme", "Globex"):
        assert secret not in body


def test_an_unknown_address_is_a_404_page(client, owner):
    client.force_login(owner.user)
    response = client.get("/dashboard/acme/no-such-screen/")
    assert response.status_code == 404
    assert "<h1>Not found</h1>" in response.content.decode()


def test_a_viewer_posting_gets_a_friendly_403(client, viewer, page):
    client.force_login(viewer.user)
    response = client.post("/dashboard/acme/incidents/new/", {"title": "x"})
    assert response.status_code == 403
    assert [t.name for t in response.templates][0] == "403.html"
    body = response.content.decode()
    assert "<h1>Not allowed</h1>" in body
    assert "Members screen" in body
    assert "Acme" not in body


def test_an_unknown_public_page_gets_the_same_404(client, db):
    response = client.get("/p/nope/")
    assert response.status_code == 404
    assert "<h1>Not found</h1>" in response.content.decode()
