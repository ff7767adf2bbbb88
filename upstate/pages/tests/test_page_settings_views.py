"""Dashboard page settings and new pages."""

from __future__ import annotations

import pytest
from django.utils import timezone

from upstate.pages.models import StatusPage

URL = "/dashboard/acme/pages/acme/settings/"


def _as(client, persona):
    client.force_login(persona.user)
    return client


def _settings(**extra) -> dict:
    data = {
        "name": "Acme Status",
        "slug": "acme",
        "description": "",
        "custom_domain": "status.acme.test",
        "logo_url": "https://acme.test/logo.png",
        "accent_color": "#ff6600",
        "time_zone": "Europe/Berlin",
        "support_url": "",
        "show_severity": "",
        "private": "on",
    }
    return {**data, **extra}


def test_the_owner_saves_every_setting(client, owner, page):
    response = _as(client, owner).post(URL, _settings())

    assert response.status_code == 302
    page.refresh_from_db()
    assert page.custom_domain == "status.acme.test"
    assert page.accent_color == "#ff6600"
    assert page.time_zone == "Europe/Berlin"
    assert page.private is True and page.show_severity is False
    assert page.logo_url == "https://acme.test/logo.png"


def test_it_shows_the_cname_record_to_create(client, owner, page, settings):
    settings.PUBLIC_URL = "https://upstate.example.net"
    page.custom_domain = "status.acme.test"
    page.save()

    response = _as(client, owner).get(URL)

    assert b"status.acme.test" in response.content
    assert b"CNAME" in response.content
    assert b"upstate.example.net" in response.content


def test_a_changed_slug_redirects_to_the_new_address(client, owner, page):
    response = _as(client, owner).post(URL, _settings(slug="acme-status"))

    assert response["Location"] == "/dashboard/acme/pages/acme-status/settings/"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("accent_color", "orange"),
        ("custom_domain", "not a host"),
        ("slug", "Bad Slug"),
        ("name", ""),
    ],
)
def test_bad_input_shows_the_field_error_and_writes_nothing(client, owner, page, field, value):
    response = _as(client, owner).post(URL, _settings(**{field: value, "description": "typed"}))

    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert b"typed" in response.content
    page.refresh_from_db()
    assert page.description == "" and page.custom_domain is None and page.private is False


def test_a_domain_another_page_verified_is_a_field_error(client, owner, page, other_page):
    other_page.custom_domain = "status.acme.test"
    other_page.save()
    # A mere claim does not hold the domain: the one who proves it gets it.
    assert _as(client, owner).post(URL, _settings()).status_code == 302
    page.custom_domain = None
    page.save()
    other_page.domain_verified_at = timezone.now()
    other_page.save()

    response = _as(client, owner).post(URL, _settings())

    assert response.status_code == 400
    assert "already verified" in response.context["form"].errors["custom_domain"][0]


def test_the_viewer_reads_but_cannot_save(client, viewer, page):
    _as(client, viewer)

    response = client.get(URL)
    assert response.status_code == 200
    assert b"Save settings" not in response.content
    assert client.post(URL, _settings()).status_code == 403
    page.refresh_from_db()
    assert page.custom_domain is None


def test_another_org_gets_404(client, outsider, page):
    _as(client, outsider)

    assert client.get(URL).status_code == 404
    assert client.post("/dashboard/globex/pages/acme/settings/", _settings()).status_code == 404


def test_anonymous_is_sent_to_login(client, page):
    assert client.get(URL)["Location"].startswith("/dashboard/login/")


def test_the_owner_creates_a_page(client, owner, org):
    response = _as(client, owner).post(
        "/dashboard/acme/pages/new/",
        {"name": "Internal", "slug": "internal", "time_zone": "Etc/UTC"},
    )

    assert response["Location"] == "/dashboard/acme/pages/internal/components/"
    assert StatusPage.objects.get(slug="internal").org == org


def test_a_taken_slug_is_a_field_error(client, owner, page):
    response = _as(client, owner).post(
        "/dashboard/acme/pages/new/", {"name": "Again", "slug": "acme", "time_zone": "Etc/UTC"}
    )

    assert response.status_code == 400
    assert response.context["form"].errors["slug"] == ["is already taken"]
    assert StatusPage.objects.count() == 1


def test_the_viewer_cannot_create_pages(client, viewer, org):
    response = _as(client, viewer).post(
        "/dashboard/acme/pages/new/", {"name": "X", "slug": "x", "time_zone": "Etc/UTC"}
    )

    assert response.status_code == 403
    assert not StatusPage.objects.exists()
