"""REST API v1: which live incidents a customer's message is about, the conversations linked
to an incident, and the signed inbound helpdesk webhook."""

# No `from __future__ import annotations`: ninja's @paginate resolves annotations itself.

import json
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from ninja import Router, Status
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.pagination import paginate
from ninja.security import HttpBearer
from pydantic import ValidationError

from upstate.api.access import Need, get_for_key, page_from_input, require
from upstate.api.auth import ApiKeyAuth
from upstate.api.errors import ERROR_RESPONSES, Forbidden
from upstate.api.pagination import Pagination
from upstate.awareness import hooks, matcher, services
from upstate.awareness.models import ConversationLink, HelpdeskHook, LinkedVia, PublicMatchKey
from upstate.awareness.schemas import (
    ConversationIn,
    ConversationOut,
    HookReceiptOut,
    HookSecretOut,
    MatchedIncidentOut,
    MatchIn,
    MatchOut,
    MatchResultOut,
    PublicKeyOut,
)
from upstate.incidents.models import Incident
from upstate.lib.codes import is_code
from upstate.lib.errors import InvalidInput
from upstate.metrics.instruments import timed_match
from upstate.orgs.models import ApiKey
from upstate.pages.models import StatusPage

router = Router(tags=["incident awareness"])


class PublicKeyAuth(HttpBearer):
    """A page's public match key (`pk_...`): may only ask about that page's public incidents."""

    def authenticate(self, request: HttpRequest, token: str) -> PublicMatchKey | None:
        token = token.strip()
        if not token.startswith(PublicMatchKey.PREFIX) or len(token) > 64:
            return None
        return (
            PublicMatchKey.objects.select_related("page__org")
            .filter(key=token, page__private=False)
            .first()
        )


def _matches_out(matches: list[matcher.Match], public: bool) -> list[MatchOut]:
    return [
        MatchOut(
            incident=MatchedIncidentOut.from_match(m, public),
            confidence=m.confidence,
            reason=m.reason,
        )
        for m in matches
    ]


def _scope(request: HttpRequest, page_id: str | None) -> tuple[matcher.Scope, bool]:
    caller = request.auth  # type: ignore[attr-defined]
    if isinstance(caller, PublicMatchKey):
        if page_id is not None and page_id != caller.page.code:
            raise InvalidInput("page_id", f"no page with id {page_id!r}")
        return matcher.Scope(
            org_id=caller.page.org_id, page_id=caller.page_id, public_only=True
        ), True
    page = page_from_input(request, page_id) if page_id is not None else None
    return matcher.Scope(org_id=caller.org_id, page_id=page.id if page else None), False


@router.post(
    "/match",
    response={200: MatchResultOut, **ERROR_RESPONSES},
    auth=[ApiKeyAuth(), PublicKeyAuth()],
)
def match(request: HttpRequest, payload: MatchIn) -> Any:
    """The live incidents a customer's message is about, best first, with a confidence.

    Any API key asks about its organization's incidents; a page's public key (`pk_...`) only
    about that page's public ones. With `link`, the conversation is linked to the best match
    when its confidence reaches `link_threshold` (needs a responder key)."""
    scope, public = _scope(request, payload.page_id)
    if payload.link is not None:
        if public:
            raise Forbidden("A public key cannot link conversations")
        require(request, Need.RESPOND)
    with timed_match("api"):
        query = matcher.embed_query(payload.text)
        found = matcher.match(payload.text, scope, limit=payload.limit, query=query)
    linked = None
    if payload.link is not None:
        ref = services.ConversationRef(**payload.link.model_dump())
        with transaction.atomic():
            conversation = services.record_conversation(
                org=request.auth.org,
                ref=ref,
                text=payload.text,
                query=query.written,  # type: ignore[attr-defined]
            )
            link = services.link_best(conversation=conversation, matches=found, via=LinkedVia.MATCH)
        linked = ConversationOut.from_link(link) if link else None
    return MatchResultOut(
        matches=_matches_out(found, public),
        threshold=matcher.MATCH_THRESHOLD,
        link_threshold=matcher.LINK_THRESHOLD,
        linked=linked,
    )


def _incident(request: HttpRequest, incident_id: str, need: Need = Need.READ) -> Incident:
    return get_for_key(request, Incident.objects.select_related("org"), incident_id, need=need)


@router.post(
    "/incidents/{incident_id}/conversations",
    response={200: ConversationOut, 201: ConversationOut, **ERROR_RESPONSES},
)
def link_conversation(request: HttpRequest, incident_id: str, payload: ConversationIn) -> Any:
    """Link a customer conversation to the incident. Idempotent on `source` + `external_id`:
    sending it again answers 200 with the existing link."""
    incident = _incident(request, incident_id, Need.RESPOND)
    fields = payload.model_dump()
    text = fields.pop("text")
    with transaction.atomic():
        conversation = services.record_conversation(
            org=incident.org, ref=services.ConversationRef(**fields), text=text
        )
        link, created = services.link_conversation(
            conversation=conversation, incident=incident, via=LinkedVia.API
        )
    link = ConversationLink.objects.select_related("conversation", "incident").get(id=link.id)
    return Status(201 if created else 200, ConversationOut.from_link(link))


@router.get(
    "/incidents/{incident_id}/conversations",
    response={200: list[ConversationOut], **ERROR_RESPONSES},
)
@paginate(Pagination)
def list_conversations(request: HttpRequest, incident_id: str) -> Any:
    """The conversations linked to the incident, newest link first."""
    incident = _incident(request, incident_id)
    links = ConversationLink.objects.filter(incident=incident).select_related(
        "conversation", "incident"
    )
    return [ConversationOut.from_link(link) for link in links]


@router.post("/hooks/conversations/secret", response={200: HookSecretOut, **ERROR_RESPONSES})
def rotate_hook_secret(request: HttpRequest) -> Any:
    """A new signing secret for the organization's helpdesk webhook (admin keys). The previous
    secret stops working at once."""
    key: ApiKey = require(request, Need.MANAGE)
    hook = services.rotate_helpdesk_hook(org=key.org)
    url = f"{settings.PUBLIC_URL}/api/v1/hooks/conversations?hook={hook.code}"
    return HookSecretOut(hook_id=hook.code, secret=hooks.secret_for(hook), url=url)


def _hook(request: HttpRequest) -> HelpdeskHook:
    code = request.GET.get("hook", "")
    hook = (
        HelpdeskHook.objects.select_related("org").filter(code=code).first()
        if is_code(code)
        else None
    )
    if hook is None:
        raise AuthenticationError()
    try:
        hooks.verify(hook, request.headers.get(hooks.SIGNATURE_HEADER, ""), request.body)
    except hooks.SignatureError:
        raise AuthenticationError() from None
    return hook


@router.post(
    "/hooks/conversations",
    response={200: HookReceiptOut, **ERROR_RESPONSES},
    auth=None,
    openapi_extra={
        "parameters": [
            {"name": "hook", "in": "query", "required": True, "schema": {"type": "string"}},
            {
                "name": hooks.SIGNATURE_HEADER,
                "in": "header",
                "required": True,
                "schema": {"type": "string"},
                "description": "t=<unix seconds>,v1=<hex HMAC-SHA256 of '<t>.<raw body>'>",
            },
        ],
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": ConversationIn.model_json_schema()}},
        },
    },
)
def receive_conversation(request: HttpRequest) -> Any:
    """Inbound helpdesk webhook: one new conversation per delivery, signed with the
    organization's hook secret (documentation: Matching). It is matched against the live
    incidents and linked to the best one when the confidence reaches the link threshold."""
    hook = _hook(request)
    try:
        payload = ConversationIn.model_validate(json.loads(request.body or b"null"))
    except json.JSONDecodeError:
        # the same 400 that ninja answers for an unparsable body elsewhere
        raise HttpError(400, "Cannot parse request body") from None
    except ValidationError as exc:
        raise NinjaValidationError(exc.errors()) from None
    fields = payload.model_dump()
    text = fields.pop("text")
    scope = matcher.Scope(org_id=hook.org_id)
    query = matcher.embed_query(text) if text.strip() else None
    found = matcher.match(text, scope, query=query) if query is not None else []
    with transaction.atomic():
        conversation = services.record_conversation(
            org=hook.org,
            ref=services.ConversationRef(**fields),
            text=text,
            query=query.written if query is not None else None,
        )
        link = services.link_best(conversation=conversation, matches=found, via=LinkedVia.WEBHOOK)
    linked = [ConversationOut.from_link(link)] if link else []
    return HookReceiptOut(
        conversation_id=conversation.code, matches=_matches_out(found, False), linked=linked
    )


@router.post("/pages/{page_id}/match-key", response={200: PublicKeyOut, **ERROR_RESPONSES})
def rotate_public_key(request: HttpRequest, page_id: str) -> Any:
    """A new public match key for the page (admin keys): safe to put in a browser or chatbot,
    it may only ask `POST /match` about the page's public incidents."""
    page = get_for_key(request, StatusPage.objects.select_related("org"), page_id, need=Need.MANAGE)
    key = services.rotate_public_key(page=page)
    return PublicKeyOut(page_id=page.code, key=key.key)
