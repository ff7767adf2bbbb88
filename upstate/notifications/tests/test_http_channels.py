"""Webhook, Slack, Teams and Discord subscribers, as a local HTTP server received them."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from upstate.incidents.services import create_incident, post_update
from upstate.lib.outbound import Outbound, OutboundError
from upstate.notifications.models import Delivery, DeliveryStatus
from upstate.notifications.tests.helpers import subscribe


@pytest.fixture
def declare(django_capture_on_commit_callbacks, page, api_component):
    def run(**fields):
        with django_capture_on_commit_callbacks(execute=True):
            return create_incident(
                page=page,
                title="Elevated API errors",
                impact="major",
                components={api_component: None},
                message="Investigating elevated errors.",
                **fields,
            )

    return run


def verify(secret: str, header: str, body: bytes) -> bool:
    """What a receiver does, as the README documents it."""
    fields = dict(item.split("=", 1) for item in header.split(","))
    signed = f"{fields['t']}.".encode() + body
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, fields["v1"])


def test_webhooks_get_the_statuspage_payload_signed(http_receiver, page, declare, settings):
    settings.PUBLIC_URL = "https://status.acme.test"
    hook = subscribe(page, http_receiver.url("/hook"), channel="webhook")
    incident = declare()
    (request,) = http_receiver.at("/hook")
    body = request.json()
    assert set(body) == {"meta", "page", "incident"}
    assert (
        body["meta"]["unsubscribe"] == f"https://status.acme.test/p/acme/unsubscribe/{hook.token}"
    )
    assert body["page"] == {
        "id": page.code,
        "status_indicator": "major",
        "status_description": "Partial System Outage",
    }
    assert body["incident"]["id"] == incident.code
    assert body["incident"]["name"] == "Elevated API errors"
    assert body["incident"]["status"] == "investigating"
    assert body["incident"]["incident_updates"][0]["body"] == "Investigating elevated errors."
    assert body["incident"]["components"][0]["status"] == "partial_outage"
    assert request.headers["X-Upstate-Event"] == "incident.created"
    delivery = Delivery.objects.get()
    assert request.headers["X-Upstate-Delivery"] == delivery.code
    assert verify(hook.webhook_secret, request.headers["X-Upstate-Signature"], request.body)
    assert not verify("whsec_wrong", request.headers["X-Upstate-Signature"], request.body)
    assert delivery.status == DeliveryStatus.SENT and delivery.response.startswith("200")


def test_later_updates_lead_the_timeline(
    http_receiver, page, declare, django_capture_on_commit_callbacks
):
    subscribe(page, http_receiver.url("/hook"), channel="webhook")
    incident = declare()
    with django_capture_on_commit_callbacks(execute=True):
        post_update(incident=incident, status="resolved", message="All good now.")
    latest = http_receiver.at("/hook")[-1].json()["incident"]
    assert latest["status"] == "resolved"
    assert [u["status"] for u in latest["incident_updates"]] == ["resolved", "investigating"]


def test_slack_teams_and_discord_each_get_their_format(http_receiver, page, declare):
    subscribe(page, http_receiver.url("/slack"), channel="slack")
    subscribe(page, http_receiver.url("/teams"), channel="teams")
    subscribe(page, http_receiver.url("/discord"), channel="discord")
    http_receiver.answers["/discord"] = (204, "")
    incident = declare()
    slack = http_receiver.at("/slack")[0].json()
    assert slack["text"] == "New incident: Elevated API errors"
    assert any(incident.code in str(block) for block in slack["blocks"])
    teams = http_receiver.at("/teams")[0].json()
    card = teams["attachments"][0]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert card["content"]["actions"][0]["url"].endswith(f"/incidents/{incident.code}")
    discord = http_receiver.at("/discord")[0].json()
    embed = discord["embeds"][0]
    assert embed["title"] == "Elevated API errors"
    assert embed["url"].endswith(f"/incidents/{incident.code}")
    assert {"name": "Status", "value": "Investigating", "inline": True} in embed["fields"]
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SENT}


def test_a_gone_endpoint_disables_the_subscriber(http_receiver, page, declare):
    hook = subscribe(page, http_receiver.url("/gone"), channel="webhook")
    http_receiver.answers["/gone"] = (410, "gone")
    declare()
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.PERMANENT
    assert delivery.response == "410 gone"
    hook.refresh_from_db()
    assert hook.disabled_at is not None


def test_a_server_error_is_retried(http_receiver, page, declare):
    subscribe(page, http_receiver.url("/flaky"), channel="webhook")
    http_receiver.answers["/flaky"] = (503, "busy")
    declare()
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 1)


def test_private_addresses_are_refused_unless_allowed(http_receiver, page, declare, settings):
    settings.ALLOW_PRIVATE_TARGETS = False
    hook = subscribe(page, http_receiver.url("/hook"), channel="webhook")
    declare()
    assert http_receiver.requests == []
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.PERMANENT
    assert "private or loopback" in delivery.last_error
    hook.refresh_from_db()
    assert hook.disabled_at is not None


@pytest.mark.parametrize(
    "url", ["ftp://example.com/x", "http://127.0.0.1:1/", "http://[::1]/", "http://10.1.2.3/"]
)
def test_outbound_refuses_other_schemes_and_private_targets(url):
    with Outbound() as http, pytest.raises(OutboundError) as error:
        http.post(url, json={})
    assert error.value.permanent


def test_sms_subscribers_are_told_why_nothing_was_sent(page, declare):
    subscribe(page, "+14155550100", channel="sms")
    declare()
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.PERMANENT
    assert "no SMS provider is configured" in delivery.last_error
