"""The delivery log through the REST API: what was sent about an incident, to whom, and what
the receiving server said; read-only, and only within the caller's organization."""

from __future__ import annotations

import pytest

from upstate.api.tests.helpers import Api
from upstate.incidents.services import create_incident
from upstate.notifications.tests.helpers import subscribe


@pytest.fixture
def sent(page, smtp_sink, django_capture_on_commit_callbacks):
    """An incident whose notice reached one subscriber and bounced for another."""
    ann = subscribe(page, "ann@example.com")
    gone = subscribe(page, "gone@example.com")
    smtp_sink.reject["gone@example.com"] = "550 5.1.1 No such user"
    with django_capture_on_commit_callbacks(execute=True):
        incident = create_incident(page=page, title="Checkout errors", notify=True)
    return incident, ann, gone


def test_it_counts_each_notification_by_delivery_status(client, viewer, sent):
    incident, _, _ = sent
    response = Api(client, viewer).get(f"/incidents/{incident.code}/notifications")
    assert response.status_code == 200
    created = next(n for n in response.json() if n["kind"] == "incident.created")
    assert created["deliveries"] == {"sent": 1, "permanent": 1}
    assert created["recipients"] == 2


def test_it_lists_the_copies_that_did_not_arrive_with_the_servers_answer(client, viewer, sent):
    incident, _, gone = sent
    api = Api(client, viewer)
    response = api.get(f"/incidents/{incident.code}/deliveries?status=permanent")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    (failed,) = body["items"]
    assert (failed["address"], failed["subscriber_id"]) == ("gone@example.com", gone.code)
    assert "550 5.1.1 No such user" in failed["last_error"]
    assert failed["failures"][0]["permanent"] is True
    everything = api.get(f"/incidents/{incident.code}/deliveries").json()
    assert {d["status"] for d in everything["items"]} == {"sent", "permanent"}


def test_a_subscribers_history_is_newest_first(
    client, viewer, sent, page, django_capture_on_commit_callbacks
):
    first, ann, _ = sent
    with django_capture_on_commit_callbacks(execute=True):
        second = create_incident(page=page, title="Search is slow", notify=True)
    response = Api(client, viewer).get(f"/subscribers/{ann.code}/deliveries")
    assert response.status_code == 200
    history = [(d["incident_id"], d["kind"], d["status"]) for d in response.json()["items"]]
    assert history == [
        (second.code, "incident.created", "sent"),
        (first.code, "incident.created", "sent"),
    ]


def test_a_bad_status_names_the_field(client, viewer, sent):
    incident, _, _ = sent
    response = Api(client, viewer).get(f"/incidents/{incident.code}/deliveries?status=lost")
    assert response.status_code == 422
    assert "status" in response.content.decode()


@pytest.mark.parametrize(
    "path",
    [
        "/incidents/{incident}/notifications",
        "/incidents/{incident}/deliveries",
        "/subscribers/{subscriber}/deliveries",
    ],
)
def test_another_organization_gets_404(client, outsider, sent, path):
    incident, ann, _ = sent
    url = path.format(incident=incident.code, subscriber=ann.code)
    assert Api(client, outsider).get(url).status_code == 404
    assert Api(client).get(url).status_code == 401
