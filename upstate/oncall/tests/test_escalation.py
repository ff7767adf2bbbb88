"""Escalation of triggered incidents, every severity, as a real SMTP server and a local Twilio
API received the pages: the on-call member first (and owner), the whole team after one
response target, the next level (the team's escalation contact, else the admins) after two."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, time, timedelta

import pytest
from django.db import connections

from upstate.incidents.models import Incident
from upstate.incidents.services import acknowledge_incident, create_incident
from upstate.notifications.models import Event, EventKind
from upstate.notifications.services import configure_providers
from upstate.oncall.services import add_override, set_response_targets, set_rotation
from upstate.orgs.models import Membership
from upstate.orgs.services import add_member
from upstate.paging.services import (
    change_team,
    create_team,
    escalate_due,
    route_category,
    set_phone,
)

SID = "AC" + "cd" * 16
TOKEN = "twilio-auth-token-9999"
TARGETS = {"critical": 5, "high": 60, "medium": 240, "low": 1440}


@pytest.fixture
def twilio(org, provider_server):
    provider_server.twilio[SID] = TOKEN
    return configure_providers(
        org=org, twilio_account_sid=SID, twilio_auth_token=TOKEN, twilio_sms_from="+15005550006"
    )


@pytest.fixture
def people(org, owner, responder):
    ann = add_member(org=org, email="ann@acme.test", role="responder", password="x-horse-9")
    set_phone(user=owner.user, phone="+14155550101")
    set_phone(user=responder.user, phone="+14155550102")
    set_phone(user=ann.user, phone="+14155550103")
    return {
        "owner": Membership.objects.get(user=owner.user),
        "responder": Membership.objects.get(user=responder.user),
        "ann": ann,
    }


@pytest.fixture
def payments(org, people):
    team = create_team(org=org, name="Payments", members=[people["responder"], people["ann"]])
    route_category(org=org, category="outage", team=team)
    return team


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Run a change with its on-commit work (the outbox's fan-out and sends) done inline."""

    def call(function, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return function(*args, **kwargs)

    return call


def _first_page(incident: Incident) -> datetime:
    return Event.objects.get(incident=incident, kind=EventKind.PAGING_NEW).created_at


def _emails(smtp_sink, start: int) -> list[tuple[str, str]]:
    return sorted((m.recipients[0], m.message["Subject"]) for m in smtp_sink.mails[start:])


@pytest.mark.parametrize("severity", ["high", "medium", "low", ""])
def test_every_severity_escalates_to_the_team_then_the_admins(
    smtp_sink, payments, page, run, severity
):
    incident = run(
        create_incident, page=page, title="Refunds stuck", severity=severity, category="outage"
    )
    assert smtp_sink.wait_for(2)
    first, target = _first_page(incident), timedelta(minutes=TARGETS[severity or "medium"])

    assert run(escalate_due, first + target - timedelta(seconds=1)) == 0
    assert run(escalate_due, first + target) == 1
    assert smtp_sink.wait_for(4)
    label = severity.capitalize() if severity else "Unrated"
    assert _emails(smtp_sink, 2) == [
        ("ann@acme.test", f"[{label}] Still unacknowledged: Refunds stuck"),
        ("responder@acme.test", f"[{label}] Still unacknowledged: Refunds stuck"),
    ]

    assert run(escalate_due, first + 2 * target) == 1
    assert smtp_sink.wait_for(5)
    # No escalation contact: the organization's admins and owners (here the owner).
    assert _emails(smtp_sink, 4) == [
        ("owner@acme.test", f"[{label}] Escalated to you: Refunds stuck"),
    ]
    mail = smtp_sink.mails[4]
    minutes = int(2 * target.total_seconds() // 60)
    assert f"nobody on the team has acknowledged this incident for {minutes} minutes" in (
        mail.part("plain")
    )


def test_a_team_escalation_contact_is_the_next_level(smtp_sink, payments, page, people, run, org):
    change_team(team=payments, escalation_contact=people["owner"])
    add_member(org=org, email="admin@acme.test", role="admin", password="x-horse-9")
    incident = run(create_incident, page=page, title="Slow", severity="medium", category="outage")
    first = _first_page(incident)
    run(escalate_due, first + timedelta(hours=4))
    sent = smtp_sink.count
    run(escalate_due, first + timedelta(hours=8))
    assert smtp_sink.wait_for(sent + 1)
    assert [m.recipients[0] for m in smtp_sink.mails[sent:]] == ["owner@acme.test"]


def test_the_organization_targets_decide_when(smtp_sink, payments, page, run, org):
    set_response_targets(org=org, low=30)
    incident = run(create_incident, page=page, title="Typo", severity="low", category="outage")
    first = _first_page(incident)
    assert run(escalate_due, first + timedelta(minutes=29)) == 0
    assert run(escalate_due, first + timedelta(minutes=30)) == 1


def test_the_on_call_member_is_paged_first_and_owns_the_incident(
    smtp_sink, provider_server, twilio, payments, page, people, run
):
    today = datetime.now(UTC).date()
    set_rotation(
        team=payments,
        members=[people["ann"], people["responder"]],
        handover_time=time(0, 0),
        time_zone="UTC",
        period="weekly",
        starts_on=today - timedelta(days=today.weekday()),  # ann's week
    )
    incident = run(
        create_incident, page=page, title="Checkout down", severity="critical", category="outage"
    )
    incident.refresh_from_db()
    assert incident.owner == people["ann"].user
    assert incident.response_state == "triggered"  # owning is not acknowledging
    assert smtp_sink.wait_for(1)
    assert [m.recipients[0] for m in smtp_sink.mails] == ["ann@acme.test"]
    assert [t.form["To"] for t in provider_server.accepted("twilio")] == ["+14155550103"]

    first = _first_page(incident)
    run(escalate_due, first + timedelta(minutes=5))  # critical: 5 minutes
    texts = [t.form["To"] for t in provider_server.accepted("twilio")][1:]
    assert sorted(texts) == ["+14155550102", "+14155550103"]  # the whole team

    run(escalate_due, first + timedelta(minutes=10))
    texts = [t.form["To"] for t in provider_server.accepted("twilio")][3:]
    assert sorted(texts) == ["+14155550101", "+14155550103"]  # on call again, and the owner
    assert (
        provider_server.accepted("twilio")[-1]
        .form["Body"]
        .startswith("[Critical] Escalated, unacknowledged for 10 min: Checkout down")
    )


def test_an_override_is_paged_instead(smtp_sink, payments, page, people, run):
    today = datetime.now(UTC).date()
    rotation = set_rotation(
        team=payments,
        members=[people["ann"]],
        handover_time=time(0, 0),
        time_zone="Europe/Berlin",
        period="daily",
        starts_on=today - timedelta(days=3),
    )
    now = datetime.now(UTC)
    add_override(
        rotation=rotation,
        member=people["responder"],
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=1),
    )
    incident = run(create_incident, page=page, title="Down", severity="medium", category="outage")
    assert Incident.objects.get(id=incident.id).owner == people["responder"].user
    assert smtp_sink.wait_for(1)
    assert [m.recipients[0] for m in smtp_sink.mails] == ["responder@acme.test"]


def test_acknowledged_incidents_are_not_escalated(smtp_sink, payments, page, run, owner):
    declared = run(
        create_incident,
        page=page,
        title="A",
        severity="low",
        category="outage",
        acknowledge=True,
        author=owner.user,
    )
    later = run(create_incident, page=page, title="B", severity="low", category="outage")
    run(acknowledge_incident, incident=later)
    assert Incident.objects.get(id=declared.id).owner == owner.user  # not the on-call member
    assert run(escalate_due, datetime.now(UTC) + timedelta(days=3)) == 0


def test_several_workers_record_each_round_once(transactional_db, smtp_sink, payments, page):
    incident = create_incident(page=page, title="Down", severity="high", category="outage")
    due = _first_page(incident) + timedelta(hours=1)
    counts: list[int] = []
    barrier = threading.Barrier(3)

    def worker() -> None:
        try:
            barrier.wait()
            counts.append(escalate_due(due))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sum(counts) == 1
    assert Event.objects.filter(incident=incident, kind=EventKind.PAGING_REPEAT).count() == 1
