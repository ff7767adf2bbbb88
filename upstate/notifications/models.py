"""The notification outbox: an `Event` per notifiable state change, written in the change's
own transaction, and a `Delivery` per subscriber and event, claimed and recorded by the worker.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from upstate.incidents.models import Incident, IncidentUpdate
from upstate.lib import secretbox
from upstate.lib.codes import new_code
from upstate.maintenance.models import Maintenance, MaintenanceUpdate
from upstate.orgs.models import Membership, Organization
from upstate.pages.models import StatusPage
from upstate.subscribers.models import Channel, Subscriber


class EventKind(models.TextChoices):
    INCIDENT_CREATED = "incident.created", "Incident created"
    INCIDENT_UPDATED = "incident.updated", "Incident updated"
    INCIDENT_RESOLVED = "incident.resolved", "Incident resolved"
    MAINTENANCE_SCHEDULED = "maintenance.scheduled", "Maintenance scheduled"
    MAINTENANCE_STARTED = "maintenance.started", "Maintenance started"
    MAINTENANCE_COMPLETED = "maintenance.completed", "Maintenance completed"
    # Responders paged about an incident (upstate.paging), and paged again while unacknowledged.
    PAGING_NEW = "paging.new", "Responders paged"
    PAGING_REPEAT = "paging.repeat", "Responders paged again"
    PAGING_ESCALATED = "paging.escalated", "Responders paged: severity raised"

    @property
    def is_incident(self) -> bool:
        return self.value.startswith("incident.")

    @property
    def is_paging(self) -> bool:
        return self.value.startswith("paging.")


# The pages counted in rounds (one event per incident and round); an escalation is recorded
# with the change of severity, once.
ROUND_KINDS = [EventKind.PAGING_NEW.value, EventKind.PAGING_REPEAT.value]
PAGING_KINDS = [*ROUND_KINDS, EventKind.PAGING_ESCALATED.value]


class EventState(models.TextChoices):
    PENDING = "pending", "Pending"
    FANNING_OUT = "fanning_out", "Fanning out"
    DONE = "done", "Done"
    SKIPPED = "skipped", "Skipped"


OPEN_EVENT_STATES = [EventState.PENDING.value, EventState.FANNING_OUT.value]


class Event(models.Model):
    page = models.ForeignKey(StatusPage, on_delete=models.CASCADE, related_name="+")
    code = models.CharField(max_length=12, unique=True, default=new_code, editable=False)
    kind = models.CharField(max_length=24, choices=EventKind.choices)
    state = models.CharField(max_length=12, choices=EventState.choices, default=EventState.PENDING)
    # Deleting the incident or maintenance deletes its events and their deliveries: nothing
    # is sent about what no longer exists.
    incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    incident_update = models.ForeignKey(
        IncidentUpdate, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    maintenance = models.ForeignKey(
        Maintenance, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    maintenance_update = models.ForeignKey(
        MaintenanceUpdate, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # What every channel sends, rendered once when the event fans out.
    content = models.JSONField(default=dict, blank=True)
    claim_token = models.CharField(max_length=32, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    recipients = models.PositiveIntegerField(default=0)
    # Paging: 0 for the first page, n for the n-th re-page (one event per round, see below).
    round = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    fanned_out_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # Any number of workers may try to re-page an incident: one round, one event.
            models.UniqueConstraint(
                fields=["incident", "round"],
                name="one_paging_event_per_round",
                condition=models.Q(kind__in=ROUND_KINDS),
            )
        ]
        indexes = [
            # The stale-work sweep (notifications.tasks.sweep) reads only open events.
            models.Index(
                fields=["created_at"],
                name="event_open",
                condition=models.Q(state__in=OPEN_EVENT_STATES),
            ),
            # The workers' recovery every few seconds (services.recover) looks for fan-outs
            # whose claim ran out; the heartbeat renews a live worker's by primary key.
            models.Index(
                fields=["claimed_until"],
                name="event_fanning_out",
                condition=models.Q(state=EventState.FANNING_OUT),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.code}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed, will retry"
    PERMANENT = "permanent", "Failed permanently"


OPEN_DELIVERY_STATES = [
    DeliveryStatus.PENDING.value,
    DeliveryStatus.SENDING.value,
    DeliveryStatus.FAILED.value,
]


class Delivery(models.Model):
    """One subscriber's copy of one event, or one member's page on one channel; the unique
    pairs make every retry idempotent."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    subscriber = models.ForeignKey(
        Subscriber, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    # Paging: the member paged, and the number or email address it was paged at (empty when
    # the member had none; such a delivery is recorded as failed with that reason).
    member = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    address = models.CharField(max_length=500, blank=True)
    code = models.CharField(max_length=12, unique=True, default=new_code, editable=False)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    # Which worker batch holds the row while it is SENDING, and until when (the worker's
    # heartbeat extends it while the batch lasts; see services.HeldClaims).
    claim_token = models.CharField(max_length=32, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    response = models.TextField(blank=True)  # the provider's last answer
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["event", "subscriber"], name="one_delivery_per_event"),
            models.UniqueConstraint(
                fields=["event", "member", "channel"],
                name="one_page_per_member_channel",
                condition=models.Q(member__isnull=False),
            ),
        ]
        indexes = [
            # The stale-work sweep (notifications.tasks.sweep) reads only unfinished rows.
            models.Index(
                fields=["next_attempt_at"],
                name="delivery_open",
                condition=models.Q(status__in=OPEN_DELIVERY_STATES),
            ),
            # The workers' recovery every few seconds (services.recover) looks for claims
            # that ran out: only the rows being sent are in it, none on an idle installation.
            models.Index(
                fields=["claimed_until"],
                name="delivery_sending",
                condition=models.Q(status=DeliveryStatus.SENDING),
            ),
        ]

    @property
    def target_address(self) -> str:
        """Where this copy goes: the subscriber's address, or the paged member's."""
        return self.subscriber.address if self.subscriber_id else self.address

    @property
    def recipient_label(self) -> str:
        if self.subscriber_id:
            return self.subscriber.address
        return f"{self.member.user.email} (paged)" if self.member_id else self.address


class Worker(models.Model):
    """A running worker process (`upstate worker`), alive while its heartbeat renews
    `seen_at`. One silent for the lease is presumed dead, and what it may have taken from the
    queue without claiming it yet is enqueued again (services.recover)."""

    code = models.CharField(max_length=16, unique=True)
    host = models.CharField(max_length=255, blank=True)
    pid = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField()

    class Meta:
        indexes = [
            # Every worker's recovery looks for the silent ones every few seconds.
            models.Index(fields=["seen_at"], name="worker_seen"),
        ]

    def __str__(self) -> str:
        return f"{self.host}:{self.pid} ({self.code})"


class Attempt(models.Model):
    """A failed delivery attempt (a successful one is the delivery's own `sent_at`)."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="failures")
    at = models.DateTimeField()
    permanent = models.BooleanField(default=False)
    error = models.TextField()
    response = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]


class WhatsAppVia(models.TextChoices):
    CLOUD = "cloud", "WhatsApp Cloud API (Meta)"
    TWILIO = "twilio", "Twilio"


SECRET_PURPOSE = "notification-providers"


class ProviderConfig(models.Model):
    """An organization's SMS and WhatsApp providers. Tokens are encrypted at rest (see
    upstate.lib.secretbox); read them through `secret()`."""

    org = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="providers")
    twilio_account_sid = models.CharField(max_length=64, blank=True)
    twilio_auth_token = models.TextField(blank=True)  # sealed
    twilio_sms_from = models.CharField(max_length=64, blank=True)
    twilio_whatsapp_from = models.CharField(max_length=32, blank=True)
    whatsapp_via = models.CharField(max_length=8, choices=WhatsAppVia.choices, blank=True)
    whatsapp_phone_number_id = models.CharField(max_length=32, blank=True)
    whatsapp_access_token = models.TextField(blank=True)  # sealed
    whatsapp_template = models.CharField(max_length=512, blank=True)
    whatsapp_template_language = models.CharField(max_length=16, blank=True, default="en")
    updated_at = models.DateTimeField(auto_now=True)

    def secret(self, field: str) -> str:
        return secretbox.unseal(
            getattr(self, field), secret_key=settings.SECRET_KEY, purpose=SECRET_PURPOSE
        )

    def set_secret(self, field: str, plain: str) -> None:
        setattr(
            self,
            field,
            secretbox.seal(plain, secret_key=settings.SECRET_KEY, purpose=SECRET_PURPOSE),
        )

    @property
    def has_twilio(self) -> bool:
        return bool(self.twilio_account_sid and self.twilio_auth_token)

    @property
    def sms_ready(self) -> bool:
        return self.has_twilio and bool(self.twilio_sms_from)

    @property
    def whatsapp_ready(self) -> bool:
        if self.whatsapp_via == WhatsAppVia.CLOUD:
            return bool(self.whatsapp_phone_number_id and self.whatsapp_access_token)
        if self.whatsapp_via == WhatsAppVia.TWILIO:
            return self.has_twilio and bool(self.twilio_whatsapp_from)
        return False

    @property
    def ready_channels(self) -> list[Channel]:
        """The phone channels these settings can send on."""
        ready = {Channel.SMS: self.sms_ready, Channel.WHATSAPP: self.whatsapp_ready}
        return [channel for channel, yes in ready.items() if yes]
