"""API shapes of scheduled maintenance."""

from __future__ import annotations

from ninja import Schema
from pydantic import Field

from upstate.api.fields import MAX_ITEMS, Code, InSchema, Line, Moment, PatchSchema, Text, Timestamp
from upstate.maintenance.models import Maintenance, MaintenanceStatus, MaintenanceUpdate
from upstate.pages.models import Component
from upstate.public.links import maintenance_url


class MaintenanceIn(InSchema):
    page_id: Code
    title: Line
    message: Text = ""
    starts_at: Moment
    ends_at: Moment
    component_ids: list[Code] = Field([], max_length=MAX_ITEMS)
    auto_start: bool = Field(True, description="Start on its own at starts_at")
    auto_complete: bool = Field(True, description="Complete on its own at ends_at")


class MaintenancePatch(PatchSchema):
    """Details change in place; a `status` posts a timeline update (with `message`)."""

    title: Line | None = None
    message: Text | None = Field(None, description="The maintenance's description")
    starts_at: Moment | None = None
    ends_at: Moment | None = None
    component_ids: list[Code] | None = Field(None, max_length=MAX_ITEMS)
    auto_start: bool | None = None
    auto_complete: bool | None = None
    status: MaintenanceStatus | None = None
    update_message: Text | None = Field(None, description="The message of the status update")


class MaintenanceUpdateIn(InSchema):
    status: MaintenanceStatus
    message: Text = Field("", description="Empty posts the status's standard message")


class MaintenanceComponentOut(Schema):
    id: str
    name: str

    @staticmethod
    def resolve_id(component: Component) -> str:
        return component.code

    @staticmethod
    def resolve_name(component: Component) -> str:
        return component.display_name


class MaintenanceUpdateOut(Schema):
    id: str
    status: MaintenanceStatus
    message: str
    created_at: Timestamp

    @staticmethod
    def resolve_id(update: MaintenanceUpdate) -> str:
        return update.code


class MaintenanceOut(Schema):
    id: str
    page_id: str
    title: str
    message: str
    status: MaintenanceStatus
    starts_at: Timestamp
    ends_at: Timestamp
    auto_start: bool
    auto_complete: bool
    components: list[MaintenanceComponentOut]
    updates: list[MaintenanceUpdateOut] = Field(description="Newest first")
    started_at: Timestamp | None
    completed_at: Timestamp | None
    created_at: Timestamp
    updated_at: Timestamp
    public_url: str

    @staticmethod
    def resolve_id(maintenance: Maintenance) -> str:
        return maintenance.code

    @staticmethod
    def resolve_public_url(maintenance: Maintenance) -> str:
        return maintenance_url(maintenance)

    @staticmethod
    def resolve_page_id(maintenance: Maintenance) -> str:
        return maintenance.page.code

    @staticmethod
    def resolve_components(maintenance: Maintenance) -> list[Component]:
        return list(maintenance.components.all())

    @staticmethod
    def resolve_updates(maintenance: Maintenance) -> list[MaintenanceUpdate]:
        return list(maintenance.updates.all())
