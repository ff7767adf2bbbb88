"""REST API v1: incidents, their timeline and postmortems (responder keys change them)."""

# No `from __future__ import annotations` here: ninja's @paginate wrapper resolves the view's
# annotations in its own module, where string annotations naming our types cannot resolve.

from typing import Any

from django.db import transaction
from django.http import HttpRequest
from ninja import Router, Status
from ninja.pagination import paginate

from upstate.api.access import (
    Need,
    components_from_input,
    get_for_key,
    page_from_input,
    require,
    scoped,
)
from upstate.api.errors import ERROR_RESPONSES
from upstate.api.pagination import Pagination
from upstate.incidents import services
from upstate.incidents.models import (
    ACTIVE_STATUSES,
    Impact,
    Incident,
    Postmortem,
    ResponseState,
    Source,
)
from upstate.incidents.schemas import (
    SHOWN_RELATED,
    IncidentIn,
    IncidentOut,
    IncidentPatch,
    IncidentState,
    IncidentUpdateIn,
    PostmortemIn,
    PostmortemOut,
    shown_incidents,
    with_timeline,
)
from upstate.lib.errors import InvalidInput, NotFound
from upstate.pages.models import StatusPage

router = Router(tags=["incidents"])


def _incident(request: HttpRequest, incident_id: str, need: Need = Need.READ) -> Incident:
    # A change reads what it needs itself and answers with `with_timeline` (or `_reloaded`):
    # loading the whole timeline before it too doubled the cost of posting an update
    # (bench/write_storm.py).
    if need == Need.READ:
        queryset = shown_incidents()
    else:  # with what IncidentOut reads through it, for `with_timeline`
        queryset = Incident.objects.select_related(*SHOWN_RELATED)
    return get_for_key(request, queryset, incident_id, need=need)


def _reloaded(request: HttpRequest, incident: Incident) -> Incident:
    return _incident(request, incident.code)


def _component_changes(
    page: StatusPage, ids: list[str], statuses: dict[str, str | None]
) -> services.ComponentChanges:
    """`component_ids` and `components` as the services take them: component -> status."""
    changes: services.ComponentChanges = {}
    for component in components_from_input(page, ids, field="component_ids"):
        changes[component] = None
    for component in components_from_input(page, list(statuses), field="components"):
        changes[component] = statuses[component.code]
    return changes


@router.get("/incidents", response={200: list[IncidentOut], **ERROR_RESPONSES})
@paginate(Pagination)
def list_incidents(
    request: HttpRequest,
    page_id: str | None = None,
    state: IncidentState | None = None,
    response_state: ResponseState | None = None,
) -> Any:
    """Newest first. `state=active` lists open incidents, `state=resolved` closed ones;
    `response_state=triggered` the ones nobody has acknowledged yet."""
    incidents = scoped(shown_incidents(), request).order_by("-started_at", "-id")
    if page_id is not None:
        incidents = incidents.filter(page=page_from_input(request, page_id))
    if response_state is not None:
        incidents = incidents.filter(response_state=response_state)
    if state is IncidentState.ACTIVE:
        incidents = incidents.filter(status__in=ACTIVE_STATUSES)
    elif state is IncidentState.RESOLVED:
        incidents = incidents.exclude(status__in=ACTIVE_STATUSES)
    return incidents


def _page_of(request: HttpRequest, page_id: str, status_page_id: str | None) -> StatusPage:
    """`page_id` (IncidentIn takes `status_page_id` for it, as clients of other products
    send it); both may be sent when they agree."""
    if status_page_id is not None and page_id != status_page_id:
        raise InvalidInput("status_page_id", "names another page than page_id; send one of them")
    return page_from_input(request, page_id)


@router.post("/incidents", response={201: IncidentOut, **ERROR_RESPONSES})
def create_incident(request: HttpRequest, payload: IncidentIn) -> Any:
    require(request, Need.RESPOND)
    fields = payload.model_dump()
    page = _page_of(request, fields.pop("page_id"), fields.pop("status_page_id"))
    components = _component_changes(page, fields.pop("component_ids"), fields.pop("components"))
    incident = services.create_incident(
        page=page,
        components=components,
        source=Source.API,
        **{
            **fields,
            "impact": fields["impact"] or Impact.MINOR,
            "severity": fields["severity"] or "",
            "category": fields["category"] or "",
        },
    )
    return Status(201, _reloaded(request, incident))


@router.get("/incidents/{incident_id}", response={200: IncidentOut, **ERROR_RESPONSES})
def get_incident(request: HttpRequest, incident_id: str) -> Any:
    return _incident(request, incident_id)


@router.patch("/incidents/{incident_id}", response={200: IncidentOut, **ERROR_RESPONSES})
def update_incident(request: HttpRequest, incident_id: str, payload: IncidentPatch) -> Any:
    """Change details in place; a `status` (with an optional `message`) posts an update."""
    incident = _incident(request, incident_id, Need.RESPOND)
    fields = payload.model_dump(exclude_unset=True)
    status = fields.pop("status", None)
    message = fields.pop("message", None)
    notify = fields.pop("notify", True)
    if status is None and (message is not None or "notify" in payload.model_fields_set):
        field = "message" if message is not None else "notify"
        raise InvalidInput(field, "goes with a status; send one to post an update")
    with transaction.atomic():
        if fields:
            services.change_incident(incident=incident, **fields)
        if status is not None:
            services.post_update(
                incident=incident, status=status, message=message or "", notify=notify
            )
    return _reloaded(request, incident)


@router.delete("/incidents/{incident_id}", response={204: None, **ERROR_RESPONSES})
def delete_incident(request: HttpRequest, incident_id: str) -> Any:
    services.delete_incident(incident=_incident(request, incident_id, Need.RESPOND))
    return Status(204, None)


@router.post("/incidents/{incident_id}/updates", response={201: IncidentOut, **ERROR_RESPONSES})
def post_update(request: HttpRequest, incident_id: str, payload: IncidentUpdateIn) -> Any:
    """Add a timeline entry; answers with the incident as it now is."""
    incident = _incident(request, incident_id, Need.RESPOND)
    components = _component_changes(incident.page, payload.component_ids, payload.components)
    services.post_update(
        incident=incident,
        status=payload.status,
        message=payload.message,
        components=components,
        notify=payload.notify,
    )
    # The service left the caller's object as stored: only the timeline is read again.
    return Status(201, with_timeline(incident))


@router.post("/incidents/{incident_id}/acknowledge", response={200: IncidentOut, **ERROR_RESPONSES})
def acknowledge_incident(request: HttpRequest, incident_id: str) -> Any:
    """Record that a responder has taken the incident (the first call sets MTTA)."""
    incident = _incident(request, incident_id, Need.RESPOND)
    services.acknowledge_incident(incident=incident)
    return _reloaded(request, incident)


# --- Postmortems ----------------------------------------------------------------------------


def _postmortem(incident: Incident) -> Postmortem:
    postmortem = (
        Postmortem.objects.select_related("incident__page").filter(incident=incident).first()
    )
    if postmortem is None:
        raise NotFound("This incident has no postmortem yet")
    return postmortem


@router.get("/incidents/{incident_id}/postmortem", response={200: PostmortemOut, **ERROR_RESPONSES})
def get_postmortem(request: HttpRequest, incident_id: str) -> Any:
    return _postmortem(_incident(request, incident_id))


@router.put("/incidents/{incident_id}/postmortem", response={200: PostmortemOut, **ERROR_RESPONSES})
def save_postmortem(request: HttpRequest, incident_id: str, payload: PostmortemIn) -> Any:
    """Write or replace the draft (or the published text); the incident must be resolved."""
    incident = _incident(request, incident_id, Need.RESPOND)
    services.save_postmortem(incident=incident, **payload.model_dump())
    return _postmortem(incident)


@router.post(
    "/incidents/{incident_id}/postmortem/publish",
    response={200: PostmortemOut, **ERROR_RESPONSES},
)
def publish_postmortem(request: HttpRequest, incident_id: str) -> Any:
    """Publish the draft; the incident moves to `postmortem`, subscribers are not notified."""
    incident = _incident(request, incident_id, Need.RESPOND)
    services.publish_postmortem(incident=incident)
    return _postmortem(incident)
