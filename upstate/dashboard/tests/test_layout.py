from __future__ import annotations

from upstate.orgs.services import add_member, create_org
from upstate.pages.services import create_page


def test_admins_see_every_section_in_the_navigation(client, owner, page):
    client.force_login(owner.user)
    body = client.get("/dashboard/acme/").content.decode()
    assert 'href="/dashboard/acme/incidents/"' in body
    assert "Sign out" in body
    assert "/static/dashboard/htmx.min.js" in body
    assert "X-CSRFToken" in body


def test_viewers_and_responders_do_not_see_admin_sections(client, viewer, responder, page):
    for persona in (viewer, responder):
        client.force_login(persona.user)
        body = client.get("/dashboard/acme/").content.decode()
        for admin_only in ("/members/", "/api-keys/", "/audit/", "/settings/"):
            assert admin_only not in body


def test_viewers_get_no_declare_button(client, viewer, page):
    client.force_login(viewer.user)
    assert "Declare incident" not in client.get("/dashboard/acme/").content.decode()


def test_the_org_switcher_lists_the_users_organizations(client, owner, other_org):
    add_member(org=other_org, email="owner@acme.test", role="viewer")
    client.force_login(owner.user)
    body = client.get("/dashboard/acme/").content.decode()
    assert 'href="/dashboard/globex/"' in body
    assert client.get("/dashboard/globex/").status_code == 200


def test_the_page_switcher_remembers_the_choice_and_keeps_the_screen(client, owner, page):
    second = create_page(org=owner.org, name="Internal tools", slug="acme-internal")
    client.force_login(owner.user)
    response = client.get(
        "/dashboard/acme/switch-page/acme-internal/?next=/dashboard/acme/incidents/"
    )
    assert response["Location"] == "/dashboard/acme/incidents/"
    body = client.get("/dashboard/acme/incidents/").content.decode()
    assert f"Public page: {second.name}" in body
    # Page-scoped screens swap the page in their path.
    response = client.get(
        "/dashboard/acme/switch-page/acme/?next=/dashboard/acme/pages/acme-internal/components/"
    )
    assert response["Location"] == "/dashboard/acme/pages/acme/components/"


def test_the_page_switcher_refuses_foreign_pages_and_offsite_redirects(client, owner, other_page):
    client.force_login(owner.user)
    assert client.get("/dashboard/acme/switch-page/globex/").status_code == 404
    create_page(org=owner.org, name="Acme", slug="acme")
    response = client.get("/dashboard/acme/switch-page/acme/?next=https://evil.test/")
    assert response["Location"] == "/dashboard/acme/"


def test_outsiders_get_404_for_the_org(client, outsider, org):
    client.force_login(outsider.user)
    assert client.get("/dashboard/acme/").status_code == 404
    assert client.get("/dashboard/acme/incidents/").status_code == 404


def test_users_without_an_org_are_told_what_to_do(client, db):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user(username="lonely@x.test", email="lonely@x.test")
    client.force_login(user)
    response = client.get("/dashboard/")
    assert response.status_code == 200
    assert "not a member of any organization" in response.content.decode()


def test_home_goes_to_the_first_org_by_name(client, owner):
    zeta = create_org(slug="aaa-zeta", name="Zeta")
    add_member(org=zeta, email="owner@acme.test", role="viewer")
    client.force_login(owner.user)
    assert client.get("/dashboard/")["Location"] == "/dashboard/acme/"


def test_static_files_are_served(client, db):
    response = client.get("/static/dashboard/dashboard.css")
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"/* Upstate dashboard")
