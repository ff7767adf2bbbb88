"""A CDN in front: cache headers it can act on, and a purge call naming what changed."""

from __future__ import annotations

import pytest

from upstate.incidents.services import create_incident
from upstate.notifications.tests.sinks import http_receiver  # noqa: F401
from upstate.public.snapshot import build_snapshot


@pytest.fixture
def purge_hook(settings, http_receiver):  # noqa: F811
    settings.CDN_PURGE_URL = http_receiver.url("/purge")
    settings.CDN_PURGE_AUTHORIZATION = "Bearer cdn-token"
    settings.PUBLIC_URL = "https://upstate.example.com"
    return http_receiver


def test_it_names_the_changed_documents_of_a_build(purge_hook, page, api_component):
    build_snapshot(page)
    purge_hook.requests.clear()

    create_incident(
        page=page, title="Checkout errors", status="investigating", impact="major",
        components={api_component: None}, message="Looking.",
    )  # fmt: skip
    build_snapshot(page)

    (call,) = purge_hook.at("/purge")
    assert call.headers["Authorization"] == "Bearer cdn-token"
    urls = call.json()["urls"]
    assert call.json()["page"] == page.code
    base = "https://upstate.example.com/p/acme/"
    assert f"{base}api/v2/summary.json" in urls
    assert f"{base}" in urls  # the page itself
    assert all(url.startswith(base) for url in urls)


def test_an_unchanged_build_purges_nothing(purge_hook, page):
    build_snapshot(page)
    purge_hook.requests.clear()

    build_snapshot(page)

    assert purge_hook.at("/purge") == []


def test_a_page_on_its_custom_domain_is_purged_there_too(purge_hook, page, prove_domain):
    from upstate.pages.services import update_page

    build_snapshot(page)
    purge_hook.requests.clear()
    update_page(page=page, custom_domain="status.acme.test")
    page = prove_domain(page)
    build_snapshot(page)

    urls = purge_hook.at("/purge")[-1].json()["urls"]
    assert "https://status.acme.test/api/v2/summary.json" in urls
    assert "https://upstate.example.com/p/acme/api/v2/summary.json" in urls


def test_a_failing_purge_never_fails_the_build(purge_hook, page):
    purge_hook.answers["/purge"] = (500, "down")

    snapshot = build_snapshot(page)

    assert snapshot.version > 0
    assert len(purge_hook.at("/purge")) == 1
