"""Words customers use for a component, written by an admin, count for the incidents on it."""

from __future__ import annotations

from upstate.awareness import matcher
from upstate.awareness.models import IncidentDocument
from upstate.pages.services import create_component, update_component

MESSAGE = "the bot in our workspace went quiet since this morning"


def _titles(page) -> list[str]:  # noqa: ANN001
    found = matcher.match(MESSAGE, matcher.Scope(org_id=page.org_id))
    return [m.subject.title for m in found]


def test_keywords_make_a_message_match(declare, page, django_capture_on_commit_callbacks):
    slack = create_component(page=page, name="Slack app", description="Alerts in your channels")
    declare(page, "Slack alerts delayed", message="Alerts reach Slack late.", components=[slack])
    backups = create_component(page=page, name="Backups", description="Nightly workspace backups")
    declare(page, "Backups running late", message="Backups are late.", components=[backups])
    assert _titles(page) == []

    with django_capture_on_commit_callbacks(execute=True):
        update_component(component=slack, keywords="the bot, workspace app,  the bot ")

    slack.refresh_from_db()
    assert slack.keywords == "the bot, workspace app"
    document = IncidentDocument.objects.get(incident__title="Slack alerts delayed")
    expected = "Slack app (Alerts in your channels; also called the bot, workspace app)"
    assert expected in document.text
    assert _titles(page)[:1] == ["Slack alerts delayed"]
