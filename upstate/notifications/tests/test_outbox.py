"""The outbox: which state changes notify whom, exactly once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from upstate.incidents.services import (
    create_incident,
    post_update,
    publish_postmortem,
    save_postmortem,
)
from upstate.maintenance.services import post_maintenance_update, schedule_maintenance
from upstate.notifications import services
from upstate.notifications.models import (
    PAGING_KINDS,
    Delivery,
    DeliveryStatus,
    Event,
    EventKind,
    EventState,
)
from upstate.notifications.tests.helpers import subscribe


def notices():
    """Subscribers' events (declaring an incident also records a page to responders)."""
    return Event.objects.exclude(kind__in=PAGING_KINDS)


@pytest.fixture
def declare(django_capture_on_commit_callbacks, page):
    def run(**fields):
        with django_capture_on_commit_callbacks(execute=True):
            return create_incident(page=page, title="API errors", **fields)

    return run


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    def run(fn, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(**kwargs)

    return run


def test_it_emails_each_confirmed_subscriber_once(smtp_sink, page, declare):
    subscribe(page, "ann@example.com")
    subscribe(page, "bob@example.com")
    subscribe(page, "unconfirmed@example.com", confirmed=False)
    disabled = subscribe(page, "bounced@example.com")
    disabled.disabled_at = timezone.now()
    disabled.save()

    declare(message="We are looking into it.")

    assert smtp_sink.wait_for(2)
    assert sorted(m.recipients[0] for m in smtp_sink.mails) == [
        "ann@example.com",
        "bob@example.com",
    ]
    event = notices().get()
    assert (event.kind, event.state, event.recipients) == ("incident.created", "done", 2)
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SENT}


def test_running_fan_out_and_delivery_again_sends_nothing_twice(smtp_sink, page, declare):
    subscribe(page, "ann@example.com")
    declare()
    event = notices().get()
    notices().filter(id=event.id).update(state=EventState.PENDING)
    services.fan_out(event.id)
    services.deliver(list(Delivery.objects.values_list("id", flat=True)))
    services.sweep(now=timezone.now() + timedelta(hours=1))
    assert Delivery.objects.count() == 1
    assert len(smtp_sink.mails) == 1


def test_an_event_nobody_subscribed_to_is_done_without_a_claim(page, declare):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    declare()
    event = notices().get()
    assert (event.state, event.recipients, event.claim_token) == ("done", 0, "")
    # Taken again as a worker that died holding it would have left it: the stale claim is
    # closed; a claim another worker still holds is left alone.
    stale = timezone.now() - timedelta(seconds=1)
    notices().update(state=EventState.FANNING_OUT, claim_token="other", claimed_until=stale)
    with CaptureQueriesContext(connection) as queries:
        assert services.fan_out(event.id) == 0
    writes = [q["sql"] for q in queries if not q["sql"].lstrip().startswith("SELECT")]
    assert len(writes) == 1 and "UPDATE" in writes[0]
    assert notices().get().state == EventState.DONE
    held = timezone.now() + timedelta(minutes=1)
    notices().update(state=EventState.FANNING_OUT, claimed_until=held)
    services.fan_out(event.id)
    assert notices().get().state == EventState.FANNING_OUT
    assert Delivery.objects.count() == 0


def test_it_sends_nothing_for_internal_incidents(smtp_sink, page, declare, commit):
    subscribe(page, "ann@example.com")
    incident = declare(visibility="internal")
    commit(post_update, incident=incident, status="resolved", message="Fixed")
    assert notices().count() == 0
    assert smtp_sink.mails == []


def test_it_sends_nothing_when_notify_is_false(smtp_sink, page, declare, commit):
    subscribe(page, "ann@example.com")
    incident = declare(notify=False)
    commit(post_update, incident=incident, status="identified", notify=False)
    assert notices().count() == 0
    commit(post_update, incident=incident, status="resolved", message="Fixed")
    assert [e.kind for e in notices().all()] == [EventKind.INCIDENT_RESOLVED]
    assert smtp_sink.wait_for(1)


def test_publishing_a_postmortem_does_not_notify(smtp_sink, page, declare, commit):
    subscribe(page, "ann@example.com")
    incident = declare()
    commit(post_update, incident=incident, status="resolved")
    save_postmortem(incident=incident, summary="A bad deploy.")
    commit(publish_postmortem, incident=incident)
    assert [e.kind for e in notices().order_by("id")] == [
        EventKind.INCIDENT_CREATED,
        EventKind.INCIDENT_RESOLVED,
    ]
    assert len(smtp_sink.mails) == 2


def test_backfilled_incidents_notify_nobody(smtp_sink, page, declare):
    subscribe(page, "ann@example.com")
    now = timezone.now()
    declare(started_at=now - timedelta(hours=3), resolved_at=now - timedelta(hours=1))
    assert notices().count() == 0


def test_maintenance_notifies_when_posted_started_and_completed(smtp_sink, page, commit):
    subscribe(page, "ann@example.com")
    start = timezone.now() + timedelta(hours=1)
    maintenance = commit(
        schedule_maintenance,
        page=page,
        title="Database upgrade",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
    )
    for status in ("in_progress", "verifying", "completed"):
        commit(post_maintenance_update, maintenance=maintenance, status=status)
    assert [e.kind for e in notices().order_by("id")] == [
        EventKind.MAINTENANCE_SCHEDULED,
        EventKind.MAINTENANCE_STARTED,
        EventKind.MAINTENANCE_COMPLETED,
    ]
    assert smtp_sink.wait_for(3)
    subjects = [m.message["Subject"] for m in smtp_sink.mails]
    assert subjects[0] == "[Acme Status] Scheduled maintenance: Database upgrade"
    assert subjects[2] == "[Acme Status] Maintenance completed: Database upgrade"


def test_component_subscribers_hear_only_of_their_components(
    smtp_sink, page, declare, api_component, web_component
):
    subscribe(page, "api@example.com", components=[api_component])
    subscribe(page, "web@example.com", components=[web_component])
    subscribe(page, "all@example.com")
    declare(components={api_component: None})
    assert smtp_sink.wait_for(2)
    assert sorted(m.recipients[0] for m in smtp_sink.mails) == [
        "all@example.com",
        "api@example.com",
    ]


def test_the_event_is_written_in_the_state_change_transaction(page):
    subscribe(page, "ann@example.com")
    with pytest.raises(RuntimeError), transaction.atomic():
        create_incident(page=page, title="Rolled back")
        assert notices().count() == 1
        raise RuntimeError
    assert notices().count() == 0


def test_a_deleted_incident_takes_its_pending_deliveries_along(page):
    from upstate.incidents.services import delete_incident

    subscribe(page, "ann@example.com")
    incident = create_incident(page=page, title="Oops")  # on_commit never runs: stays pending
    assert notices().count() == 1
    delete_incident(incident=incident)
    assert notices().count() == 0
