"""End to end: a change committed through the services is on the public page at the next
request, served by the real WSGI application over HTTP, without a query."""

from __future__ import annotations

import time
from wsgiref.util import setup_testing_defaults

import httpx
import pytest

from upstate.incidents.services import create_incident, delete_incident, post_update
from upstate.pages.services import create_component, create_page, delete_page, update_page
from upstate.public.models import PublicSnapshot
from upstate.public.publish import rebuild_now


@pytest.fixture
def live_page(transactional_db):
    from upstate.orgs.services import create_org

    org = create_org(slug="acme", name="Acme Inc")
    page = create_page(org=org, name="Acme Status", slug="acme", time_zone="Europe/Paris")
    create_component(page=page, name="API")
    return page


def _summary(base: str) -> dict:
    response = httpx.get(f"{base}/p/acme/api/v2/summary.json")
    assert response.status_code == 200
    return response.json()


def test_it_publishes_each_committed_change_at_the_next_request(live_upstate, live_page):
    api = live_page.components.get()
    assert _summary(live_upstate)["status"]["indicator"] == "none"

    incident = create_incident(
        page=live_page,
        title="Checkout errors",
        status="investigating",
        impact="major",
        components={api: None},
        message="We are looking into it.",
    )

    summary = _summary(live_upstate)
    assert [i["name"] for i in summary["incidents"]] == ["Checkout errors"]
    assert summary["components"][0]["status"] == "partial_outage"
    assert summary["status"]["indicator"] == "major"
    page = httpx.get(f"{live_upstate}/p/acme/")
    assert "Checkout errors" in page.text

    post_update(incident=incident, status="resolved", message="Fixed.")

    summary = _summary(live_upstate)
    assert summary["incidents"] == []
    assert summary["components"][0]["status"] == "operational"


def test_it_revalidates_with_etags_and_dates(live_upstate, live_page, monkeypatch):
    import upstate.public.snapshot as snapshots

    # A build in a second of its own: when two builds share one, dates cannot tell them apart
    # (test_fastpath covers that).
    later = time.time() + 5
    monkeypatch.setattr(snapshots.time, "time", lambda: later)
    snapshots.build_snapshot(live_page)
    monkeypatch.undo()
    url = f"{live_upstate}/p/acme/api/v2/summary.json"
    first = httpx.get(url)
    assert first.headers["Cache-Control"] == (
        "public, max-age=0, s-maxage=5, stale-while-revalidate=10, stale-if-error=86400"
    )

    same = httpx.get(url, headers={"If-None-Match": first.headers["ETag"]})
    by_date = httpx.get(url, headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert same.status_code == by_date.status_code == 304

    update_page(page=live_page, name="Acme Platform Status")

    changed = httpx.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200
    assert changed.json()["page"]["name"] == "Acme Platform Status"


def test_it_removes_deleted_incidents_and_pages_everywhere(live_upstate, live_page):
    incident = create_incident(
        page=live_page, title="Gone soon", status="investigating", impact="minor"
    )
    assert "Gone soon" in httpx.get(f"{live_upstate}/p/acme/").text

    delete_incident(incident=incident)

    assert "Gone soon" not in httpx.get(f"{live_upstate}/p/acme/").text
    assert _summary(live_upstate)["incidents"] == []
    assert httpx.get(f"{live_upstate}/p/acme/incidents/{incident.code}").status_code == 404

    delete_page(page=live_page)

    assert httpx.get(f"{live_upstate}/p/acme/").status_code == 404
    assert not PublicSnapshot.objects.filter(page_code=live_page.code).exists()


def test_it_serves_the_custom_domain_at_its_root(live_upstate, live_page, prove_domain):
    update_page(page=live_page, custom_domain="status.acme.test")
    prove_domain(live_page)

    response = httpx.get(f"{live_upstate}/api/v2/status.json", headers={"Host": "status.acme.test"})

    assert response.status_code == 200
    assert response.json()["page"]["url"] == "https://status.acme.test"
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_it_serves_public_documents_without_a_single_query(page, django_assert_num_queries):
    from upstate.wsgi import application

    rebuild_now(page.id)
    for path in ("/p/acme/", "/p/acme/api/v2/summary.json", "/p/acme/history.rss"):
        environ = {"PATH_INFO": path, "HTTP_HOST": "127.0.0.1"}
        setup_testing_defaults(environ)
        statuses: list[str] = []

        def start_response(status: str, headers: list, statuses: list[str] = statuses) -> None:
            statuses.append(status)

        with django_assert_num_queries(0):
            body = b"".join(application(environ, start_response))
        assert statuses == ["200 OK"], path
        assert body
