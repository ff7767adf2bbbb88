"""What incident matching stores: each incident's indexed text and vector, the customer
conversations linked to incidents, and the keys that let outsiders ask or send."""

from __future__ import annotations

import secrets

from django.db import models

from upstate.incidents.models import Incident
from upstate.lib.codes import new_code
from upstate.maintenance.models import Maintenance
from upstate.orgs.models import Organization
from upstate.pages.models import StatusPage


class MatchDocument(models.Model):
    """The text the matcher reads for one incident (or maintenance) and its sentence vectors,
    written by the worker (tasks.index_page_task) whenever that text changes."""

    text = models.TextField()
    text_hash = models.CharField(max_length=64)
    # float32 little-endian, L2-normalised: the dot product of two is their cosine.
    vector = models.BinaryField()
    model = models.CharField(max_length=60)
    indexed_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class IncidentDocument(MatchDocument):
    incident = models.OneToOneField(
        Incident, on_delete=models.CASCADE, primary_key=True, related_name="match_document"
    )


class MaintenanceDocument(MatchDocument):
    """Maintenance while it is under way: customers ask about it too."""

    maintenance = models.OneToOneField(
        Maintenance, on_delete=models.CASCADE, primary_key=True, related_name="match_document"
    )


class Conversation(models.Model):
    """A customer's support conversation, as a helpdesk, a chatbot or a person named it."""

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    code = models.CharField(max_length=12, unique=True, default=new_code, editable=False)
    source = models.CharField(max_length=40)
    external_id = models.CharField(max_length=200)
    url = models.URLField(max_length=500, blank=True)
    customer = models.CharField(max_length=200, blank=True)
    text = models.TextField(blank=True)
    # The message's vector, kept so the dashboard can rank it against any incident later
    # without the model; empty when the conversation came without text.
    vector = models.BinaryField(blank=True, default=b"")
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["org", "source", "external_id"], name="one_conversation_per_source_id"
            )
        ]
        indexes = [models.Index(fields=["org", "-received_at"], name="conversation_recent")]


class LinkedVia(models.TextChoices):
    API = "api", "API"
    MATCH = "match", "Match request"
    WEBHOOK = "webhook", "Helpdesk webhook"
    DASHBOARD = "dashboard", "Dashboard"


class ConversationLink(models.Model):
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="links")
    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, related_name="conversation_links"
    )
    confidence = models.FloatField(null=True, blank=True)
    linked_via = models.CharField(max_length=12, choices=LinkedVia.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["conversation", "incident"], name="one_link_per_pair")
        ]


class HelpdeskHook(models.Model):
    """The organization's inbound helpdesk webhook. Its signing secret is derived from the
    installation's SECRET_KEY and this salt (see hooks.secret_for), so no secret is stored."""

    org = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="+")
    code = models.CharField(max_length=12, unique=True, default=new_code, editable=False)
    salt = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return "helpdesk webhook"


def new_public_key() -> str:
    return "pk_" + secrets.token_urlsafe(24)


class PublicMatchKey(models.Model):
    """A key meant to be seen (a chatbot or widget in a browser): it may only ask which of
    its page's public incidents a message is about."""

    PREFIX = "pk_"

    page = models.OneToOneField(StatusPage, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=64, unique=True, default=new_public_key)
    created_at = models.DateTimeField(auto_now=True)
