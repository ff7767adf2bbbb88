"""API shapes of incidents, their updates and postmortems."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any

from django.db.models import Prefetch, QuerySet, prefetch_related_objects
from ninja import Schema
from pydantic import BaseModel, ConfigDict, Field, model_validator

from upstate.api.fields import (
    MAX_ITEMS,
    Code,
    InSchema,
    Line,
    Moment,
    PatchSchema,
    Text,
    Timestamp,
)
from upstate.incidents.models import (
    Category,
    Impact,
    Incident,
    IncidentComponent,
    IncidentStatus,
    IncidentTemplate,
    IncidentUpdate,
    Postmortem,
    PostmortemStatus,
    ResponseState,
    Severity,
    Source,
    Visibility,
)
from upstate.pages.models import ComponentStatus
from upstate.public.links import incident_url, postmortem_url
from upstate.tasks.models import Task, TaskState


class IncidentState(StrEnum):
    ACTIVE = "active"
    RESOLVED = "resolved"


ComponentIds = list[Code]
ComponentStatuses = dict[Code, ComponentStatus | None]

COMPONENT_IDS_HELP = "Affected components of the incident's page; their status follows the impact"
COMPONENTS_HELP = (
    "Affected components with a status of their own, by component id "
    "(null follows the impact); wins over component_ids"
)


# Words that are an impact, not a severity, in clients written for other products; `critical`
# is both. See `impact_from_severity`.
IMPACT_WORDS = frozenset({Impact.MINOR.value, Impact.MAJOR.value, Impact.CRITICAL.value})


def impact_from_severity(data: Any, *, impact: str = "impact", severity: str = "severity") -> Any:
    """Clients written against other products' documents send `severity: major` for what we call
    the impact. When the impact is missing and the severity is minor, major or critical, that
    word is taken as the impact; minor and major are then no severity (critical stays one)."""
    if not isinstance(data, dict) or data.get(impact) is not None:
        return data
    word = data.get(severity)
    if word not in IMPACT_WORDS:
        return data
    data = {**data, impact: word}
    if word not in Severity.values:
        data[severity] = None
    return data


class IncidentIn(InSchema):
    page_id: Code = Field(description="The status page (or send it as status_page_id)")
    status_page_id: Code | None = Field(
        None, description="Another name for page_id, as clients of other products send it"
    )
    title: Line
    status: IncidentStatus = IncidentStatus.INVESTIGATING
    impact: Impact = Field(
        Impact.MINOR,
        description="Default minor; when left out, a severity of minor, major or critical is "
        "taken as the impact",
    )
    severity: Severity | None = None
    category: Category | None = None
    component_ids: ComponentIds = Field([], max_length=MAX_ITEMS, description=COMPONENT_IDS_HELP)
    components: ComponentStatuses = Field({}, max_length=MAX_ITEMS, description=COMPONENTS_HELP)
    message: Text = ""
    visibility: Visibility = Visibility.PUBLIC
    notify: bool = True
    started_at: Moment | None = Field(None, description="When it began; default now")
    resolved_at: Moment | None = Field(
        None, description="Backfill a past incident: created already resolved at this time"
    )
    acknowledge: bool = Field(
        False, description="Acknowledge it in the same step (it starts triggered otherwise)"
    )

    # "wrap", not "before": ninja's Schema validates the raw input in a wrap validator of its
    # own, which would otherwise run first.
    @model_validator(mode="wrap")
    @classmethod
    def _other_products_names(cls, data: Any, handler: Any) -> Any:
        if isinstance(data, dict) and data.get("page_id") is None and "status_page_id" in data:
            data = {**data, "page_id": data["status_page_id"], "status_page_id": None}
        return handler(impact_from_severity(data))


class IncidentPatch(PatchSchema):
    """Details change in place; a `status` posts a timeline update (with `message`)."""

    NULLABLE = frozenset({"severity", "category"})

    title: Line | None = None
    impact: Impact | None = None
    severity: Severity | None = None
    category: Category | None = None
    visibility: Visibility | None = None
    started_at: Moment | None = None
    status: IncidentStatus | None = None
    message: Text | None = None
    notify: bool | None = None


class IncidentUpdateIn(InSchema):
    status: IncidentStatus
    message: Text = ""
    component_ids: ComponentIds = Field([], max_length=MAX_ITEMS, description=COMPONENT_IDS_HELP)
    components: ComponentStatuses = Field({}, max_length=MAX_ITEMS, description=COMPONENTS_HELP)
    notify: bool = True


class AffectedComponentOut(Schema):
    id: str
    name: str
    status: ComponentStatus = Field(
        description="The status this incident gives the component: its override, else the "
        "impact's (the component's baseline when the impact is none)"
    )

    @staticmethod
    def resolve_id(row: IncidentComponent) -> str:
        return row.component.code

    @staticmethod
    def resolve_name(row: IncidentComponent) -> str:
        return row.component.display_name

    @staticmethod
    def resolve_status(row: IncidentComponent) -> str:
        return row.asserted_status(row.incident.impact) or row.component.baseline_status


# The timeline's two schemas are plain pydantic models read from the rows' attributes, not
# ninja Schemas: ninja wraps every object it validates in a getter of its own, which cost 30 µs
# per update, most of a write's answer once a timeline is long (bench/write_storm.py).


class ComponentChangeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str = Field(validation_alias="component_code")
    name: str
    old_status: ComponentStatus
    new_status: ComponentStatus


class IncidentUpdateOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str = Field(validation_alias="code")
    status: IncidentStatus
    message: str
    notify: bool
    created_at: Timestamp
    component_changes: list[ComponentChangeOut]


SHOWN_RELATED = ("page", "owner", "postmortem")  # the rows IncidentOut reads through the incident


def _timeline() -> list[Prefetch]:
    return [
        Prefetch("affected", IncidentComponent.objects.select_related("component__group")),
        Prefetch("updates", IncidentUpdate.objects.with_changes()),
    ]


def shown_incidents() -> QuerySet[Incident]:
    """Incidents with everything IncidentOut shows, in a constant number of queries."""
    return Incident.objects.select_related(*SHOWN_RELATED).prefetch_related(*_timeline())


def with_timeline(incident: Incident) -> Incident:
    """``incident``, loaded with SHOWN_RELATED, ready for IncidentOut once its timeline is
    read: after a change, instead of reading the incident again with it."""
    prefetch_related_objects([incident], *_timeline())
    return incident


def _published_postmortem(incident: Incident) -> Postmortem | None:
    postmortem = getattr(incident, "postmortem", None)
    return postmortem if postmortem is not None and postmortem.is_published else None


class IncidentOut(Schema):
    id: str
    page_id: str
    title: str
    status: IncidentStatus
    response_state: ResponseState = Field(
        description="The internal response: triggered until acknowledged, then acknowledged "
        "until resolved"
    )
    impact: Impact
    severity: Severity | None
    category: Category | None
    visibility: Visibility
    source: Source
    backfilled: bool
    owner: str | None = Field(description="Email of the responder who took the incident")
    components: list[AffectedComponentOut]
    updates: list[IncidentUpdateOut] = Field(description="Newest first")
    started_at: Timestamp
    acknowledged_at: Timestamp | None
    monitoring_at: Timestamp | None
    resolved_at: Timestamp | None
    created_at: Timestamp
    updated_at: Timestamp
    postmortem_url: str | None
    public_url: str | None

    @staticmethod
    def resolve_id(incident: Incident) -> str:
        return incident.code

    @staticmethod
    def resolve_page_id(incident: Incident) -> str:
        return incident.page.code

    @staticmethod
    def resolve_severity(incident: Incident) -> str | None:
        return incident.severity or None

    @staticmethod
    def resolve_category(incident: Incident) -> str | None:
        return incident.category or None

    @staticmethod
    def resolve_owner(incident: Incident) -> str | None:
        return incident.owner.email if incident.owner else None

    @staticmethod
    def resolve_components(incident: Incident) -> list[IncidentComponent]:
        rows = list(incident.affected.all())
        for row in rows:
            row.incident = incident  # the impact comes from the incident already loaded
        return rows

    @staticmethod
    def resolve_updates(incident: Incident) -> list[IncidentUpdate]:
        return list(incident.updates.all())

    @staticmethod
    def resolve_postmortem_url(incident: Incident) -> str | None:
        return postmortem_url(incident) if _published_postmortem(incident) else None

    @staticmethod
    def resolve_public_url(incident: Incident) -> str | None:
        return incident_url(incident) if incident.is_public else None


class ActionItemIn(InSchema):
    """An action item is a task of the incident (GET /api/v1/tasks lists them all)."""

    id: Code | None = Field(None, description="A task of this incident to keep; none: a new one")
    title: Line
    assignee: Line | None = Field(None, description="A member's email; none: nobody yet")
    due_date: date | None = None
    state: TaskState | None = Field(None, description="open (default), in_progress or done")
    done: bool = Field(False, description="Older clients' way to say state=done")


class PostmortemIn(InSchema):
    """The whole postmortem: fields left out are emptied, action items are replaced."""

    title: Line = ""
    summary: Text = ""
    impact: Text = ""
    root_cause: Text = ""
    resolution: Text = ""
    corrective_actions: Text = ""
    timeline: Text = ""
    action_items: list[ActionItemIn] = Field([], max_length=MAX_ITEMS)


class ActionItemOut(Schema):
    id: str = Field(description="The task's id (GET /api/v1/tasks/{id})")
    title: str
    assignee: str | None
    due_date: date | None
    state: TaskState
    done: bool

    @staticmethod
    def resolve_id(task: Task) -> str:
        return task.code

    @staticmethod
    def resolve_assignee(task: Task) -> str | None:
        return task.assignee.user.email if task.assignee else None

    @staticmethod
    def resolve_done(task: Task) -> bool:
        return task.is_done


class PostmortemSectionOut(Schema):
    key: str = Field(description="The field that holds the section's text")
    name: str
    prompt: str


class PostmortemOut(Schema):
    incident_id: str
    status: PostmortemStatus
    title: str
    summary: str
    impact: str
    root_cause: str
    resolution: str
    corrective_actions: str
    timeline: str
    sections: list[PostmortemSectionOut]
    action_items: list[ActionItemOut]
    published_at: Timestamp | None
    created_at: Timestamp
    updated_at: Timestamp
    url: str | None = Field(description="Public URL, once published")

    @staticmethod
    def resolve_incident_id(postmortem: Postmortem) -> str:
        return postmortem.incident.code

    @staticmethod
    def resolve_sections(postmortem: Postmortem) -> list[dict[str, str]]:
        return postmortem.section_list()

    @staticmethod
    def resolve_action_items(postmortem: Postmortem) -> list[Task]:
        return list(postmortem.incident.tasks.select_related("assignee__user"))

    @staticmethod
    def resolve_url(postmortem: Postmortem) -> str | None:
        return postmortem_url(postmortem.incident) if postmortem.is_published else None


class TemplateIn(InSchema):
    page_id: Code | None = Field(None, description="The page it is offered on; null: every page")
    name: Line = Field(description="What responders pick it by, unique in the organization")
    group: Line = Field("", description="An optional heading templates are listed under")
    title: Line = Field(description="The incident title it fills in")
    status: IncidentStatus = IncidentStatus.INVESTIGATING
    message: Text = ""
    impact: Impact = Impact.MINOR
    notify: bool = Field(True, description="Whether updates made from it notify subscribers")
    component_ids: ComponentIds = Field([], max_length=MAX_ITEMS, description=COMPONENT_IDS_HELP)
    components: ComponentStatuses = Field({}, max_length=MAX_ITEMS, description=COMPONENTS_HELP)


class TemplatePatch(PatchSchema):
    """Only the fields sent change; component_ids/components replace the components."""

    NULLABLE = frozenset({"page_id"})

    page_id: Code | None = None
    name: Line | None = None
    group: Line | None = None
    title: Line | None = None
    status: IncidentStatus | None = None
    message: Text | None = None
    impact: Impact | None = None
    notify: bool | None = None
    component_ids: ComponentIds | None = Field(None, max_length=MAX_ITEMS)
    components: ComponentStatuses | None = Field(None, max_length=MAX_ITEMS)


class TemplateComponentOut(Schema):
    id: str
    name: str
    status: ComponentStatus | None = Field(description="null follows the impact")


class TemplateOut(Schema):
    id: str
    page_id: str | None
    name: str
    group: str
    title: str
    status: IncidentStatus
    message: str
    impact: Impact
    notify: bool
    components: list[TemplateComponentOut]
    created_at: Timestamp
    updated_at: Timestamp

    @staticmethod
    def resolve_id(template: IncidentTemplate) -> str:
        return template.code

    @staticmethod
    def resolve_page_id(template: IncidentTemplate) -> str | None:
        return template.page.code if template.page_id else None

    @staticmethod
    def resolve_components(template: IncidentTemplate) -> list[dict[str, str | None]]:
        return [
            {"id": a.component.code, "name": a.component.display_name, "status": a.status or None}
            for a in template.affected.all()
        ]
