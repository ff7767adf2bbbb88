"""A forged Host header decides nothing: links in emails come from UPSTATE_PUBLIC_URL, and
hosts other than the installation's own reach only the public pages of verified custom
domains. Emails travel through a real SMTP server on loopback."""

from __future__ import annotations

import re

import httpx
import pytest
from django.utils import timezone

from upstate.dashboard.tests.test_password_reset_smtp import smtp_inbox  # noqa: F401
from upstate.pages.services import create_page

PUBLIC = "https://status.upstate.example"
LINK = re.compile(r"(https?://[^/\s]+)(/dashboard/password-reset/[^/\s]+/[^/\s]+/)")


@pytest.fixture(autouse=True)
def _public_url(settings):
    settings.PUBLIC_URL = PUBLIC


def _reset_link(envelope) -> tuple[str, str]:  # noqa: ANN001
    body = envelope.content.decode()
    return LINK.search(body.replace("=\r\n", "").replace("=\n", "")).groups()


@pytest.mark.parametrize("host", ["localhost:8000", "127.0.0.1", "testserver"])
def test_the_reset_link_is_on_the_public_url_whatever_host_was_asked(
    client,
    owner,
    smtp_inbox,  # noqa: F811
    host,
):
    response = client.post(
        "/dashboard/password-reset/", {"email": "owner@acme.test"}, HTTP_HOST=host
    )

    assert response.status_code == 302
    (envelope,) = smtp_inbox.messages
    base, path = _reset_link(envelope)
    assert base == PUBLIC
    # The token in that link works on the installation.
    assert client.get(path).status_code == 302


def test_a_reset_asked_on_a_forged_host_sends_nothing(client, owner, smtp_inbox):  # noqa: F811
    response = client.post(
        "/dashboard/password-reset/", {"email": "owner@acme.test"}, HTTP_HOST="evil.example"
    )

    assert response.status_code == 404
    assert smtp_inbox.messages == []


def test_an_invitation_links_to_the_public_url(client, owner, smtp_inbox):  # noqa: F811
    client.force_login(owner.user)
    response = client.post(
        "/dashboard/acme/members/invite/",
        {"email": "new@acme.test", "role": "viewer"},
        HTTP_HOST="localhost",
    )

    assert response.status_code in (200, 302)
    (envelope,) = smtp_inbox.messages
    assert envelope.rcpt_tos == ["new@acme.test"]
    base, _ = _reset_link(envelope)
    assert base == PUBLIC


@pytest.mark.parametrize(
    "path",
    [
        "/dashboard/login/",
        "/dashboard/password-reset/",
        "/dashboard/acme/",
        "/api/v1/pages",
        "/p/acme/",
        "/p/globex/api/v2/summary.json",
    ],
)
def test_a_custom_domain_reaches_no_dashboard_api_or_other_pages(client, owner, page, path):
    create_page(org=owner.org, name="Globex", slug="globex")
    page.custom_domain = "status.acme.test"
    page.domain_verified_at = timezone.now()
    page.save()

    assert client.get(path, HTTP_HOST="status.acme.test").status_code == 404
    assert client.get(path, HTTP_HOST="unknown.example").status_code == 404


def test_every_host_answers_the_health_check_and_metrics(client, db, settings):
    assert client.get("/healthz", HTTP_HOST="10.0.0.5:8000").status_code in (200, 503)
    # Prometheus scrapes by address too; the token still guards the metrics.
    settings.METRICS_TOKEN = "metrics-token-for-the-test"
    assert client.get("/metrics", HTTP_HOST="10.0.0.5:8000").status_code == 401


# --- Redirects never lead to another host ---------------------------------------------------


@pytest.fixture
def live_page(transactional_db):
    from upstate.orgs.services import create_org

    return create_page(org=create_org(slug="acme", name="Acme Inc"), name="Acme", slug="acme")


@pytest.mark.parametrize("verified", [False, True], ids=["unknown-host", "verified-domain"])
def test_no_redirect_leads_off_the_host(live_upstate, live_page, verified):
    live_page.custom_domain = "status.customer.example"
    live_page.domain_verified_at = timezone.now() if verified else None
    live_page.save()
    from upstate.public.snapshot import build_snapshot

    build_snapshot(live_page)
    paths = ["//evil.example/", "//evil.example/incidents/", "///evil.example/", "/p/acme//x.y/"]
    for path in paths:
        for host in ["status.customer.example", "127.0.0.1"]:
            answer = httpx.get(
                f"{live_upstate}{path}", headers={"Host": host}, follow_redirects=False
            )
            location = answer.headers.get("location", "")
            assert not location.startswith("//"), (path, host, location)
            assert "://" not in location, (path, host, location)
