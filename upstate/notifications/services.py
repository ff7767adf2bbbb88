"""The outbox: record an event with the state change, fan it out to deliveries in the worker,
claim and send deliveries, retry what failed, and take over what a vanished worker left.

Every step claims its rows with a conditional UPDATE whose row count says who won, so any
number of workers (or a restarted one) can run the same step and nothing is sent twice.

A claim lasts a short lease (UPSTATE_DELIVERY_LEASE), which the worker's heartbeat extends for
as long as the batch holding it runs (`HeldClaims`, `beat`): a slow send keeps its rows, while
the claims of a worker that died run out a lease after its last heartbeat and are taken over
by the next `recover`, which every worker runs a few times a lease.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import socket
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import Count, Model, Q, QuerySet
from django.utils import timezone

from upstate.audit.services import record
from upstate.incidents.models import Incident, IncidentUpdate
from upstate.lib.codes import new_code
from upstate.lib.errors import InvalidInput
from upstate.maintenance.models import Maintenance, MaintenanceStatus, MaintenanceUpdate
from upstate.notifications import provider_rules
from upstate.notifications.models import (
    OPEN_DELIVERY_STATES,
    OPEN_EVENT_STATES,
    Attempt,
    Delivery,
    DeliveryStatus,
    Event,
    EventKind,
    EventState,
    ProviderConfig,
    WhatsAppVia,
    Worker,
)
from upstate.notifications.provider_rules import SECRET_FIELDS
from upstate.notifications.transports import ClaimLost, Transport, TransportError, transport_for
from upstate.orgs.models import Organization
from upstate.pages.models import StatusPage
from upstate.public.publish import request_rebuild
from upstate.subscribers.models import Subscriber, webhook_secret

log = logging.getLogger(__name__)

# Seconds to wait before the n-th retry; after the last one a delivery fails permanently.
BACKOFF = (30, 120, 600, 1800, 3600, 3 * 3600, 6 * 3600)
MAX_ATTEMPTS = len(BACKOFF) + 1
INSERT_CHUNK = 1000
# The worker's sending threads take SQLite's write lock one at a time through this lock: a
# thread waiting here wakes as soon as it is free, where SQLite's busy handler sleeps 1, 2,
# 5, 10... ms between tries and left the threads idle.
_SQLITE_WRITER = threading.Lock()
# Heartbeats per lease: a claim outlives a few slow or failed ones (a busy database), and a
# dead worker's claims are taken over at most a fifth of a lease after they run out.
BEATS_PER_LEASE = 5
# Pending work this old is presumed lost from the queue itself (a flushed Redis, an enqueue
# that failed after its commit) and enqueued again by `sweep`; what a stopped worker had taken
# from the queue is enqueued again at once by `recover`.
QUEUE_GRACE = timedelta(minutes=2)
MAINTENANCE_KINDS = {
    MaintenanceStatus.SCHEDULED: EventKind.MAINTENANCE_SCHEDULED,
    MaintenanceStatus.IN_PROGRESS: EventKind.MAINTENANCE_STARTED,
    MaintenanceStatus.COMPLETED: EventKind.MAINTENANCE_COMPLETED,
}


def _token() -> str:
    return secrets.token_hex(16)


def _lease() -> timedelta:
    return timedelta(seconds=settings.DELIVERY_LEASE)


def beat_interval() -> float:
    """Seconds between a worker's heartbeats (and its recovery runs)."""
    return settings.DELIVERY_LEASE / BEATS_PER_LEASE


# --- Recording (inside the state change's transaction) --------------------------------------


def record_incident_event(*, update: IncidentUpdate, kind: EventKind) -> Event | None:
    """The outbox row for an incident update; none for internal incidents, for updates posted
    with notify=False (which includes postmortem publication) and for backfills."""
    incident = update.incident
    if not incident.is_public or not update.notify:
        return None
    return _record(
        Event(page_id=incident.page_id, kind=kind, incident=incident, incident_update=update)
    )


def record_maintenance_event(*, update: MaintenanceUpdate) -> Event | None:
    """Subscribers hear of a maintenance when it is posted, when it begins and when it ends."""
    kind = MAINTENANCE_KINDS.get(MaintenanceStatus(update.status))
    if kind is None:
        return None
    maintenance = update.maintenance
    return _record(
        Event(
            page_id=maintenance.page_id,
            kind=kind,
            maintenance=maintenance,
            maintenance_update=update,
        )
    )


def record_paging_event(*, incident: Incident, kind: EventKind, round: int = 0) -> Event:
    """The outbox row paging an incident's responders (see upstate.paging.services)."""
    return _record(Event(page_id=incident.page_id, kind=kind, incident=incident, round=round))


def _record(event: Event) -> Event:
    event.save()
    transaction.on_commit(lambda: _enqueue_fan_out(event.id), robust=True)
    return event


def _enqueue_fan_out(event_id: int) -> None:
    from upstate.notifications.tasks import fan_out_task

    fan_out_task(event_id)


def _enqueue_deliveries(ids: list[int], delay: float | None = None) -> None:
    from upstate.notifications.tasks import deliver_task

    size = max(1, settings.DELIVERY_BATCH)
    for start in range(0, len(ids), size):
        chunk = ids[start : start + size]
        if delay:
            deliver_task.schedule(args=(chunk,), delay=delay)
        else:
            deliver_task(chunk)


# --- Fan-out ---------------------------------------------------------------------------------


def _open_or_stale(now: datetime) -> Q:
    """Events no worker holds: not yet fanned out, or claimed by one that stopped renewing."""
    return Q(state=EventState.PENDING) | Q(state=EventState.FANNING_OUT, claimed_until__lt=now)


def claim_event(event_id: int) -> str | None:
    """Take the event for fan-out; None when another worker holds it or it is finished."""
    token, now = _token(), timezone.now()
    won = Event.objects.filter(_open_or_stale(now), id=event_id).update(
        state=EventState.FANNING_OUT, claim_token=token, claimed_until=now + _lease()
    )
    return token if won else None


def _event_components(event: Event) -> set[int]:
    if event.incident_id is not None:
        incident = Incident.objects.get(id=event.incident_id)
        return set(incident.affected.values_list("component_id", flat=True))
    maintenance = Maintenance.objects.get(id=event.maintenance_id)
    return set(maintenance.components.values_list("id", flat=True))


def recipients(event: Event) -> list[tuple[int, str]]:
    """(subscriber id, channel) of every confirmed, enabled subscriber who wants the event: the
    whole page, or a component it names (an event naming no component goes to everyone)."""
    reachable = Subscriber.objects.filter(
        page_id=event.page_id, confirmed_at__isnull=False, disabled_at__isnull=True
    )
    rows = list(reachable.values_list("id", "channel"))
    if not rows:
        return []
    links = Subscriber.components.through.objects.filter(subscriber__page_id=event.page_id)
    wanted: dict[int, set[int]] = defaultdict(set)
    for subscriber_id, component_id in links.values_list("subscriber_id", "component_id"):
        wanted[subscriber_id].add(component_id)
    if not wanted:
        return rows
    touched = _event_components(event)
    return [
        (sid, channel)
        for sid, channel in rows
        if sid not in wanted or not touched or wanted[sid] & touched
    ]


class Target(NamedTuple):
    """One delivery to write: a subscriber's copy, or a member's page on one channel."""

    channel: str
    subscriber_id: int | None = None
    member_id: int | None = None
    address: str = ""


def _plan(
    event: Event, subscribers: list[tuple[int, str]] | None
) -> tuple[dict | None, list[Target]]:
    """What the event says and whom it goes to: the `subscribers` who want it (`recipients`),
    or, for a page to responders (None), each member on each channel (upstate.paging)."""
    from upstate.notifications.content import render_event
    from upstate.paging.services import page_targets, render_page

    if subscribers is None:
        content = render_page(event)
        return content, (page_targets(event) if content is not None else [])
    content = render_event(event)
    targets = [Target(channel, subscriber_id=sid) for sid, channel in subscribers]
    return (content, targets) if content is not None else (None, [])


def _insert_deliveries(event_id: int, targets: list[Target]) -> None:
    """Write pending deliveries, skipping any that exist (a re-run after a crash). Plain SQL:
    building a model instance per row cost more than the insert itself (bench/fanout.py)."""
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    pending = DeliveryStatus.PENDING.value
    rows = [
        (event_id, t.subscriber_id, t.member_id, t.address, new_code(), t.channel, pending)
        + (0, now, "", "", "", now, now)
        for t in targets
    ]
    with transaction.atomic(), connection.cursor() as cursor:  # one commit, not one a row
        cursor.executemany(
            f"INSERT INTO {Delivery._meta.db_table} (event_id, subscriber_id, member_id,"
            " address, code, channel, status, attempts, next_attempt_at, claim_token,"
            " last_error, response, created_at, updated_at)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT DO NOTHING",
            rows,
        )


def fan_out(event_id: int) -> int:
    """Render the event once and write a pending delivery per recipient; returns how many
    deliveries were enqueued. Safe to run again: existing deliveries are kept."""
    # The plain row first: most events of a storm go to nobody, and reading the page and its
    # organization with them cost as much as the rest of their fan-out (bench/write_storm.py).
    event = Event.objects.filter(id=event_id).first()
    if event is None:
        return 0
    subscribers = None if EventKind(event.kind).is_paging else recipients(event)
    if subscribers == []:
        _close_unheard(event_id)
        return 0
    token = claim_event(event_id)
    if token is None:
        return 0
    with HELD.holding(Event, token, [event_id]):
        return _fan_out(event_id, token, subscribers)


def _close_unheard(event_id: int) -> None:
    """An event nobody subscribed to hear is done in one statement, with no claim to take,
    hold and release: during a storm of updates on a page without subscribers, those were two
    of the three writes per update in the worker (bench/write_storm.py). A claim another
    worker still holds is left to it."""
    now = timezone.now()
    Event.objects.filter(_open_or_stale(now), id=event_id).update(
        state=EventState.DONE, fanned_out_at=now, recipients=0
    )


def _fan_out(event_id: int, token: str, subscribers: list[tuple[int, str]] | None) -> int:
    event = Event.objects.select_related("page__org").get(id=event_id)
    content, targets = _plan(event, subscribers)
    if content is None:  # the incident became internal (or was acknowledged, for a re-page)
        Event.objects.filter(id=event_id, claim_token=token).update(state=EventState.SKIPPED)
        return 0
    if content:
        Event.objects.filter(id=event_id, claim_token=token).update(content=content)
    # Each chunk's deliveries are enqueued as soon as they are written, so sending starts
    # while a big fan-out is still writing rows.
    enqueued, last_id = 0, 0
    for start in range(0, len(targets), INSERT_CHUNK):
        _insert_deliveries(event_id, targets[start : start + INSERT_CHUNK])
        enqueued, last_id = _enqueue_pending(event_id, last_id, enqueued)
    Event.objects.filter(id=event_id, claim_token=token).update(
        state=EventState.DONE, fanned_out_at=timezone.now(), recipients=len(targets)
    )
    return enqueued


def _enqueue_pending(event_id: int, after_id: int, enqueued: int) -> tuple[int, int]:
    """Enqueue the event's pending deliveries above `after_id` (all of them on a re-run after a
    crash, since ids grow); returns the running count and the last id seen."""
    ids = list(
        Delivery.objects.filter(event_id=event_id, status=DeliveryStatus.PENDING, id__gt=after_id)
        .order_by("id")
        .values_list("id", flat=True)
    )
    _enqueue_deliveries(ids)
    return enqueued + len(ids), (ids[-1] if ids else after_id)


# --- Delivery --------------------------------------------------------------------------------


def claim_deliveries(ids: Iterable[int], now: datetime | None = None) -> tuple[str, int]:
    """Mark the due, unclaimed deliveries among `ids` as SENDING under a fresh token."""
    token, now, ids = _token(), now or timezone.now(), list(ids)
    if not ids:
        return token, 0
    # Plain SQL, here and in _claimed: the ORM took milliseconds a batch to prepare the ids of
    # an IN list, more than the database took to use them (bench/fanout.py).
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Delivery._meta.db_table} SET status = %s, claim_token = %s,"
            f" claimed_until = %s WHERE id IN ({_marks(ids)}) AND status IN (%s, %s)"
            " AND next_attempt_at <= %s",
            [DeliveryStatus.SENDING.value, token, adapt(now + _lease()), *ids]
            + [DeliveryStatus.PENDING.value, DeliveryStatus.FAILED.value, adapt(now)],
        )
        return token, cursor.rowcount


def _marks(values: list) -> str:
    return ", ".join(["%s"] * len(values))


class Ledger:
    """Records sends as they happen, each in a transaction of its own: a batch makes one and
    holds it for all its messages (see `sent`).

    Outside a caller's transaction (the worker's case, once per message) the transaction is
    made by hand on one DB-API cursor: Django's atomic(), a cursor per message and the ORM's
    UPDATE each cost more than the database's work (bench/fanout.py)."""

    UPDATE = (
        f"UPDATE {Delivery._meta.db_table} SET status = %s, sent_at = %s,"
        " attempts = attempts + 1, response = %s, last_error = ''"
        " WHERE id = %s AND claim_token = %s AND status = %s"
    )

    def __init__(self, token: str) -> None:
        self.token = token
        self.db = connections[DEFAULT_DB_ALIAS]
        self.sqlite = self.db.vendor == "sqlite"
        # On SQLite, IMMEDIATE: the write lock is ours from the BEGIN. On PostgreSQL the
        # commit does not wait for the WAL flush (see `sent`).
        self.begin = "BEGIN IMMEDIATE" if self.sqlite else "BEGIN"
        self.options = None if self.sqlite else "SET LOCAL synchronous_commit TO OFF"
        self.update = self.UPDATE.replace("%s", "?") if self.sqlite else self.UPDATE
        self.lock = _SQLITE_WRITER if self.sqlite else contextlib.nullcontext()
        self.adapt = self.db.ops.adapt_datetimefield_value
        self.cursor: Any = None

    def sent(
        self, delivery_id: int, response: str = "", then: Callable[[], object] | None = None
    ) -> bool:
        """Record the send; False means the claim was lost (another worker took the row over
        after our lease ran out, or the subscriber is gone) and the message must not go out.

        `then` is the sender's point of no return (email: writing the final "." of SMTP
        DATA). It runs after the row is updated and locked and before the commit, so that
        nothing blocking comes between the two: a worker killed before `then` has sent nothing
        and is rolled back, one killed after the commit has sent and recorded it. Killed in
        the microseconds between `then` and the commit leaving for the database, the message
        is sent again after the lease (with the same Message-ID); it is never lost. On
        PostgreSQL the commit does not wait for the WAL flush (`synchronous_commit` off for
        this transaction only): a crash of the database server itself can at worst cause a
        resend."""
        with self.db.wrap_database_errors:
            if self.db.in_atomic_block:  # inside a caller's transaction: a savepoint
                with transaction.atomic(using=self.db.alias):
                    return self._update(self._cursor(), delivery_id, response, then)
            with self.lock:
                cursor = self._cursor()
                cursor.execute(self.begin)
                try:
                    won = self._update(cursor, delivery_id, response, then)
                    cursor.execute("COMMIT")
                except BaseException:
                    self._rollback(cursor)
                    raise
                return won

    def _cursor(self) -> Any:
        if self.cursor is None or self.cursor.connection is not self.db.connection:
            self.db.ensure_connection()
            self.cursor = self.db.connection.cursor()
        return self.cursor

    def _rollback(self, cursor: Any) -> None:
        try:
            cursor.execute("ROLLBACK")
        except Exception:
            # Whatever state the transaction is in, it must not outlive this message (the
            # worker keeps its connections from task to task): closing rolls it back.
            self.db.close()
            raise

    def _update(
        self, cursor: Any, delivery_id: int, response: str, then: Callable[[], object] | None
    ) -> bool:
        if self.options and not self.db.in_atomic_block:
            cursor.execute(self.options)
        now = self.adapt(timezone.now())
        params = (DeliveryStatus.SENT.value, now, response[:2000], delivery_id, self.token)
        cursor.execute(self.update, (*params, DeliveryStatus.SENDING.value))
        won = cursor.rowcount == 1
        if won and then is not None:
            then()
        return won


def mark_sent(
    delivery_id: int, token: str, response: str = "", then: Callable[[], object] | None = None
) -> bool:
    """Record one send (see Ledger.sent)."""
    return Ledger(token).sent(delivery_id, response, then)


class Recipient(NamedTuple):
    """A subscriber as sending reads it."""

    id: int
    code: str
    address: str
    token: str
    disabled: bool
    disabled_reason: str
    page: StatusPage

    @property
    def webhook_secret(self) -> str:
        return webhook_secret(self.code)


class Outgoing(NamedTuple):
    """A claimed delivery as sending reads it: a tuple per row, where two model instances per
    row (the delivery and its subscriber) were a fifth of the fan-out's CPU (bench/fanout.py)."""

    id: int
    event: Event
    channel: str
    code: str
    attempts: int
    target_address: str
    subscriber: Recipient | None

    @property
    def subscriber_id(self) -> int | None:
        return None if self.subscriber is None else self.subscriber.id


def _claimed(ids: list[int], token: str) -> list[Outgoing]:
    """The deliveries among `ids` that `token` holds, in sending order."""
    with connection.cursor() as cursor:
        # id IN: by primary key, not a scan of every delivery for the claim token.
        cursor.execute(
            "SELECT d.id, d.event_id, d.channel, d.code, d.attempts, d.address, d.subscriber_id,"
            " s.code, s.address, s.token, s.disabled_at IS NOT NULL, s.disabled_reason"
            f" FROM {Delivery._meta.db_table} d LEFT JOIN {Subscriber._meta.db_table} s"
            f" ON s.id = d.subscriber_id WHERE d.id IN ({_marks(ids)}) AND d.claim_token = %s"
            " AND d.status = %s ORDER BY d.event_id, d.channel, d.id",
            [*ids, token, DeliveryStatus.SENDING.value],
        )
        rows = cursor.fetchall()
    # The few events (with their rendered content) are loaded once, not joined to every row.
    events = Event.objects.select_related("page").order_by().in_bulk({row[1] for row in rows})
    claimed = []
    for delivery_id, event_id, channel, code, attempts, address, sid, *person in rows:
        event = events[event_id]
        # The event's page is the subscriber's page; a page to a responder has no subscriber
        # and goes to the address it was made for.
        recipient = None if sid is None else Recipient(sid, *person, event.page)
        address = address if recipient is None else recipient.address
        claimed.append(Outgoing(delivery_id, event, channel, code, attempts, address, recipient))
    return claimed


def _record_failure(delivery: Outgoing, token: str, error: TransportError) -> float | None:
    """Store a failed attempt; returns the retry delay, or None when it will not be retried."""
    from upstate.subscribers.services import disable_subscriber

    now = timezone.now()
    attempts = delivery.attempts + 1
    permanent = error.permanent or attempts >= MAX_ATTEMPTS
    message = str(error)
    if not error.permanent and permanent:
        message = f"gave up after {attempts} attempts: {message}"
    delay = None if permanent else BACKOFF[attempts - 1]
    Delivery.objects.filter(id=delivery.id, claim_token=token).update(
        status=DeliveryStatus.PERMANENT if permanent else DeliveryStatus.FAILED,
        attempts=attempts,
        last_error=message[:2000],
        response=error.response[:2000],
        next_attempt_at=now + timedelta(seconds=delay or 0),
        claim_token="",
        claimed_until=None,
    )
    Attempt.objects.create(
        delivery_id=delivery.id,
        at=now,
        permanent=permanent,
        error=message[:2000],
        response=error.response[:2000],
    )
    if error.disable and delivery.subscriber_id is not None:
        disable_subscriber(subscriber_id=delivery.subscriber_id, reason=str(error))
    return delay


def _skip(delivery: Outgoing, token: str, reason: str) -> None:
    Delivery.objects.filter(id=delivery.id, claim_token=token).update(
        status=DeliveryStatus.PERMANENT, last_error=reason, claim_token="", claimed_until=None
    )


def deliver(ids: list[int]) -> int:
    """Send the given deliveries that are due and unclaimed; returns how many were sent."""
    token, won = claim_deliveries(ids)
    if not won:
        return 0
    with HELD.holding(Delivery, token, ids):
        return _send_claimed(ids, token)


def _send_claimed(ids: list[int], token: str) -> int:
    groups: dict[tuple[int, str], list[Outgoing]] = defaultdict(list)
    for delivery in _claimed(ids, token):
        groups[(delivery.event.id, delivery.channel)].append(delivery)
    ledger = Ledger(token)
    sent = 0
    retries: dict[float, list[int]] = defaultdict(list)
    for (_, channel), batch in groups.items():
        sent += _send_group(channel, batch, ledger, retries)
    for delay, retry_ids in retries.items():
        _enqueue_deliveries(retry_ids, delay=delay)
    return sent


def _send_group(
    channel: str, batch: list[Outgoing], ledger: Ledger, retries: dict[float, list[int]]
) -> int:
    transport = transport_for(channel, batch[0].event)
    token = ledger.token
    sent = 0
    try:
        for delivery in batch:
            reason = _unservable(delivery, transport)
            if reason:
                _skip(delivery, token, reason)
                continue
            committed: list[bool] = []

            def commit(
                response: str = "",
                then: Callable[[], object] | None = None,
                _d: Outgoing = delivery,
                _c: list = committed,
            ) -> bool:
                _c.append(ledger.sent(_d.id, response, then))
                return _c[-1]

            try:
                response = transport.notify(delivery, commit)
            except ClaimLost:
                continue
            except TransportError as error:
                delay = _record_failure(delivery, token, error)
                if delay is not None:
                    retries[delay].append(delivery.id)
                continue
            if not committed:
                commit(response)
            if committed[-1]:
                sent += 1
    finally:
        transport.close()
    return sent


def _unservable(delivery: Outgoing, transport: Transport) -> str:
    """Why the delivery cannot be sent at all, or "" when it can."""
    subscriber = delivery.subscriber
    if subscriber is not None and subscriber.disabled:
        return f"subscriber disabled: {subscriber.disabled_reason}"
    if transport.is_noop(delivery):
        return transport.noop_reason
    if not delivery.target_address:
        return "the responder has no phone number in their profile"
    return ""


# --- Claims, workers and recovery ------------------------------------------------------------

# What a claimed row is while its claim lasts, per model.
_CLAIMED = {Event: Q(state=EventState.FANNING_OUT), Delivery: Q(status=DeliveryStatus.SENDING)}


class HeldClaims:
    """The claims this process is working on, which its heartbeat renews (`beat`). A batch is
    held from its claim to its end, however it ends: rows an error left claimed are no longer
    renewed and are taken over like a dead worker's."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: dict[str, tuple[type[Model], list[int]]] = {}

    @contextlib.contextmanager
    def holding(self, model: type[Model], token: str, ids: list[int]) -> Iterator[None]:
        with self._lock:
            self._held[token] = (model, ids)
        try:
            yield
        finally:
            with self._lock:
                del self._held[token]

    def renew(self, until: datetime) -> int:
        """Extend the held claims to `until`; returns how many rows were extended. By primary
        key and token: a row already sent, failed or taken over is left alone."""
        with self._lock:
            held = list(self._held.items())
        renewed = 0
        for model in _CLAIMED:
            tokens = [token for token, (m, _) in held if m is model]
            ids = [i for token, (m, batch) in held if m is model for i in batch]
            if tokens:
                rows = model.objects.filter(_CLAIMED[model], id__in=ids, claim_token__in=tokens)
                renewed += rows.update(claimed_until=until)
        return renewed


HELD = HeldClaims()


def _writer() -> contextlib.AbstractContextManager:
    # On SQLite the heartbeat queues for the write lock with the sending threads (see
    # _SQLITE_WRITER) rather than in SQLite's busy handler, which could starve it.
    return _SQLITE_WRITER if connection.vendor == "sqlite" else contextlib.nullcontext()


def beat(*, worker: str) -> int:
    """The worker named `worker` is alive: say so (recording it on its first beat) and extend
    the claims this process holds by a lease. Returns how many claims were extended."""
    now = timezone.now()
    with _writer():
        if not Worker.objects.filter(code=worker).update(seen_at=now):
            # A first beat, or one after a stall longer than the lease: the others took this
            # worker for dead and took over its claims (the Ledger refuses its sends of those
            # rows). It carries on under the same name.
            Worker.objects.create(
                code=worker,
                host=socket.gethostname()[:255],
                pid=os.getpid(),
                started_at=now,
                seen_at=now,
            )
        return HELD.renew(until=now + _lease())


def retire(*, worker: str) -> None:
    """A worker that stopped cleanly, with no task in flight, leaves nothing to take over."""
    Worker.objects.filter(code=worker).delete()


def recover(now: datetime | None = None) -> dict[str, int]:
    """Take over what stopped workers left, as soon as their lease runs out: fan-outs and
    deliveries whose claims were not renewed, and, for a worker that stopped beating, what it
    may have taken from the queue without claiming it yet (every open event and delivery due
    is enqueued again: a task for work done or claimed meanwhile does nothing).

    Every worker runs this each beat (tasks.Heartbeat). With no worker stopped it is three
    reads of small indexes (`worker_seen`, and `event_fanning_out` and `delivery_sending`,
    which hold only the rows being worked on) and no write."""
    now = now or timezone.now()
    stopped = _reap_workers(now)
    events = _release_events(now)
    deliveries = _release_deliveries(now)
    released = len(deliveries)
    if stopped:
        events = sorted(set(events) | set(_open_events()))
        deliveries = _open_deliveries(now)
    for event_id in events:
        _enqueue_fan_out(event_id)
    _enqueue_deliveries(deliveries)
    if events or released:
        log.warning(
            "took over from stopped workers: %d fan-outs, %d deliveries claimed, %d enqueued",
            len(events),
            released,
            len(deliveries),
        )
    return {
        "workers": stopped,
        "events": len(events),
        "released": released,
        "deliveries": len(deliveries),
    }


def _reap_workers(now: datetime) -> int:
    silent = Worker.objects.filter(seen_at__lt=now - _lease()).order_by()
    found = list(silent.values_list("code", "host", "pid"))
    if not found:
        return 0
    # Several workers may find the same silent one: the DELETE's row count says who won.
    stopped, _ = silent.filter(code__in=[code for code, _, _ in found]).delete()
    for code, host, pid in found if stopped else []:
        log.warning("worker %s (pid %s on %s) stopped beating", code, pid, host)
    return stopped


def _release_events(now: datetime) -> list[int]:
    """Fan-outs whose claim ran out, made pending again by this call (one conditional UPDATE
    each; there are at most as many as stopped workers had threads)."""
    # No ORDER BY here and below: SQLite would read the whole table in that order rather than
    # the small partial index.
    expired = Event.objects.filter(state=EventState.FANNING_OUT, claimed_until__lt=now).order_by()
    won = []
    for event_id in expired.values_list("id", flat=True):
        if expired.filter(id=event_id).update(
            state=EventState.PENDING, claim_token="", claimed_until=None
        ):
            won.append(event_id)
    return won


def _release_deliveries(now: datetime) -> list[int]:
    """Deliveries whose claim ran out, made pending again by this call, in sending order."""
    expired = Delivery.objects.filter(
        status=DeliveryStatus.SENDING, claimed_until__lt=now
    ).order_by()
    ids = list(expired.values_list("id", flat=True))
    if not ids:
        return []
    expired.filter(id__in=ids).update(
        status=DeliveryStatus.PENDING, claim_token="", claimed_until=None, next_attempt_at=now
    )
    # The rows released here carry this call's `now`; a worker recovering at the same moment
    # released others, or none.
    mine = Delivery.objects.filter(id__in=ids, status=DeliveryStatus.PENDING, next_attempt_at=now)
    return list(mine.order_by("event_id", "channel", "id").values_list("id", flat=True))


def _open_events() -> list[int]:
    # Run once per stopped worker; state IN as well lets PostgreSQL use `event_open`.
    rows = Event.objects.filter(state__in=OPEN_EVENT_STATES, state=EventState.PENDING)
    return list(rows.order_by("id").values_list("id", flat=True))


def _open_deliveries(now: datetime) -> list[int]:
    due = Q(status=DeliveryStatus.PENDING) | Q(
        status=DeliveryStatus.FAILED, next_attempt_at__lte=now
    )
    rows = Delivery.objects.filter(due, status__in=OPEN_DELIVERY_STATES)
    return list(rows.order_by("event_id", "channel", "id").values_list("id", flat=True))


def sweep(now: datetime | None = None) -> dict[str, int]:
    """`recover`, and re-enqueue what fell out of the queue: events not fanned out, pending
    deliveries long unsent, and due retries. Run when a worker starts and once a minute."""
    now = now or timezone.now()
    counts = recover(now)
    lost = now - QUEUE_GRACE
    events = list(
        Event.objects.filter(state=EventState.PENDING, created_at__lt=lost).values_list(
            "id", flat=True
        )
    )
    for event_id in events:
        _enqueue_fan_out(event_id)
    due = list(
        Delivery.objects.filter(
            Q(status=DeliveryStatus.PENDING, next_attempt_at__lt=lost)
            | Q(status=DeliveryStatus.FAILED, next_attempt_at__lte=now)
        )
        .order_by("event_id", "channel", "id")
        .values_list("id", flat=True)
    )
    _enqueue_deliveries(due)
    counts["events"] += len(events)
    counts["deliveries"] += len(due)
    return counts


def open_deliveries(event: Event) -> int:
    return Delivery.objects.filter(event=event, status__in=OPEN_DELIVERY_STATES).count()


# --- The delivery log (dashboard and API) ---------------------------------------------------


def delivery_log() -> QuerySet[Delivery]:
    """Deliveries with what the log shows of them: event, recipient, failed attempts."""
    related = ("event__incident", "event__maintenance", "subscriber", "member__user")
    return Delivery.objects.select_related(*related).prefetch_related("failures")


def incident_notifications(incident: Incident) -> list[Event]:
    """The incident's notifications, oldest first, each with `counts`: its copies by delivery
    status."""
    events = list(Event.objects.filter(incident=incident).order_by("created_at", "id"))
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    rows = (
        Delivery.objects.filter(event__incident=incident)
        .values_list("event_id", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    for event_id, status, n in rows:
        counts[event_id][status] = n
    for event in events:
        event.counts = counts[event.id]
    return events


# --- Provider settings -----------------------------------------------------------------------


@transaction.atomic
def configure_providers(*, org: Organization, **fields: str) -> ProviderConfig:
    """Store the organization's SMS and WhatsApp providers: the fields given change, the
    others stay. An empty secret keeps the stored one; removing the Account SID (or choosing
    no WhatsApp provider) forgets the secret that went with it. Settings that break a rule of
    provider_rules raise InvalidInput and change nothing."""
    config, _ = ProviderConfig.objects.select_for_update().get_or_create(org=org)
    unknown = set(fields) - set(provider_rules.FIELDS)
    if unknown:
        raise InvalidInput(sorted(unknown)[0], "is not a provider setting")
    fields = {name: provider_rules.clean_field(name, value) for name, value in fields.items()}
    proposed = {name: getattr(config, name) for name in provider_rules.FIELDS}
    proposed.update(dict.fromkeys(SECRET_FIELDS, ""))  # stored ones count through `config`
    proposed.update(fields)
    found = provider_rules.problems(proposed, config)
    if found:
        raise InvalidInput(*found[0])
    for name, value in fields.items():
        if name in SECRET_FIELDS:
            if value:
                config.set_secret(name, value)
        else:
            setattr(config, name, value)
    if not config.twilio_account_sid:
        config.twilio_auth_token = ""
    if config.whatsapp_via != WhatsAppVia.CLOUD:
        config.whatsapp_access_token = ""
    config.save()
    changed = sorted(name for name, value in fields.items() if value)
    record(org=org.id, action="providers.changed", details={"fields": changed})
    # The public subscribe forms offer SMS and WhatsApp only with a provider to send them.
    for page_id in org.pages.values_list("id", flat=True):
        request_rebuild(page_id)
    return config
