"""Private pages and snapshots not yet on disk go through Django, which still serves snapshot
bytes, and only to members of the page's organization."""

from __future__ import annotations

import pytest

from upstate.pages.services import update_page
from upstate.public.models import PublicSnapshot


@pytest.fixture
def private_page(page, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return update_page(page=page, private=True)


def test_it_sends_anonymous_visitors_of_a_private_page_to_sign_in(client, private_page):
    response = client.get("/p/acme/")

    assert response.status_code == 302
    assert response["Location"].startswith("/dashboard/login/?next=/p/acme/")


def test_it_shows_a_private_page_to_members(client, private_page, viewer):
    client.force_login(viewer.user)

    response = client.get("/p/acme/api/v2/status.json")

    assert response.status_code == 200
    assert response.json()["page"]["name"] == "Acme Status"
    assert response["Cache-Control"] == "private, no-cache"
    assert "Access-Control-Allow-Origin" not in response


def test_it_hides_a_private_page_from_other_organizations(client, private_page, outsider):
    client.force_login(outsider.user)

    assert client.get("/p/acme/").status_code == 404
    assert client.get("/p/acme/api/v2/status.json").status_code == 404


def test_it_builds_a_missing_snapshot_on_first_request(client, page):
    assert not PublicSnapshot.objects.filter(page_code=page.code).exists()  # never committed

    response = client.get("/p/acme/api/v2/summary.json")

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    assert PublicSnapshot.objects.filter(page_code=page.code).exists()
    etag = response["ETag"]
    assert client.get("/p/acme/api/v2/summary.json", HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_it_serves_a_page_on_its_custom_domain_through_django_too(client, page, prove_domain):
    update_page(page=page, custom_domain="status.acme.test")
    prove_domain(page)

    response = client.get("/api/v2/status.json", HTTP_HOST="status.acme.test")

    assert response.status_code == 200
    assert response.json()["page"]["name"] == "Acme Status"


def test_it_answers_404_for_unknown_pages_and_documents(client, page):
    assert client.get("/p/nobody/").status_code == 404
    assert client.get("/p/acme/no/such/thing").status_code == 404
    assert client.get("/anything", HTTP_HOST="unknown.example").status_code == 404


def test_it_sends_the_bare_root_to_the_dashboard(client, db):
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"].startswith("/dashboard/")
