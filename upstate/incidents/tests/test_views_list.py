from __future__ import annotations

from upstate.dashboard.tests.helpers import declare

URL = "/dashboard/acme/incidents/"


def test_active_incidents_come_first(client, viewer, page):
    declare(page, "Old and active")
    declare(page, "Newer but resolved", status="resolved")
    client.force_login(viewer.user)
    body = client.get(URL).content.decode()
    assert body.index("Old and active") < body.index("Newer but resolved")


def test_it_filters_by_state_severity_category_page_and_title(client, viewer, page, other_page):
    declare(page, "Checkout slow", severity="high", category="performance")
    declare(page, "Login broken", severity="low", category="bug", status="resolved")
    client.force_login(viewer.user)

    def titles(**params):  # noqa: ANN003, ANN202
        body = client.get(URL, params).content.decode()
        return {t for t in ("Checkout slow", "Login broken") if t in body}

    assert titles(state="active") == {"Checkout slow"}
    assert titles(state="closed") == {"Login broken"}
    assert titles(state="resolved") == {"Login broken"}
    assert titles(severity="low") == {"Login broken"}
    assert titles(category="performance") == {"Checkout slow"}
    assert titles(q="LOGIN") == {"Login broken"}
    assert titles(page="acme") == {"Checkout slow", "Login broken"}
    assert titles(page="globex") == set()


def test_htmx_gets_only_the_results(client, viewer, page):
    declare(page, "Checkout slow")
    client.force_login(viewer.user)
    response = client.get(
        URL, {"q": "check"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="incident-results"
    )
    body = response.content.decode()
    assert "Checkout slow" in body
    assert "<html" not in body


def test_viewers_see_no_declare_button(client, viewer, page):
    client.force_login(viewer.user)
    assert "Declare incident" not in client.get(URL).content.decode()


def test_it_lists_only_the_orgs_incidents(client, owner, page, other_page):
    declare(other_page, "Globex secret")
    client.force_login(owner.user)
    assert "Globex secret" not in client.get(URL).content.decode()


def test_outsiders_get_404(client, outsider, page):
    client.force_login(outsider.user)
    assert client.get(URL).status_code == 404
