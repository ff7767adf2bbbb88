"""Custom domains: a page claims one, a DNS TXT record proves it, and only then is the page
served there and linked with it. The checks really query a DNS server (tests/dnsserver.py)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from upstate.api.tests.helpers import Api, field_errors
from upstate.lib.errors import InvalidInput
from upstate.pages import domains
from upstate.pages.models import StatusPage
from upstate.pages.services import update_page
from upstate.pages.tasks import check_custom_domains
from upstate.public import store
from upstate.public.links import page_url

DOMAIN = "status.acme.test"


@pytest.fixture
def api(client, owner) -> Api:
    return Api(client, owner)


@pytest.fixture(autouse=True)
def _public_url(settings):
    settings.PUBLIC_URL = "https://status.upstate.example"


@pytest.fixture(autouse=True)
def _tasks_run_at_once():
    """An enqueued check runs as soon as it is enqueued, as the worker would run it."""
    from huey.contrib.djhuey import HUEY

    was = HUEY.immediate
    HUEY.immediate = True
    yield
    HUEY.immediate = was


def _record_for(page: StatusPage) -> tuple[str, str]:
    page.refresh_from_db()
    return domains.challenge_name(page.custom_domain), domains.challenge_value(page.domain_token)


@pytest.mark.parametrize(
    "domain",
    [
        "status.upstate.example",  # the installation's own host: its dashboard and pages
        "STATUS.upstate.example.",
        "www.status.upstate.example",
        "127.0.0.1",
        "[::1]",
        "10.1.2.3",
        "localhost",
        "acme.localhost",
        "printer.local",
        "db.internal",
    ],
)
def test_it_refuses_the_installations_host_addresses_and_local_names(api, page, domain):
    response = api.patch(f"/pages/{page.code}", {"custom_domain": domain})

    assert response.status_code == 422
    assert "custom_domain" in field_errors(response)
    assert "not a valid host name" not in field_errors(response)["custom_domain"]  # the reason
    page.refresh_from_db()
    assert page.custom_domain is None


def test_the_own_host_is_refused_in_the_dashboard_too(client, owner, page):
    client.force_login(owner.user)
    response = client.post(
        "/dashboard/acme/pages/acme/settings/",
        {
            "name": "Acme",
            "slug": "acme",
            "custom_domain": "status.upstate.example",
            "accent_color": "#2563eb",
            "time_zone": "Etc/UTC",
        },
    )
    assert response.status_code == 400
    assert "own address" in response.context["form"].errors["custom_domain"][0]


def test_a_claimed_domain_is_neither_served_nor_linked_until_its_record_is_found(
    api, page, dns_server, django_capture_on_commit_callbacks, client
):
    with django_capture_on_commit_callbacks(execute=True):
        claimed = api.patch(f"/pages/{page.code}", {"custom_domain": DOMAIN}).json()
    assert claimed["custom_domain"] == DOMAIN
    verification = claimed["custom_domain_verification"]
    assert verification["record_name"] == f"_upstate-challenge.{DOMAIN}"
    assert verification["record_value"].startswith("upstate-verify=")
    assert claimed["url"] == "https://status.upstate.example/p/acme"
    # The claim was checked at once: the worker asked our DNS server, which has no record.
    page.refresh_from_db()
    assert f"_upstate-challenge.{DOMAIN}" in dns_server.queries
    assert domains.status(page) == "failed" and "no TXT record" in page.domain_check_error
    assert client.get("/", HTTP_HOST=DOMAIN).status_code == 404
    assert client.get("/api/v2/summary.json", HTTP_HOST=DOMAIN).status_code == 404
    assert store.by_host(DOMAIN) is None

    dns_server.add_txt(verification["record_name"], verification["record_value"])
    with django_capture_on_commit_callbacks(execute=True):
        checked = api.post(f"/pages/{page.code}/custom-domain/check")
    assert checked.status_code == 202
    after = api.get(f"/pages/{page.code}").json()
    assert after["custom_domain_verification"]["status"] == "verified"
    assert after["custom_domain_verification"]["checked_at"] is not None
    assert after["url"] == f"https://{DOMAIN}"
    page.refresh_from_db()
    assert page_url(page) == f"https://{DOMAIN}"
    assert store.by_host(DOMAIN) is not None
    summary = client.get("/api/v2/summary.json", HTTP_HOST=DOMAIN)
    assert summary.status_code == 200 and summary.json()["page"]["url"] == f"https://{DOMAIN}"


def test_a_record_for_another_token_proves_nothing(page, dns_server):
    update_page(page=page, custom_domain=DOMAIN)
    dns_server.add_txt(f"_upstate-challenge.{DOMAIN}", "upstate-verify=someone-elses-token")

    checked = domains.check_domain(page_id=page.id)

    assert checked.domain_verified_at is None
    assert "does not hold" in checked.domain_check_error


def test_claims_are_not_first_come_first_served(page, other_page, dns_server):
    # Globex claims Acme's domain first; Acme, who holds the DNS zone, still gets it.
    update_page(page=other_page, custom_domain=DOMAIN)
    update_page(page=page, custom_domain=DOMAIN)
    dns_server.add_txt(*_record_for(page))

    assert domains.check_domain(page_id=other_page.id).domain_verified_at is None
    assert domains.check_domain(page_id=page.id).domain_verified_at is not None
    # Globex cannot take it over either, not even with a record of its own in the zone.
    dns_server.add_txt(*_record_for(other_page))
    squatter = domains.check_domain(page_id=other_page.id)
    assert squatter.domain_verified_at is None
    assert "another status page" in squatter.domain_check_error
    with pytest.raises(InvalidInput, match="already verified"):
        update_page(
            page=StatusPage.objects.create(org=other_page.org, slug="g2", name="G2"),
            custom_domain=DOMAIN,
        )


def test_a_verified_domain_whose_record_is_gone_is_given_up_but_a_dns_outage_keeps_it(
    page, dns_server
):
    update_page(page=page, custom_domain=DOMAIN)
    dns_server.add_txt(*_record_for(page))
    assert domains.check_domain(page_id=page.id).verified_domain == DOMAIN

    dns_server.failing = True
    kept = domains.check_domain(page_id=page.id)
    assert kept.verified_domain == DOMAIN and "failed" in kept.domain_check_error

    dns_server.failing = False
    dns_server.records.clear()
    lost = domains.check_domain(page_id=page.id)
    assert lost.verified_domain is None
    assert store.by_host(DOMAIN) is None


def test_a_new_domain_starts_unverified_with_a_new_token(page, prove_domain):
    update_page(page=page, custom_domain=DOMAIN)
    proven = prove_domain(page)
    token = proven.domain_token

    update_page(page=proven, custom_domain="status.acme-two.test")
    proven.refresh_from_db()
    assert proven.domain_verified_at is None and proven.domain_token != token
    assert page_url(proven) == "https://status.upstate.example/p/acme"


def test_the_periodic_check_verifies_pending_claims_and_rechecks_verified_ones_daily(
    page, other_page, dns_server
):
    update_page(page=page, custom_domain=DOMAIN)
    update_page(page=other_page, custom_domain="status.globex.test")
    dns_server.add_txt(*_record_for(page))

    assert check_custom_domains.call_local() == 2
    page.refresh_from_db()
    other_page.refresh_from_db()
    assert page.verified_domain == DOMAIN and other_page.verified_domain is None
    # Nothing is due again right away; a day later the verified one is.
    assert domains.due_for_check() == []
    later = timezone.now() + domains.VERIFIED_EVERY + domains.PENDING_EVERY
    assert set(domains.due_for_check(now=later)) == {page.id, other_page.id}


# --- Who may ask for a check ----------------------------------------------------------------


def test_outsiders_cannot_see_or_check_a_pages_domain(client, outsider, page):
    update_page(page=page, custom_domain=DOMAIN)
    response = Api(client, outsider).post(f"/pages/{page.code}/custom-domain/check")
    assert response.status_code == 404
    client.force_login(outsider.user)
    assert client.get("/dashboard/acme/pages/acme/settings/").status_code == 404
    assert client.post("/dashboard/acme/pages/acme/settings/domain-check/").status_code == 404


def test_viewers_see_the_record_but_cannot_check(client, viewer, page, dns_server):
    update_page(page=page, custom_domain=DOMAIN)
    assert Api(client, viewer).post(f"/pages/{page.code}/custom-domain/check").status_code == 403
    client.force_login(viewer.user)
    settings_page = client.get("/dashboard/acme/pages/acme/settings/")
    name, value = _record_for(page)
    assert name in settings_page.text and value in settings_page.text
    assert "Check now" not in settings_page.text
    assert client.post("/dashboard/acme/pages/acme/settings/domain-check/").status_code == 403
    assert dns_server.queries == []


def test_check_now_in_the_dashboard(
    client, owner, page, dns_server, django_capture_on_commit_callbacks
):
    update_page(page=page, custom_domain=DOMAIN)
    dns_server.add_txt(*_record_for(page))
    client.force_login(owner.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/dashboard/acme/pages/acme/settings/domain-check/")
    assert response.status_code == 302
    shown = client.get("/dashboard/acme/pages/acme/settings/").text
    assert "Verified" in shown and "Last checked" in shown


def test_the_api_says_when_there_is_no_domain_to_check(api, page):
    response = api.post(f"/pages/{page.code}/custom-domain/check")
    assert response.status_code == 422
    assert "custom_domain" in field_errors(response)
