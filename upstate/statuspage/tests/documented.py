"""Statuspage's documented management-API (v1) objects, copied from the wire formats we
collected (the real 2024 responses and the published description), and a comparison that
checks an answer against one field by field: same keys, same JSON types (null allowed where
the example has null or the field is optional), enums within Statuspage's sets."""

from __future__ import annotations

from typing import Any

from upstate.statuspage import enums

COMPONENT = {
    "id": "7ddtptqkb02y",
    "page_id": "8m2l51279rpl",
    "group_id": None,
    "created_at": "2024-06-06T15:47:06Z",
    "updated_at": "2024-06-06T15:47:06Z",
    "group": False,
    "name": "API Gateway",
    "description": None,
    "position": 1,
    "status": "operational",
    "showcase": True,
    "only_show_if_degraded": False,
    "automation_email": "component+249149b3@notifications.statuspage.io",
    "start_date": "2024-06-06",
}

INCIDENT_UPDATE = {
    "id": "rgm45b89jz31",
    "incident_id": "f5v3b6dr7k53",
    "affected_components": [
        {
            "code": "7ddtptqkb02y",
            "name": "API Gateway",
            "old_status": "operational",
            "new_status": "operational",
        }
    ],
    "body": "Resolved",
    "created_at": "2024-06-07T22:26:34.370Z",
    "custom_tweet": None,
    "deliver_notifications": True,
    "display_at": "2024-06-07T22:26:34.370Z",
    "status": "resolved",
    "tweet_id": None,
    "twitter_updated_at": None,
    "updated_at": "2024-06-07T22:26:34.370Z",
    "wants_twitter_update": False,
}

INCIDENT = {
    "id": "f5v3b6dr7k53",
    "components": [COMPONENT],
    "created_at": "2024-06-07T01:00:17Z",
    "impact": "major",
    "impact_override": "major",
    "incident_updates": [INCIDENT_UPDATE],
    "metadata": {"port": {"runId": "r_hUFsDXiY5DzF3sjf", "trigger": "Object"}},
    "monitoring_at": "2024-06-07T22:22:28Z",
    "name": "API Gateway Timeout Errors",
    "page_id": "8m2l51279rpl",
    "postmortem_body": None,
    "postmortem_body_last_updated_at": None,
    "postmortem_ignored": False,
    "postmortem_notified_subscribers": False,
    "postmortem_notified_twitter": False,
    "postmortem_published_at": None,
    "resolved_at": "2024-06-07T22:26:34Z",
    "scheduled_auto_completed": False,
    "scheduled_auto_in_progress": False,
    "scheduled_for": None,
    "auto_transition_deliver_notifications_at_end": None,
    "auto_transition_deliver_notifications_at_start": None,
    "auto_transition_to_maintenance_state": None,
    "auto_transition_to_operational_state": None,
    "scheduled_remind_prior": False,
    "scheduled_reminded_at": None,
    "scheduled_until": None,
    "shortlink": "https://stspg.io/t4szpmm54wxx",
    "status": "resolved",
    "updated_at": "2024-06-07T22:26:34Z",
    "reminder_intervals": None,
    # "started_at is also returned"; the 2013 docs show backfilled.
    "started_at": "2024-06-07T01:00:17Z",
    "backfilled": False,
}

GROUP = {
    "id": "9w477s340zqt",
    "page_id": "8m2l51279rpl",
    "name": "Backend",
    "description": None,
    "components": ["3chbmx8qmlny"],
    "position": 7,
    "created_at": "2024-06-06T15:51:24Z",
    "updated_at": "2024-06-06T15:51:24Z",
}

SUBSCRIBER = {
    "id": "fw1r7z73crqm",
    "skip_confirmation_notification": False,
    "mode": "email",
    "email": "foo@example2.com",
    "endpoint": None,
    "phone_number": None,
    "phone_country": None,
    "display_phone_number": None,
    "obfuscated_channel_name": None,
    "workspace_name": None,
    "quarantined_at": None,
    "purge_at": None,
    "components": ["xbdxnfp05hby"],
    "page_access_user_id": None,
    "created_at": "2024-06-06T15:51:24Z",
}

PAGE_KEYS = {
    "id", "created_at", "updated_at", "name", "page_description", "headline", "branding",
    "subdomain", "domain", "url", "support_url", "hidden_from_search",
    "allow_page_subscribers", "allow_incident_subscribers", "allow_email_subscribers",
    "allow_sms_subscribers", "allow_rss_atom_feeds", "allow_webhook_subscribers",
    "notifications_from_email", "notifications_email_footer", "activity_score",
    "twitter_username", "viewers_must_be_team_members", "ip_restrictions", "city", "state",
    "country", "time_zone", "favicon_logo", "transactional_logo", "hero_cover", "email_logo",
    "twitter_logo",
}  # fmt: skip

TEMPLATE_KEYS = {
    "id", "components", "name", "title", "body", "group_id", "update_status", "should_tweet",
    "should_send_notifications",
}  # fmt: skip

ENUMS = {
    "status": set(enums.COMPONENT_STATUSES)
    | set(enums.INCIDENT_STATUSES)
    | set(enums.SCHEDULED_STATUSES),
    "old_status": set(enums.COMPONENT_STATUSES),
    "new_status": set(enums.COMPONENT_STATUSES),
    "impact": set(enums.IMPACTS),
    "impact_override": set(enums.IMPACTS),
    "mode": set(enums.SUBSCRIBER_MODES),
    "update_status": set(enums.INCIDENT_STATUSES) | set(enums.SCHEDULED_STATUSES),
}
TIMES = {
    "created_at", "updated_at", "display_at", "monitoring_at", "resolved_at", "started_at",
    "scheduled_for", "scheduled_until", "quarantined_at", "postmortem_published_at",
    "postmortem_body_last_updated_at", "scheduled_reminded_at", "twitter_updated_at", "purge_at",
}  # fmt: skip
ISO_RE = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?(Z|[+-]\d\d:\d\d)$"


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


def like(answer: Any, example: Any, path: str = "") -> None:
    """Assert `answer` has the documented shape of `example`, recursively."""
    import re

    if isinstance(example, dict) and path.endswith("metadata"):
        assert isinstance(answer, dict), path
        return
    if isinstance(example, dict):
        assert isinstance(answer, dict), f"{path}: {answer!r} is not an object"
        assert set(answer) >= set(example), f"{path}: missing {set(example) - set(answer)}"
        for key, value in example.items():
            like(answer[key], value, f"{path}.{key}")
        return
    if isinstance(example, list):
        assert isinstance(answer, list | type(None)), f"{path}: {answer!r} is not a list"
        for item in answer or []:
            if example:
                like(item, example[0], f"{path}[]")
        return
    key = path.rsplit(".", 1)[-1]
    if key in ENUMS and answer is not None:
        assert answer in ENUMS[key], f"{path}: {answer!r} is not one of Statuspage's values"
    if key in TIMES and answer is not None:
        assert re.match(ISO_RE, answer), f"{path}: {answer!r} is not ISO 8601"
    if answer is None or example is None:
        return  # documented fields that are null in one example and set in another
    assert _kind(answer) == _kind(example), f"{path}: {answer!r} is not a {_kind(example)}"
