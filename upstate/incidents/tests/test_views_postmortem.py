from __future__ import annotations

from upstate.dashboard.tests.helpers import declare, incident_url
from upstate.incidents.models import IncidentStatus, Postmortem


def _data(**overrides):  # noqa: ANN003, ANN202
    data = {
        "pm-title": "Checkout outage on May 1",
        "pm-summary": "A bad deploy broke **checkout**.",
        "pm-impact": "",
        "pm-root_cause": "Missing migration",
        "pm-corrective_actions": "",
        "pm-timeline": "",
        "items-TOTAL_FORMS": "2",
        "items-INITIAL_FORMS": "0",
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "1000",
        "items-0-title": "Add a deploy check",
        "items-0-assignee": "",
        "items-0-due_date": "2030-01-31",
        "items-1-title": "",
    }
    data.update(overrides)
    return data


def test_it_saves_a_draft_with_action_items(client, responder, page):
    incident = declare(page, status="resolved")
    client.force_login(responder.user)
    data = _data(**{"items-0-assignee": "responder@acme.test", "items-0-state": "open"})
    response = client.post(incident_url(incident, "postmortem/"), data)
    assert response["Location"] == incident_url(incident, "postmortem/")
    postmortem = Postmortem.objects.get()
    assert postmortem.status == "draft" and postmortem.root_cause == "Missing migration"
    task = incident.tasks.get()
    assert (task.title, task.assignee.user.email, str(task.due_date), task.state) == (
        "Add a deploy check",
        "responder@acme.test",
        "2030-01-31",
        "open",
    )
    body = client.get(incident_url(incident, "postmortem/")).content.decode()
    assert 'value="Add a deploy check"' in body


def test_an_action_item_without_a_title_is_refused_on_its_row(client, owner, page):
    incident = declare(page, status="resolved")
    client.force_login(owner.user)
    response = client.post(
        incident_url(incident, "postmortem/"), _data(**{"items-1-due_date": "2030-02-01"})
    )
    assert response.status_code == 400
    assert response.context["formset"].forms[1].errors["title"] == ["must not be empty"]
    assert Postmortem.objects.count() == 0


def test_publishing_moves_the_incident_to_postmortem(client, owner, page):
    incident = declare(page, status="resolved")
    client.force_login(owner.user)
    response = client.post(incident_url(incident, "postmortem/publish/"), _data())
    assert response["Location"] == incident_url(incident)
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.POSTMORTEM
    assert incident.postmortem.is_published


def test_publishing_without_summary_or_root_cause_writes_nothing(client, owner, page):
    incident = declare(page, status="resolved")
    client.force_login(owner.user)
    response = client.post(
        incident_url(incident, "postmortem/publish/"),
        _data(**{"pm-summary": "", "pm-root_cause": "", "pm-impact": "Typed"}),
    )
    assert response.status_code == 400
    assert "summary" in response.context["form"].errors
    assert "Typed" in response.content.decode()
    assert Postmortem.objects.count() == 0
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.RESOLVED


def test_active_incidents_cannot_have_one_yet(client, owner, page):
    incident = declare(page)
    client.force_login(owner.user)
    response = client.post(incident_url(incident, "postmortem/"), _data())
    assert response.status_code == 400
    assert "resolve the incident" in response.content.decode()
    assert Postmortem.objects.count() == 0


def test_viewers_read_it_but_cannot_write(client, owner, viewer, page):
    incident = declare(page, status="resolved")
    client.force_login(owner.user)
    client.post(incident_url(incident, "postmortem/"), _data())
    client.force_login(viewer.user)
    body = client.get(incident_url(incident, "postmortem/")).content.decode()
    assert "A bad deploy broke <strong>checkout</strong>." in body
    assert "Save draft" not in body and "Publish" not in body
    assert client.post(incident_url(incident, "postmortem/"), _data()).status_code == 403
    assert client.post(incident_url(incident, "postmortem/publish/"), _data()).status_code == 403


def test_outsiders_get_404(client, outsider, page):
    incident = declare(page, status="resolved")
    client.force_login(outsider.user)
    assert client.get(incident_url(incident, "postmortem/")).status_code == 404
    assert client.post(incident_url(incident, "postmortem/publish/"), _data()).status_code == 404
