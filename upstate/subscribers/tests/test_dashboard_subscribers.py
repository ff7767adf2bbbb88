"""The dashboard's subscribers screen: filters, each subscriber's delivery log, removal, and
who may see what."""

from __future__ import annotations

import pytest

from upstate.incidents.services import create_incident
from upstate.notifications.tests.helpers import subscribe
from upstate.subscribers.models import Subscriber

BASE = "/dashboard/acme/pages/acme/subscribers/"


@pytest.fixture
def people(page, smtp_sink, http_receiver, django_capture_on_commit_callbacks):
    """A confirmed, an unconfirmed, a disabled (bounced) and a bouncing webhook subscriber,
    after one incident was sent to them."""
    ann = subscribe(page, "ann@example.com")
    carl = subscribe(page, "carl@example.com", confirmed=False)
    gone = subscribe(page, "gone@example.com")
    hook = subscribe(page, http_receiver.url("/hook"), channel="webhook")
    smtp_sink.reject["gone@example.com"] = "550 5.1.1 No such user"
    http_receiver.answers["/hook"] = (503, "upstream unavailable, try later")
    with django_capture_on_commit_callbacks(execute=True):
        create_incident(page=page, title="Checkout is failing")
    return {"ann": ann, "carl": carl, "gone": gone, "hook": hook}


def _rows(html: str) -> list[str]:
    return [part.split('"', 1)[0] for part in html.split('data-subscriber="')[1:]]


def test_it_marks_each_state_with_its_reason(client, responder, people):
    client.force_login(responder.user)
    html = client.get(BASE).content.decode()
    assert "Confirmed" in html and "Unconfirmed" in html
    assert "Disabled" in html and "No such user" in html
    assert "Bouncing" in html and "503" in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("state=active", ["ann@example.com"]),
        ("state=unconfirmed", ["carl@example.com"]),
        ("state=disabled", ["gone@example.com"]),
        ("state=bouncing", ["hook"]),
        ("channel=webhook", ["hook"]),
        ("q=CARL", ["carl@example.com"]),
        ("q=example.com&state=active", ["ann@example.com"]),
    ],
)
def test_it_filters_by_state_channel_and_search(client, responder, people, query, expected):
    client.force_login(responder.user)
    rows = _rows(client.get(f"{BASE}?{query}").content.decode())
    assert len(rows) == len(expected)
    for row, wanted in zip(rows, expected, strict=True):
        assert wanted in row


def test_a_subscribers_log_shows_each_attempt_and_the_providers_answer(
    client, responder, people, http_receiver
):
    from upstate.notifications import services
    from upstate.notifications.models import Delivery

    # The webhook recovers: its second attempt succeeds.
    http_receiver.answers["/hook"] = (200, "thanks, got it")
    Delivery.objects.filter(subscriber=people["hook"]).update(next_attempt_at="2000-01-01T00:00Z")
    services.sweep()
    client.force_login(responder.user)
    html = client.get(f"{BASE}{people['hook'].code}/").content.decode()
    assert "incident.created" in html and "Checkout is failing" in html
    assert "temporary failure" in html and "upstream unavailable, try later" in html
    assert "thanks, got it" in html
    assert html.index("temporary failure") < html.index("thanks, got it")

    html = client.get(f"{BASE}{people['gone'].code}/").content.decode()
    assert "permanent failure" in html and "550 5.1.1 No such user" in html
    assert "Disabled" in html


def test_a_responder_removes_a_subscriber(client, responder, people):
    client.force_login(responder.user)
    path = f"{BASE}{people['ann'].code}/delete/"
    assert b"Remove ann@example.com?" in client.get(path).content
    assert Subscriber.objects.filter(code=people["ann"].code).exists()
    response = client.post(path)
    assert response.status_code == 302
    assert not Subscriber.objects.filter(code=people["ann"].code).exists()
    assert b"Removed ann@example.com" in client.get(response["Location"]).content


def test_user_text_is_escaped(client, responder, page):
    subscribe(page, "https://x.example/<script>alert(1)</script>", channel="webhook")
    client.force_login(responder.user)
    html = client.get(BASE).content.decode()
    assert "<script>alert(1)" not in html and "&lt;script&gt;" in html


VIEWS = [
    ("get", ""),
    ("get", "export.csv"),
    ("get", "import/"),
    ("post", "import/preview/"),
    ("post", "import/commit/"),
    ("get", "{code}/"),
    ("get", "{code}/delete/"),
    ("post", "{code}/delete/"),
]


@pytest.mark.parametrize(("method", "suffix"), VIEWS)
def test_outsiders_get_404_and_viewers_403(client, outsider, viewer, page, method, suffix):
    ann = subscribe(page, "ann@example.com")
    path = BASE + suffix.format(code=ann.code)
    client.force_login(outsider.user)
    assert getattr(client, method)(path).status_code == 404
    client.force_login(viewer.user)
    assert getattr(client, method)(path).status_code == 403
    assert Subscriber.objects.filter(id=ann.id).exists()


@pytest.mark.parametrize(("method", "suffix"), [v for v in VIEWS if "{code}" in v[1]])
def test_another_orgs_subscriber_is_not_reachable_through_ones_own_page(
    client, owner, page, other_page, method, suffix
):
    theirs = subscribe(other_page, "theirs@globex.test")
    client.force_login(owner.user)
    assert getattr(client, method)(BASE + suffix.format(code=theirs.code)).status_code == 404
    assert Subscriber.objects.filter(id=theirs.id).exists()


def test_the_list_never_shows_another_pages_subscribers(client, owner, page, other_page):
    subscribe(other_page, "theirs@globex.test")
    subscribe(page, "ours@acme.test")
    client.force_login(owner.user)
    html = client.get(BASE).content.decode()
    assert "ours@acme.test" in html and "theirs@globex.test" not in html
    csv_text = b"".join(client.get(f"{BASE}export.csv").streaming_content).decode()
    assert "ours@acme.test" in csv_text and "theirs@globex.test" not in csv_text
