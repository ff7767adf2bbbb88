"""State changes of incident awareness: conversations and their links, the helpdesk hook's
secret and the pages' public match keys."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import numpy as np
from django.db import IntegrityError, transaction

from upstate.audit.services import record
from upstate.awareness import matcher
from upstate.awareness.embedding import to_bytes
from upstate.awareness.models import (
    Conversation,
    ConversationLink,
    HelpdeskHook,
    LinkedVia,
    PublicMatchKey,
    new_public_key,
)
from upstate.incidents.models import Incident
from upstate.incidents.services import touch_incident
from upstate.lib.errors import InvalidInput
from upstate.orgs.models import Organization
from upstate.pages.models import StatusPage


@dataclass(frozen=True)
class ConversationRef:
    source: str
    external_id: str
    url: str = ""
    customer: str = ""


def _vector(text: str, query: np.ndarray | None = None) -> bytes:
    if not text.strip():
        return b""
    return to_bytes(matcher.embed_written(text) if query is None else query)


def record_conversation(
    *, org: Organization, ref: ConversationRef, text: str = "", query: np.ndarray | None = None
) -> Conversation:
    """The conversation `ref` names in this organization, created on first sight. Later calls
    fill in what was missing (url, customer, text) and never erase it. `query` is the text's
    vector as written (matcher.Query.written) when the caller has it already."""
    source, external_id = ref.source.strip(), ref.external_id.strip()
    if not source:
        raise InvalidInput("source", "must not be blank")
    if not external_id:
        raise InvalidInput("external_id", "must not be blank")
    found = Conversation.objects.filter(org=org, source=source, external_id=external_id).first()
    if found is None:
        try:
            with transaction.atomic():
                return Conversation.objects.create(
                    org=org,
                    source=source,
                    external_id=external_id,
                    url=ref.url,
                    customer=ref.customer,
                    text=text,
                    vector=_vector(text, query),
                )
        except IntegrityError:  # created a moment ago by a concurrent request
            found = Conversation.objects.get(org=org, source=source, external_id=external_id)
    changed = []
    for field, value in (("url", ref.url), ("customer", ref.customer), ("text", text)):
        if value and not getattr(found, field):
            setattr(found, field, value)
            changed.append(field)
    if "text" in changed:
        found.vector = _vector(text, query)
        changed.append("vector")
    if changed:
        found.save(update_fields=changed)
    return found


def link_conversation(
    *,
    conversation: Conversation,
    incident: Incident,
    via: str,
    confidence: float | None = None,
) -> tuple[ConversationLink, bool]:
    """Link the conversation to the incident once; returns (link, whether it is new)."""
    if conversation.org_id != incident.org_id:
        raise InvalidInput("incident_id", "no such incident")
    via = LinkedVia(via)
    try:
        with transaction.atomic():
            link, created = ConversationLink.objects.get_or_create(
                conversation=conversation,
                incident=incident,
                defaults={"linked_via": via, "confidence": confidence},
            )
    except IntegrityError:
        link, created = (
            ConversationLink.objects.get(conversation=conversation, incident=incident),
            False,
        )
    if created:
        touch_incident(incident_id=incident.id)
    return link, created


def link_best(
    *, conversation: Conversation, matches: list[matcher.Match], via: str
) -> ConversationLink | None:
    """Link the conversation to the best match when that is an incident at or above the link
    threshold (conversations are counted on incidents, not on maintenance)."""
    if not matches or matches[0].confidence < matcher.LINK_THRESHOLD:
        return None
    best = matches[0]
    if not isinstance(best.subject, Incident):
        return None
    link, _ = link_conversation(
        conversation=conversation, incident=best.subject, via=via, confidence=best.confidence
    )
    return link


def possible_conversations(
    incident: Incident, *, since_hours: int = 24, limit: int = 10
) -> list[tuple[Conversation, float]]:
    """Recent conversations of the incident's organization linked to nothing, that read like
    this incident: (conversation, confidence), best first."""
    from datetime import timedelta

    from django.utils import timezone

    from upstate.awareness.documents import passage_vectors
    from upstate.awareness.lexical import LexicalIndex
    from upstate.awareness.models import IncidentDocument

    document = IncidentDocument.objects.filter(incident=incident).first()
    if document is None:
        return []
    recent = list(
        Conversation.objects.filter(
            org_id=incident.org_id,
            links__isnull=True,
            received_at__gte=timezone.now() - timedelta(hours=since_hours),
        )
        .exclude(vector=b"")
        .order_by("-received_at")[:500]
    )
    if not recent:
        return []
    vectors = np.vstack([np.frombuffer(bytes(c.vector), dtype="<f4") for c in recent])
    # the matcher's confidence: the message as written against the whole passage (the first)
    cosines = vectors @ passage_vectors(document)[0]
    lexical = LexicalIndex([document.text])
    bm25 = np.array([lexical.scores(c.text)[0] for c in recent], dtype=np.float32)
    reports = matcher.report_probability([c.text for c in recent], vectors)
    confidences = matcher.combine(cosines, bm25, reports)
    ranked = sorted(
        ((c, float(s)) for c, s in zip(recent, confidences, strict=True)),
        key=lambda pair: -pair[1],
    )
    return [(c, round(s, 3)) for c, s in ranked if s >= matcher.POSSIBLE_THRESHOLD][:limit]


@transaction.atomic
def rotate_helpdesk_hook(*, org: Organization) -> HelpdeskHook:
    """A new signing secret for the organization's helpdesk webhook (the old one stops working)."""
    hook, _ = HelpdeskHook.objects.select_for_update().get_or_create(
        org=org, defaults={"salt": secrets.token_hex(32)}
    )
    hook.salt = secrets.token_hex(32)
    hook.save()
    record(org=org.id, action="helpdesk_hook.rotated", target=hook)
    return hook


@transaction.atomic
def rotate_public_key(*, page: StatusPage) -> PublicMatchKey:
    """A new public match key for the page (the old one stops working)."""
    key, created = PublicMatchKey.objects.select_for_update().get_or_create(page=page)
    if not created:
        key.key = new_public_key()
        key.save()
    record(org=page.org_id, action="public_match_key.rotated", target=page)
    return key
