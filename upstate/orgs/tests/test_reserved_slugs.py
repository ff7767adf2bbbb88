"""Organization slugs share /dashboard/<slug>/ with the dashboard's own routes."""

from __future__ import annotations

import pytest
from django.urls import URLPattern

from upstate.dashboard import urls as dashboard_urls
from upstate.lib.errors import InvalidInput
from upstate.orgs.models import Organization
from upstate.orgs.services import RESERVED_SLUGS, create_org


@pytest.mark.parametrize("slug", ["login", "logout", "password-reset", "Login"])
def test_it_rejects_slugs_of_dashboard_routes(db, slug):
    with pytest.raises(InvalidInput) as caught:
        create_org(slug=slug, name="Sneaky")
    assert caught.value.field == "slug"
    assert "reserved" in caught.value.message
    assert not Organization.objects.exists()


def test_it_accepts_slugs_that_only_start_like_a_route(db):
    assert create_org(slug="login-team", name="Login team").slug == "login-team"


def test_every_fixed_dashboard_route_is_reserved():
    fixed = {
        str(p.pattern).split("/")[0]
        for p in dashboard_urls.urlpatterns
        if isinstance(p, URLPattern) and not str(p.pattern).startswith("<")
    }
    fixed.discard("")
    assert fixed and fixed <= RESERVED_SLUGS


def test_the_cli_names_the_field(db, capsys):
    from upstate.cli import main

    assert main(["org", "create", "logout", "--name", "Oops"]) == 2
    assert "slug" in capsys.readouterr().err
    assert not Organization.objects.exists()


def test_a_page_cannot_take_the_slug_of_the_new_page_form(org):
    from upstate.pages.models import StatusPage
    from upstate.pages.services import create_page

    with pytest.raises(InvalidInput) as caught:
        create_page(org=org, name="New", slug="new")
    assert caught.value.field == "slug"
    assert not StatusPage.objects.exists()
