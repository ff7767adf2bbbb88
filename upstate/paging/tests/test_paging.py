"""Responders paged for new incidents through the outbox, as an SMTP server and a local
Twilio / WhatsApp Cloud API server received the pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from upstate.incidents.services import acknowledge_incident, change_incident, create_incident
from upstate.notifications import services as outbox
from upstate.notifications.models import Delivery, DeliveryStatus, Event, EventKind, EventState
from upstate.notifications.services import configure_providers
from upstate.notifications.tests.helpers import subscribe
from upstate.oncall.services import set_response_targets
from upstate.orgs.models import Membership
from upstate.paging.services import create_team, escalate_due, route_category, set_phone

SID = "AC" + "ab" * 16
TOKEN = "twilio-auth-token-5678"


@pytest.fixture
def twilio(org, provider_server):
    provider_server.twilio[SID] = TOKEN
    return configure_providers(
        org=org, twilio_account_sid=SID, twilio_auth_token=TOKEN, twilio_sms_from="+15005550006"
    )


@pytest.fixture
def declare(django_capture_on_commit_callbacks, page):
    def run(**fields):
        fields.setdefault("title", "Payments failing")
        with django_capture_on_commit_callbacks(execute=True):
            return create_incident(page=page, **fields)

    return run


@pytest.fixture
def team(org, owner, responder, viewer):
    set_phone(user=owner.user, phone="+1 415 555 0101")
    set_phone(user=responder.user, phone="+14155550102")


def _member(persona) -> Membership:
    return Membership.objects.get(user=persona.user, org=persona.org)


def test_a_critical_incident_pages_responders_by_sms_and_email(
    smtp_sink, provider_server, twilio, team, declare
):
    incident = declare(severity="critical")
    assert smtp_sink.wait_for(2)
    assert sorted(m.recipients[0] for m in smtp_sink.mails) == [
        "owner@acme.test",
        "responder@acme.test",  # viewers do not respond, so they are not paged
    ]
    mail = smtp_sink.to("responder@acme.test")[0]
    assert mail.message["Subject"] == "[Critical] New incident: Payments failing"
    assert "List-Unsubscribe" not in mail.message  # a page is not a mailing
    link = f"https://status.acme.test/dashboard/acme/incidents/{incident.code}/"
    assert link in mail.part("plain")
    assert link in mail.part("html")

    texts = provider_server.accepted("twilio")
    assert sorted(t.form["To"] for t in texts) == ["+14155550101", "+14155550102"]
    assert texts[0].form["Body"].startswith("[Critical] Payments failing (Acme Status)")
    assert link in texts[0].form["Body"]
    event = Event.objects.get(kind=EventKind.PAGING_NEW)
    statuses = Delivery.objects.filter(event=event).values_list("channel", "status")
    assert sorted(statuses) == [("email", "sent")] * 2 + [("sms", "sent")] * 2


def test_whatsapp_is_used_when_the_organization_has_it(
    smtp_sink, provider_server, twilio, team, declare, org
):
    configure_providers(org=org, whatsapp_via="twilio", twilio_whatsapp_from="+14155238886")
    declare(severity="high")
    assert sorted(t.form["To"] for t in provider_server.accepted("twilio")) == [
        "whatsapp:+14155550101",
        "whatsapp:+14155550102",
    ]


def test_medium_and_low_incidents_page_by_email_only(
    smtp_sink, provider_server, twilio, team, declare
):
    declare(severity="medium")
    declare(severity="low", title="Slow exports")
    assert smtp_sink.wait_for(4)
    assert provider_server.received == []
    assert set(Delivery.objects.values_list("channel", flat=True)) == {"email"}


def test_a_responder_without_a_number_is_shown_as_not_reached(
    smtp_sink, provider_server, twilio, owner, declare
):
    declare(severity="critical")
    delivery = Delivery.objects.get(channel="sms")
    assert delivery.status == DeliveryStatus.PERMANENT
    assert delivery.last_error == "the responder has no phone number in their profile"
    assert Delivery.objects.get(channel="email").status == DeliveryStatus.SENT


def test_categories_page_their_team_only(
    smtp_sink, provider_server, twilio, team, declare, org, owner, responder
):
    payments = create_team(org=org, name="Payments", members=[_member(responder)])
    route_category(org=org, category="security", team=payments)
    declare(severity="critical", category="security")
    assert [t.form["To"] for t in provider_server.accepted("twilio")] == ["+14155550102"]
    assert [m.recipients for m in smtp_sink.mails] == [["responder@acme.test"]]

    declare(severity="critical", category="outage", title="Everything down")
    assert smtp_sink.wait_for(3)
    assert len(provider_server.accepted("twilio")) == 3  # unrouted: every responder


def test_paging_is_sent_once_however_often_the_worker_runs(
    smtp_sink, provider_server, twilio, team, declare
):
    declare(severity="critical")
    event = Event.objects.get(kind=EventKind.PAGING_NEW)
    Event.objects.filter(id=event.id).update(state=EventState.PENDING)
    outbox.fan_out(event.id)
    outbox.deliver(list(Delivery.objects.values_list("id", flat=True)))
    assert smtp_sink.count == 2
    assert len(provider_server.accepted("twilio")) == 2
    assert Delivery.objects.count() == 4


def test_internal_incidents_page_responders_but_tell_no_subscriber(smtp_sink, team, declare, page):
    subscribe(page, "customer@example.com")
    declare(severity="medium", visibility="internal")
    assert smtp_sink.wait_for(2)
    assert "customer@example.com" not in [m.recipients[0] for m in smtp_sink.mails]


def test_backfilled_incidents_page_nobody(smtp_sink, team, declare):
    started = timezone.now() - timedelta(days=2)
    declare(severity="critical", started_at=started, resolved_at=started + timedelta(hours=1))
    assert not Event.objects.filter(kind__startswith="paging.").exists()


def test_an_unacknowledged_critical_incident_pages_again_after_the_target(
    smtp_sink, provider_server, twilio, team, declare, org, django_capture_on_commit_callbacks
):
    set_response_targets(org=org, critical=15)
    declare(severity="critical")
    first = Event.objects.get(kind=EventKind.PAGING_NEW)
    assert escalate_due(first.created_at + timedelta(minutes=14)) == 0

    later = first.created_at + timedelta(minutes=16)
    with django_capture_on_commit_callbacks(execute=True):
        assert escalate_due(later) == 1
        assert escalate_due(later) == 0  # one event per round, however often the task runs
    repeat = Event.objects.get(kind=EventKind.PAGING_REPEAT)
    assert repeat.round == 1
    assert len(provider_server.accepted("twilio")) == 4
    mail = smtp_sink.mails[-1]
    assert mail.message["Subject"].startswith("[Critical] Still unacknowledged:")
    assert "Nobody has acknowledged this incident for 15 minutes" in mail.part("plain")

    with django_capture_on_commit_callbacks(execute=True):
        assert escalate_due(first.created_at + timedelta(minutes=31)) == 1
    assert Event.objects.get(kind=EventKind.PAGING_REPEAT, round=2)


def test_acknowledged_incidents_and_those_within_their_target_are_not_paged_again(
    smtp_sink, twilio, team, declare, django_capture_on_commit_callbacks
):
    acknowledged = declare(severity="critical")
    acknowledge_incident(incident=acknowledged)
    declare(severity="high", title="Slow checkout")  # one hour to acknowledge
    later = timezone.now() + timedelta(minutes=59)
    assert escalate_due(later) == 0


def test_a_repage_recorded_just_before_acknowledgement_is_not_sent(
    smtp_sink, provider_server, twilio, team, declare
):
    incident = declare(severity="critical")
    first = Event.objects.get(kind=EventKind.PAGING_NEW)
    sent = smtp_sink.count
    escalate_due(first.created_at + timedelta(hours=1))  # recorded, not yet fanned out
    acknowledge_incident(incident=incident)
    repeat = Event.objects.get(kind=EventKind.PAGING_REPEAT)
    outbox.fan_out(repeat.id)
    repeat.refresh_from_db()
    assert repeat.state == EventState.SKIPPED
    assert smtp_sink.count == sent


def test_raising_the_severity_pages_by_phone_once(
    smtp_sink, provider_server, twilio, team, declare, django_capture_on_commit_callbacks
):
    incident = declare(severity="medium")
    assert smtp_sink.wait_for(2)
    assert provider_server.accepted("twilio") == []  # medium: email only

    with django_capture_on_commit_callbacks(execute=True):
        change_incident(incident=incident, severity="critical")
    event = Event.objects.get(kind=EventKind.PAGING_ESCALATED)
    assert event.state == EventState.DONE
    texts = provider_server.accepted("twilio")
    assert sorted(t.form["To"] for t in texts) == ["+14155550101", "+14155550102"]
    assert texts[0].form["Body"].startswith("[Critical] Severity raised to Critical: ")
    assert smtp_sink.wait_for(4)
    assert smtp_sink.mails[-1].message["Subject"].startswith("[Critical] Severity raised:")

    with django_capture_on_commit_callbacks(execute=True):
        change_incident(incident=incident, severity="high")  # still a phone severity
        change_incident(incident=incident, title="Payments failing in the EU")
    assert Event.objects.filter(kind=EventKind.PAGING_ESCALATED).count() == 1
    assert len(provider_server.accepted("twilio")) == 2
