"""/metrics after real activity: a public document through the fast path, an API request, a
delivery through a real SMTP server, a monitor check against a local HTTP server and a match
request, read back with prometheus_client's own parser; the token rules; no tenant text."""

from __future__ import annotations

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from upstate.monitors.tests.targets import HttpTarget
from upstate.notifications.tests.sinks import smtp_sink  # noqa: F401

TOKEN = "scrape-me-0123456789"


@pytest.fixture(autouse=True)
def _tasks_inline():
    from huey.contrib.djhuey import HUEY

    was = HUEY.immediate
    HUEY.immediate = True
    yield
    HUEY.immediate = was


def scrape(base: str, token: str = TOKEN) -> dict[tuple[str, tuple], float]:
    response = httpx.get(f"{base}/metrics", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=")
    samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_a_scrape_after_real_activity(live_upstate, settings, org, owner, smtp_sink):  # noqa: F811
    from upstate.incidents.services import create_incident
    from upstate.monitors.services import check_and_record, create_monitor
    from upstate.notifications.tests.helpers import subscribe
    from upstate.pages.services import create_page
    from upstate.public.publish import rebuild_now

    settings.METRICS_TOKEN = TOKEN
    settings.ALLOW_PRIVATE_TARGETS = True
    page = create_page(org=org, name="Acme Secret Title", slug="acme")
    rebuild_now(page.id)
    before = scrape(live_upstate)

    # A public document (the fast path), an API request, a match request.
    assert httpx.get(f"{live_upstate}/p/acme/").status_code == 200
    api = httpx.Client(base_url=live_upstate, headers={"Authorization": f"Bearer {owner.key}"})
    assert api.get("/api/v1/monitors").status_code == 200
    assert api.post("/api/v1/match", json={"text": "login is broken"}).status_code == 200
    # A delivery through real SMTP.
    subscribe(page, "ann@example.com")
    create_incident(page=page, title="Checkout errors", notify=True)
    assert smtp_sink.wait_for(1)
    assert smtp_sink.to("ann@example.com")
    # A monitor check against a local HTTP server.
    target = HttpTarget().start()
    try:
        monitor = create_monitor(
            org=org, name="Web", kind="http", url=target.url(), create_incident=False
        )
        assert check_and_record(monitor).ok
    finally:
        target.stop()

    after = scrape(live_upstate)

    def grew(name: str, by: float = 1, **labels: str) -> bool:
        return value(after, name, **labels) - value(before, name, **labels) >= by

    assert grew("upstate_http_requests_total", surface="public", status="2xx")
    assert grew("upstate_http_request_duration_seconds_count", surface="public")
    assert grew("upstate_http_requests_total", by=2, surface="api", status="2xx")
    assert grew("upstate_http_request_duration_seconds_count", by=2, surface="api")
    assert grew("upstate_match_requests_total", surface="api")
    assert grew("upstate_match_duration_seconds_count", surface="api")
    assert grew("upstate_monitor_checks_total", kind="http", result="ok")
    assert grew("upstate_monitor_check_duration_seconds_count", kind="http")
    # Read from the database at scrape time.
    from upstate.notifications.models import Delivery

    sent = Delivery.objects.filter(channel="email", status="sent").count()
    assert sent >= 1
    assert value(after, "upstate_deliveries", channel="email", status="sent") == sent
    assert value(after, "upstate_monitors", status="up") == 1
    age = value(after, "upstate_public_document_age_seconds", page=page.code)
    assert page.code and 0 <= age < 3600, age
    assert ("upstate_public_served_age_seconds", (("page", page.code),)) in after
    # Pages by code, never by title; nothing of the organization's own text.
    text = httpx.get(f"{live_upstate}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).text
    assert page.code in text
    for private in ("Acme Secret Title", "Checkout errors", "ann@example.com", "Acme Inc"):
        assert private not in text


def test_worker_heartbeats_are_reported_by_age(client, settings, db):
    from datetime import timedelta

    from django.utils import timezone

    from upstate.notifications.models import Worker

    settings.METRICS_TOKEN = TOKEN
    now = timezone.now()
    Worker.objects.create(code="w-alive", host="h", pid=1, started_at=now, seen_at=now)
    old = now - timedelta(minutes=10)
    Worker.objects.create(code="w-stuck", host="h", pid=2, started_at=old, seen_at=old)
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    families = {f.name: f for f in text_string_to_metric_families(response.content.decode())}
    ages = {
        s.labels["worker"]: s.value
        for s in families["upstate_worker_heartbeat_age_seconds"].samples
    }
    assert ages["w-alive"] < 60
    assert 590 < ages["w-stuck"] < 3600


@pytest.mark.parametrize(
    ("header", "status"),
    [
        (None, 401),
        ("Bearer wrong-token", 401),
        (f"Bearer {TOKEN}x", 401),
        (f"Basic {TOKEN}", 401),
        (f"Bearer {TOKEN[:-1]}", 401),
        (f"Bearer {TOKEN}", 200),
        (f"bearer {TOKEN}", 200),
    ],
)
def test_the_token_is_required(client, settings, db, header, status):
    settings.METRICS_TOKEN = TOKEN
    extra = {"HTTP_AUTHORIZATION": header} if header is not None else {}
    response = client.get("/metrics", **extra)
    assert response.status_code == status
    if status == 401:
        assert response["WWW-Authenticate"].startswith("Bearer")
        assert b"upstate_" not in response.content


def test_without_a_token_setting_there_are_no_metrics(client, settings, db):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404
    assert client.post("/metrics").status_code in (404, 405)
