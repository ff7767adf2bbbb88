"""The one mapping between Upstate's values and Statuspage's enums. Every value the
Statuspage-compatible API sends comes through here, so a client never sees a value outside
Statuspage's documented sets (clients raise on unknown ones)."""

from __future__ import annotations

from upstate.incidents.models import Impact, IncidentStatus
from upstate.maintenance.models import MaintenanceStatus
from upstate.pages.models import ComponentStatus
from upstate.subscribers.models import Channel, SubscriberState

COMPONENT_STATUSES = (
    "operational",
    "degraded_performance",
    "partial_outage",
    "major_outage",
    "under_maintenance",
)
REALTIME_STATUSES = ("investigating", "identified", "monitoring", "resolved")
SCHEDULED_STATUSES = ("scheduled", "in_progress", "verifying", "completed")
INCIDENT_STATUSES = (*REALTIME_STATUSES, "postmortem")
IMPACTS = ("none", "minor", "major", "critical", "maintenance")
SUBSCRIBER_MODES = ("email", "sms", "webhook", "slack", "teams", "integration_partner")
SUBSCRIBER_STATES = ("active", "unconfirmed", "quarantined")

# Upstate's component statuses are Statuspage's, value for value.
assert set(ComponentStatus.values) == set(COMPONENT_STATUSES)
assert set(IncidentStatus.values) == set(INCIDENT_STATUSES)
assert set(MaintenanceStatus.values) == set(SCHEDULED_STATUSES)


def component_status(status: str) -> str:
    return ComponentStatus(status).value


def incident_status(status: str) -> str:
    return IncidentStatus(status).value


def maintenance_status(status: str) -> str:
    return MaintenanceStatus(status).value


def impact(value: str) -> str:
    return Impact(value).value


MAINTENANCE_IMPACT = "maintenance"


def impact_from_components(statuses: list[str]) -> str:
    """Statuspage's calculated impact when no `impact_override` is given: from the worst
    component status the incident sets."""
    worst = ComponentStatus.worst([s for s in statuses if s]) if statuses else None
    return {
        ComponentStatus.DEGRADED_PERFORMANCE: Impact.MINOR.value,
        ComponentStatus.PARTIAL_OUTAGE: Impact.MAJOR.value,
        ComponentStatus.MAJOR_OUTAGE: Impact.CRITICAL.value,
    }.get(worst, Impact.NONE.value)


_MODES = {
    Channel.EMAIL: "email",
    Channel.SMS: "sms",
    Channel.WEBHOOK: "webhook",
    Channel.SLACK: "slack",
    Channel.TEAMS: "teams",
    # Statuspage has no Discord or WhatsApp subscribers; its catch-all is the partner mode.
    Channel.DISCORD: "integration_partner",
    Channel.WHATSAPP: "integration_partner",
}


def subscriber_mode(channel: str) -> str:
    return _MODES[Channel(channel)]


def channels_for_mode(mode: str) -> list[str]:
    return [c.value for c, m in _MODES.items() if m == mode]


_STATES = {
    SubscriberState.ACTIVE: "active",
    SubscriberState.UNCONFIRMED: "unconfirmed",
    # A subscriber Upstate stopped sending to (its provider called the address invalid) is
    # what Statuspage calls quarantined.
    SubscriberState.DISABLED: "quarantined",
}


def subscriber_state(state: SubscriberState) -> str:
    return _STATES[state]
