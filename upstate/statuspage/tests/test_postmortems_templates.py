"""Postmortems (written, published and reverted with PUT, as Statuspage does) and incident
templates (under the key `template`) through Statuspage's management API."""

from __future__ import annotations

from upstate.incidents.models import IncidentTemplate, Postmortem
from upstate.incidents.services import create_incident


def test_postmortem_draft_publish_revert(sp, page):
    incident = create_incident(page=page, title="Errors", status="resolved")
    url = f"/pages/{page.code}/incidents/{incident.code}/postmortem"
    empty = sp.get(url).json()
    assert (empty["body"], empty["body_draft"], empty["published_at"]) == (None, None, None)
    draft = sp.put(url, {"postmortem": {"body_draft": "A bad deploy."}})
    assert draft.status_code == 200, draft.content
    assert (draft.json()["body_draft"], draft.json()["body"]) == ("A bad deploy.", None)
    published = sp.put(f"{url}/publish", {"postmortem": {"notify_subscribers": False}})
    assert published.status_code == 200, published.content
    assert published.json()["body"] == "A bad deploy." and published.json()["published_at"]
    shown = sp.get(f"/pages/{page.code}/incidents/{incident.code}").json()
    assert (shown["status"], shown["postmortem_body"]) == ("postmortem", "A bad deploy.")
    reverted = sp.put(f"{url}/revert")
    assert reverted.status_code == 200 and reverted.json()["published_at"] is None
    shown = sp.get(f"/pages/{page.code}/incidents/{incident.code}").json()
    assert (shown["status"], shown["postmortem_body"]) == ("resolved", None)
    assert [u["status"] for u in shown["incident_updates"]] == ["resolved"]
    assert sp.delete(url).status_code == 204
    assert not Postmortem.objects.exists()


def test_postmortem_rules_answer_as_errors(sp, page):
    active = create_incident(page=page, title="Ongoing")
    url = f"/pages/{page.code}/incidents/{active.code}/postmortem"
    early = sp.put(url, {"postmortem": {"body_draft": "Too soon"}})
    assert early.status_code == 422 and "resolve" in early.json()["message"]
    resolved = create_incident(page=page, title="Done", status="resolved")
    url = f"/pages/{page.code}/incidents/{resolved.code}/postmortem"
    sp.put(url, {"postmortem": {"body_draft": "Text"}})
    notify = sp.put(f"{url}/publish", {"postmortem": {"notify_subscribers": True}})
    assert notify.status_code == 400 and "notify_subscribers" in notify.json()["message"]
    assert not Postmortem.objects.get().is_published


def test_templates_are_listed_and_created(sp, page, api_component):
    created = sp.post(
        f"/pages/{page.code}/incident_templates",
        {
            "template": {
                "name": "API down",
                "title": "The API is unavailable",
                "body": "We are investigating.",
                "group_id": "API",
                "update_status": "identified",
                "should_send_notifications": "false",
                "should_tweet": False,
                "component_ids": [api_component.code],
            }
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["name"], body["update_status"], body["should_send_notifications"]) == (
        "API down",
        "identified",
        False,
    )
    assert [c["id"] for c in body["components"]] == [api_component.code]
    template = IncidentTemplate.objects.get(code=body["id"])
    assert (template.page, template.message, template.group) == (
        page,
        "We are investigating.",
        "API",
    )
    listed = sp.get(f"/pages/{page.code}/incident_templates").json()
    assert [t["id"] for t in listed] == [body["id"]]
    duplicate = sp.post(
        f"/pages/{page.code}/incident_templates", {"template": {"name": "API down", "title": "X"}}
    )
    assert duplicate.status_code == 422 and duplicate.json()["message"].startswith("name")
    tweet = sp.post(
        f"/pages/{page.code}/incident_templates",
        {"template": {"name": "T", "title": "X", "should_tweet": True}},
    )
    assert tweet.status_code == 400 and "should_tweet" in tweet.json()["message"]
    assert IncidentTemplate.objects.count() == 1
