"""Incidents (realtime ones are Upstate incidents, scheduled ones Upstate maintenance),
their updates and postmortems, in Statuspage's management API. Everything goes through the
incidents and maintenance services, so notifications, public snapshots and the audit log
follow exactly as for the dashboard and the REST API."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.http import HttpResponse
from django.utils import timezone

from upstate.incidents import services as incident_services
from upstate.incidents.models import (
    ACTIVE_STATUSES,
    Incident,
    IncidentComponent,
    IncidentStatus,
    IncidentUpdate,
    Postmortem,
    Source,
)
from upstate.lib.codes import is_code
from upstate.maintenance import services as maintenance_services
from upstate.maintenance.models import Maintenance, MaintenanceStatus, MaintenanceUpdate
from upstate.pages.models import Component, StatusPage
from upstate.statuspage import bodies, enums, serializers
from upstate.statuspage.bodies import present
from upstate.statuspage.errors import BadRequest, NotFound, Unprocessable
from upstate.statuspage.http import Call, empty, endpoint, json, paging
from upstate.statuspage.serializers import Statuses

MAX_BODY = 25_000
Target = Incident | Maintenance


def _incidents(page: StatusPage) -> QuerySet[Incident]:
    return (
        Incident.objects.filter(page=page)
        .select_related("page", "postmortem")
        .prefetch_related(
            Prefetch("affected", IncidentComponent.objects.select_related("component__group")),
            Prefetch("updates", IncidentUpdate.objects.with_changes()),
        )
    )


def _maintenances(page: StatusPage) -> QuerySet[Maintenance]:
    return (
        Maintenance.objects.filter(page=page)
        .select_related("page")
        .prefetch_related("components__group", "updates")
    )


def _target(call: Call, code: str) -> Target:
    if not is_code(code):
        raise NotFound()
    found: Target | None = _incidents(call.page).filter(code=code).first()
    found = found or _maintenances(call.page).filter(code=code).first()
    if found is None:
        raise NotFound()
    return found


def _dump(target: Target, statuses: Statuses) -> dict[str, Any]:
    if isinstance(target, Incident):
        return serializers.incident(target, statuses)
    return serializers.maintenance(target, statuses)


def _reloaded(call: Call, code: str) -> dict[str, Any]:
    return _dump(_target(call, code), Statuses(call.page))


# --- Reading the request -----------------------------------------------------------------


def _fields(call: Call) -> dict[str, Any]:
    return bodies.wrapped(bodies.read_body(call.request), "incident")


def _components(call: Call, fields: dict[str, Any]) -> dict[Component, str | None]:
    """`component_ids` and `components` ({id: status}, or a list of ids as in Statuspage's
    own form example): component -> the status to set, None where none is given."""
    ids = bodies.id_list("component_ids", fields.get("component_ids"))
    statuses: dict[str, str | None] = {}
    raw = fields.get("components")
    if isinstance(raw, list | str):
        ids += bodies.id_list("components", raw)
    elif isinstance(raw, dict):
        for code, status in raw.items():
            if present(status) and status not in enums.COMPONENT_STATUSES:
                raise Unprocessable(
                    f"components.{code}: must be one of {', '.join(enums.COMPONENT_STATUSES)}"
                )
            statuses[str(code)] = status if present(status) else None
    elif present(raw):
        raise Unprocessable("components: must be an object of component id -> status")
    wanted = list(dict.fromkeys([*ids, *statuses]))
    found = {c.code: c for c in Component.objects.filter(page=call.page, code__in=wanted)}
    for code in wanted:
        if code not in found:
            raise Unprocessable(f"component_ids: no component with id {code!r} on this page")
    return {found[code]: statuses.get(code) for code in wanted}


def _for_incident(changes: dict[Component, str | None]) -> dict[Component, str | None]:
    """A component named without a status keeps its status, as on Statuspage (in Upstate,
    one with no status would follow the incident's impact): it asserts its baseline."""
    return {c: status or c.baseline_status for c, status in changes.items()}


def _impact(fields: dict[str, Any], changes: dict[Component, str | None]) -> str | None:
    value = fields.get("impact_override")
    if present(value):
        if value not in enums.IMPACTS:
            raise Unprocessable(f"impact_override: must be one of {', '.join(enums.IMPACTS)}")
        if value == enums.MAINTENANCE_IMPACT:
            raise Unprocessable(
                "impact_override: maintenance is only for scheduled incidents in Upstate"
            )
        return str(value)
    if changes:
        return enums.impact_from_components([s for s in changes.values() if s])
    return None


def _body(fields: dict[str, Any]) -> str | None:
    # Older form-encoded clients send the text as `message`.
    value = fields.get("body") if present(fields.get("body")) else fields.get("message")
    return bodies.text("body", value, limit=MAX_BODY) if present(value) else None


def _notify(fields: dict[str, Any]) -> bool:
    return bool(bodies.boolean("deliver_notifications", fields.get("deliver_notifications"), True))


def _auto_start(fields: dict[str, Any], default: bool | None) -> bool | None:
    value = fields.get("scheduled_auto_in_progress")
    if not present(value):
        value = fields.get("scheduled_auto_transition")
    return bodies.boolean("scheduled_auto_in_progress", value, default)


def _is_scheduled(fields: dict[str, Any]) -> bool:
    status = fields.get("status")
    return status in enums.SCHEDULED_STATUSES or (
        not present(status) and present(fields.get("scheduled_for"))
    )


# --- Lists -------------------------------------------------------------------------------


def _search(
    call: Call, incidents: QuerySet[Incident], maintenances: QuerySet[Maintenance]
) -> tuple[QuerySet[Incident], QuerySet[Maintenance]]:
    """Statuspage's `q`: names, statuses, update texts and postmortems."""
    q = call.request.GET.get("q", "").strip()
    if not q:
        return incidents, maintenances
    incidents = incidents.filter(
        Q(title__icontains=q)
        | Q(status=q)
        | Q(updates__message__icontains=q)
        | Q(postmortem__summary__icontains=q)
        | Q(postmortem__root_cause__icontains=q)
    ).distinct()
    maintenances = maintenances.filter(
        Q(title__icontains=q) | Q(status=q) | Q(updates__message__icontains=q)
    ).distinct()
    return incidents, maintenances


def list_incidents(call: Call) -> HttpResponse:
    """Realtime and scheduled incidents together, newest first; `q`, `limit`, `page`."""
    offset, limit = paging(call.request, size_param="limit")
    incidents, maintenances = _search(call, _incidents(call.page), _maintenances(call.page))
    end = offset + limit
    rows: list[Target] = [
        *incidents.order_by("-created_at", "-id")[:end],
        *maintenances.order_by("-created_at", "-id")[:end],
    ]
    rows.sort(key=lambda t: (t.created_at, t.id), reverse=True)
    statuses = Statuses(call.page)
    return json([_dump(t, statuses) for t in rows[offset:end]])


def _listing(call: Call, rows: QuerySet[Any]) -> HttpResponse:
    offset, limit = paging(call.request)
    statuses = Statuses(call.page)
    return json([_dump(t, statuses) for t in rows[offset : offset + limit]])


def list_unresolved(call: Call) -> HttpResponse:
    rows = _incidents(call.page).filter(status__in=ACTIVE_STATUSES).order_by("-started_at", "-id")
    return _listing(call, rows)


def list_scheduled(call: Call) -> HttpResponse:
    rows = _maintenances(call.page).filter(status=MaintenanceStatus.SCHEDULED)
    return _listing(call, rows.order_by("starts_at", "id"))


def list_upcoming(call: Call) -> HttpResponse:
    rows = _maintenances(call.page).filter(
        status=MaintenanceStatus.SCHEDULED, starts_at__gte=timezone.now()
    )
    return _listing(call, rows.order_by("starts_at", "id"))


def list_active_maintenance(call: Call) -> HttpResponse:
    underway = [MaintenanceStatus.IN_PROGRESS, MaintenanceStatus.VERIFYING]
    rows = _maintenances(call.page).filter(status__in=underway)
    return _listing(call, rows.order_by("starts_at", "id"))


# --- Create ------------------------------------------------------------------------------


def _create_realtime(call: Call, fields: dict[str, Any]) -> Target:
    status = fields.get("status") if present(fields.get("status")) else "investigating"
    if status not in enums.REALTIME_STATUSES:
        raise Unprocessable(f"status: must be one of {', '.join(enums.REALTIME_STATUSES)}")
    changes = _components(call, fields)
    backfilled = bodies.boolean("backfilled", fields.get("backfilled"), False)
    started_at = resolved_at = None
    if backfilled:
        if changes:
            raise Unprocessable("components: cannot be given for a backfilled incident")
        started_at = bodies.moment("backfill_date", fields.get("backfill_date")) or timezone.now()
        resolved_at = started_at
    notify = _notify(fields)
    return incident_services.create_incident(
        page=call.page,
        title=bodies.text("name", fields.get("name"), limit=255),
        status=status,
        impact=_impact(fields, changes) or "none",
        components=_for_incident(changes),
        message=_body(fields) or "",
        notify=notify,
        started_at=started_at,
        resolved_at=resolved_at,
        source=Source.API,
        # deliver_notifications: false means no notification at all, responders' pages too.
        page_responders=notify,
    )


def _create_scheduled(call: Call, fields: dict[str, Any]) -> Target:
    status = fields.get("status") if present(fields.get("status")) else "scheduled"
    if status not in enums.SCHEDULED_STATUSES:
        raise Unprocessable(f"status: must be one of {', '.join(enums.SCHEDULED_STATUSES)}")
    starts_at = bodies.moment("scheduled_for", fields.get("scheduled_for"))
    ends_at = bodies.moment("scheduled_until", fields.get("scheduled_until"))
    if starts_at is None or ends_at is None:
        missing = "scheduled_for" if starts_at is None else "scheduled_until"
        raise Unprocessable(f"{missing}: is required for a scheduled incident")
    notify = _notify(fields)
    maintenance = maintenance_services.schedule_maintenance(
        page=call.page,
        title=bodies.text("name", fields.get("name"), limit=255),
        starts_at=starts_at,
        ends_at=ends_at,
        message=_body(fields) or "",
        components=list(_components(call, fields)),
        auto_start=bool(_auto_start(fields, False)),
        auto_complete=bool(
            bodies.boolean(
                "scheduled_auto_completed", fields.get("scheduled_auto_completed"), False
            )
        ),
        notify=notify,
    )
    if status != MaintenanceStatus.SCHEDULED:
        maintenance_services.post_maintenance_update(
            maintenance=maintenance, status=status, notify=notify
        )
    return maintenance


def create_incident(call: Call) -> HttpResponse:
    call.need("respond")
    fields = _fields(call)
    if not present(fields.get("name")):
        raise Unprocessable("name: can't be blank")
    if _is_scheduled(fields):
        target = _create_scheduled(call, fields)
    else:
        _realtime_only(fields)
        target = _create_realtime(call, fields)
    return json(_reloaded(call, target.code), 201)


def _realtime_only(fields: dict[str, Any]) -> None:
    for name in ("scheduled_for", "scheduled_until"):
        if present(fields.get(name)):
            raise Unprocessable(f"{name}: only a scheduled incident has a window")


# --- Update ------------------------------------------------------------------------------


def _update_realtime(call: Call, incident: Incident, fields: dict[str, Any]) -> None:
    _realtime_only(fields)
    status = fields.get("status")
    if present(status) and status not in enums.REALTIME_STATUSES:
        raise Unprocessable(
            f"status: must be one of {', '.join(enums.REALTIME_STATUSES)} for a realtime incident"
        )
    changes = _components(call, fields)
    details: dict[str, Any] = {}
    if present(fields.get("name")):
        details["title"] = bodies.text("name", fields["name"], limit=255)
    if present(fields.get("impact_override")):
        details["impact"] = _impact(fields, {})
    if details:
        incident_services.change_incident(incident=incident, **details)
    body = _body(fields)
    if present(status) or body is not None or changes:
        current = IncidentStatus(incident.status)
        fallback = IncidentStatus.RESOLVED if current == IncidentStatus.POSTMORTEM else current
        incident_services.post_update(
            incident=incident,
            status=status if present(status) else fallback,
            message=body or "",
            components=_for_incident(changes),
            notify=_notify(fields),
        )


def _update_scheduled(call: Call, maintenance: Maintenance, fields: dict[str, Any]) -> None:
    status = fields.get("status")
    if present(status) and status not in enums.SCHEDULED_STATUSES:
        raise Unprocessable(
            f"status: must be one of {', '.join(enums.SCHEDULED_STATUSES)} for a scheduled incident"
        )
    details: dict[str, Any] = {}
    if present(fields.get("name")):
        details["title"] = bodies.text("name", fields["name"], limit=255)
    for name, key in (("scheduled_for", "starts_at"), ("scheduled_until", "ends_at")):
        if present(fields.get(name)):
            details[key] = bodies.moment(name, fields[name])
    auto_start = _auto_start(fields, None)
    if auto_start is not None:
        details["auto_start"] = auto_start
    auto_complete = bodies.boolean(
        "scheduled_auto_completed", fields.get("scheduled_auto_completed"), None
    )
    if auto_complete is not None:
        details["auto_complete"] = auto_complete
    touches_components = present(fields.get("component_ids")) or present(fields.get("components"))
    components = list(_components(call, fields)) if touches_components else None
    if details or components is not None:
        maintenance_services.change_maintenance(
            maintenance=maintenance, components=components, **details
        )
    body = _body(fields)
    if present(status) or body is not None:
        maintenance_services.post_maintenance_update(
            maintenance=maintenance,
            status=status if present(status) else maintenance.status,
            message=body or "",
            notify=_notify(fields),
        )


def update_incident(call: Call, incident_id: str) -> HttpResponse:
    target = _target(call, incident_id)
    call.need("respond")
    fields = _fields(call)
    if isinstance(target, Incident):
        if fields.get("status") in enums.SCHEDULED_STATUSES:
            raise Unprocessable("status: a realtime incident cannot become a scheduled one")
        _update_realtime(call, target, fields)
    else:
        if fields.get("status") in enums.INCIDENT_STATUSES:
            raise Unprocessable("status: a scheduled incident cannot become a realtime one")
        _update_scheduled(call, target, fields)
    return json(_reloaded(call, target.code))


def get_incident(call: Call, incident_id: str) -> HttpResponse:
    return json(_reloaded(call, incident_id))


def delete_incident(call: Call, incident_id: str) -> HttpResponse:
    target = _target(call, incident_id)
    call.need("respond")
    deleted = _dump(target, Statuses(call.page))
    if isinstance(target, Incident):
        incident_services.delete_incident(incident=target)
    else:
        maintenance_services.delete_maintenance(maintenance=target)
    return json(deleted)


# --- One update --------------------------------------------------------------------------


def update_incident_update(call: Call, incident_id: str, update_id: str) -> HttpResponse:
    target = _target(call, incident_id)
    call.need("respond")
    fields = bodies.wrapped(bodies.read_body(call.request), "incident_update")
    body = bodies.text("body", fields.get("body"), limit=MAX_BODY) if "body" in fields else None
    display_at = bodies.moment("display_at", fields.get("display_at"))
    if isinstance(target, Incident):
        update = target.updates.filter(code=update_id).first() if is_code(update_id) else None
        if update is None:
            raise NotFound()
        update = incident_services.edit_update(update=update, message=body, created_at=display_at)
        target = _target(call, incident_id)
        fresh = next(u for u in target.updates.all() if u.id == update.id)
        return json(serializers.incident_update(fresh, target))
    if display_at is not None:
        raise BadRequest("display_at: is not supported for scheduled incidents by Upstate")
    m_update = target.updates.filter(code=update_id).first() if is_code(update_id) else None
    if m_update is None:
        raise NotFound()
    if body is not None:
        maintenance_services.edit_maintenance_update(update=m_update, message=body)
    m_update = MaintenanceUpdate.objects.get(id=m_update.id)
    return json(serializers.maintenance_update(m_update, target))


# --- Postmortem --------------------------------------------------------------------------


def _realtime(call: Call, incident_id: str) -> Incident:
    target = _target(call, incident_id)
    if not isinstance(target, Incident):
        raise NotFound(
            "The requested resource could not be found: scheduled incidents have no postmortem"
        )
    return target


def _postmortem_json(call: Call, incident_id: str) -> HttpResponse:
    incident = _realtime(call, incident_id)
    pm = Postmortem.objects.filter(incident=incident).first()
    return json(serializers.postmortem(pm, incident))


def get_postmortem(call: Call, incident_id: str) -> HttpResponse:
    return _postmortem_json(call, incident_id)


def write_postmortem(call: Call, incident_id: str) -> HttpResponse:
    incident = _realtime(call, incident_id)
    call.need("respond")
    fields = bodies.wrapped(bodies.read_body(call.request), "postmortem")
    draft = bodies.text("body_draft", fields.get("body_draft"), limit=MAX_BODY)
    if draft is None:
        raise Unprocessable("body_draft: is required")
    # Statuspage keeps one Markdown text; it becomes the summary, the other sections go.
    others = {n: "" for n, _ in serializers.POSTMORTEM_SECTIONS if hasattr(Postmortem, n)}
    incident_services.save_postmortem(incident=incident, summary=draft, **others)
    return _postmortem_json(call, incident_id)


def publish_postmortem(call: Call, incident_id: str) -> HttpResponse:
    incident = _realtime(call, incident_id)
    call.need("respond")
    fields = bodies.wrapped(bodies.read_body(call.request), "postmortem")
    for name in ("notify_subscribers", "notify_twitter"):
        if bodies.boolean(name, fields.get(name), False):
            raise BadRequest(
                f"{name}: is not supported: Upstate publishes postmortems without notifying"
            )
    incident_services.publish_postmortem(incident=incident)
    return _postmortem_json(call, incident_id)


def revert_postmortem(call: Call, incident_id: str) -> HttpResponse:
    incident = _realtime(call, incident_id)
    call.need("respond")
    incident_services.unpublish_postmortem(incident=incident)
    return _postmortem_json(call, incident_id)


def delete_postmortem(call: Call, incident_id: str) -> HttpResponse:
    incident = _realtime(call, incident_id)
    call.need("respond")
    if not Postmortem.objects.filter(incident=incident).exists():
        raise NotFound()
    incident_services.delete_postmortem(incident=incident)
    return empty(204)


incidents_view = endpoint(GET=list_incidents, POST=create_incident)
unresolved_view = endpoint(GET=list_unresolved)
scheduled_view = endpoint(GET=list_scheduled)
upcoming_view = endpoint(GET=list_upcoming)
active_maintenance_view = endpoint(GET=list_active_maintenance)
incident_view = endpoint(GET=get_incident, PATCH=update_incident, DELETE=delete_incident)
incident_update_view = endpoint(PATCH=update_incident_update)
postmortem_view = endpoint(GET=get_postmortem, PUT=write_postmortem, DELETE=delete_postmortem)
postmortem_publish_view = endpoint(PUT=publish_postmortem)
postmortem_revert_view = endpoint(PUT=revert_postmortem)
