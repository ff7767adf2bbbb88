"""API shapes of incident matching and linked customer conversations."""

from __future__ import annotations

from typing import Annotated, Literal

from ninja import Schema
from pydantic import AfterValidator, Field, StringConstraints

from upstate.api.fields import Code, InSchema, Timestamp, _storable, _url
from upstate.awareness.matcher import Match, component_names
from upstate.awareness.models import ConversationLink, LinkedVia
from upstate.incidents.models import Impact, IncidentStatus
from upstate.maintenance.models import Maintenance, MaintenanceStatus
from upstate.public.links import incident_url, maintenance_url


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


Source = Annotated[
    str, StringConstraints(max_length=40), AfterValidator(_storable), AfterValidator(_not_blank)
]
ExternalId = Annotated[
    str, StringConstraints(max_length=200), AfterValidator(_storable), AfterValidator(_not_blank)
]
Customer = Annotated[str, StringConstraints(max_length=200), AfterValidator(_storable)]
MessageText = Annotated[str, StringConstraints(max_length=10_000), AfterValidator(_storable)]
LinkUrl = Annotated[
    str, StringConstraints(max_length=500), AfterValidator(_storable), AfterValidator(_url)
]


class ConversationRef(InSchema):
    source: Source = Field(description="Where the conversation lives, e.g. 'zendesk'")
    external_id: ExternalId = Field(description="Its id there; with source, it names it")
    url: LinkUrl = Field("", description="Where a person opens it")
    customer: Customer = Field("", description="Who wrote it (name or email)")


class ConversationIn(ConversationRef):
    text: MessageText = Field("", description="The customer's message")


class MatchIn(InSchema):
    text: Annotated[MessageText, AfterValidator(_not_blank)] = Field(
        description="The customer's message, in their words"
    )
    page_id: Code | None = Field(None, description="Only this page's incidents")
    limit: int = Field(3, ge=1, le=10, description="At most this many matches")
    link: ConversationRef | None = Field(
        None,
        description="Link this conversation to the best match when its confidence reaches "
        "link_threshold",
    )


class MatchedIncidentOut(Schema):
    kind: Literal["incident", "maintenance"] = Field(
        description="Maintenance under way is matched too; its impact is 'maintenance'"
    )
    id: str
    title: str
    status: IncidentStatus | MaintenanceStatus
    impact: Impact | Literal["maintenance"]
    public_url: str | None
    components: list[str]

    @staticmethod
    def from_match(match: Match, public: bool) -> MatchedIncidentOut:
        subject = match.subject
        if isinstance(subject, Maintenance):
            return MatchedIncidentOut(
                kind="maintenance",
                id=subject.code,
                title=subject.title,
                status=subject.status,
                impact="maintenance",
                public_url=maintenance_url(subject),
                components=component_names(subject),
            )
        return MatchedIncidentOut(
            kind="incident",
            id=subject.code,
            title=subject.title,
            status=subject.status,
            impact=subject.impact,
            public_url=incident_url(subject) if public or subject.is_public else None,
            components=component_names(subject),
        )


class MatchOut(Schema):
    incident: MatchedIncidentOut
    confidence: float = Field(description="0 to 1; matches below `threshold` are not listed")
    reason: str


class ConversationOut(Schema):
    id: str
    incident_id: str
    source: str
    external_id: str
    url: str
    customer: str
    text: str
    confidence: float | None
    linked_via: LinkedVia
    linked_at: Timestamp
    received_at: Timestamp

    @staticmethod
    def from_link(link: ConversationLink) -> ConversationOut:
        c = link.conversation
        return ConversationOut(
            id=c.code,
            incident_id=link.incident.code,
            source=c.source,
            external_id=c.external_id,
            url=c.url,
            customer=c.customer,
            text=c.text,
            confidence=link.confidence,
            linked_via=link.linked_via,
            linked_at=link.created_at,
            received_at=c.received_at,
        )


class MatchResultOut(Schema):
    matches: list[MatchOut]
    threshold: float
    link_threshold: float
    linked: ConversationOut | None = Field(
        None, description="The link made for `link`, when the best match reached link_threshold"
    )


class HookReceiptOut(Schema):
    conversation_id: str
    matches: list[MatchOut]
    linked: list[ConversationOut]


class HookSecretOut(Schema):
    hook_id: str
    secret: str = Field(description="Shown once; sign each delivery with it (docs: Matching)")
    url: str


class PublicKeyOut(Schema):
    page_id: str
    key: str
