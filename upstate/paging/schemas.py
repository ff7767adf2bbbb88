"""What the API takes and shows of paging: the organization's members, its teams, and which
team each incident category pages."""

from __future__ import annotations

from ninja import Schema
from pydantic import Field

from upstate.api.fields import Code, InSchema, Line, PatchSchema
from upstate.incidents.models import Category
from upstate.orgs.models import Membership, Role
from upstate.paging.models import Team

MAX_MEMBERS = 500


class MemberOut(Schema):
    email: str
    role: Role
    # Paged by SMS or WhatsApp at this number (E.164) for high and critical incidents.
    phone: str

    @staticmethod
    def resolve_email(member: Membership) -> str:
        return member.user.email

    @staticmethod
    def resolve_phone(member: Membership) -> str:
        profile = getattr(member.user, "paging_profile", None)
        return profile.phone if profile is not None else ""


CONTACT_HELP = (
    "Paged when an incident stays unacknowledged past a second response target; null: the "
    "organization's admins"
)


class TeamIn(InSchema):
    name: Line
    member_emails: list[Line] = Field(default_factory=list, max_length=MAX_MEMBERS)
    escalation_contact_email: Line | None = Field(None, description=CONTACT_HELP)


class TeamPatch(PatchSchema):
    NULLABLE = frozenset({"escalation_contact_email"})

    member_emails: list[Line] | None = Field(None, max_length=MAX_MEMBERS)
    escalation_contact_email: Line | None = Field(None, description=CONTACT_HELP)


class TeamOut(Schema):
    id: str
    name: str
    member_emails: list[str]
    # The incident categories that page this team.
    categories: list[Category]
    escalation_contact_email: str | None = Field(description=CONTACT_HELP)
    on_call_email: str | None = Field(
        description="Who of the team is on call now (null: no rotation, or nobody)"
    )

    @staticmethod
    def resolve_id(team: Team) -> str:
        return team.code

    @staticmethod
    def resolve_member_emails(team: Team) -> list[str]:
        return sorted(m.user.email for m in team.members.all())

    @staticmethod
    def resolve_categories(team: Team) -> list[str]:
        return [route.category for route in team.routes.all()]

    @staticmethod
    def resolve_escalation_contact_email(team: Team) -> str | None:
        contact = team.escalation_contact
        return contact.user.email if contact is not None else None

    @staticmethod
    def resolve_on_call_email(team: Team) -> str | None:
        from upstate.oncall.services import on_call_member

        member = on_call_member(team)
        return member.user.email if member is not None else None


class RouteIn(InSchema):
    # null: incidents of the category page every responder again.
    team_id: Code | None


class RouteOut(Schema):
    category: Category
    team_id: str | None
