"""The resolution notice tells subscribers where the postmortem will be when the page
promises one; publishing the postmortem later sends nothing new (real SMTP on loopback)."""

from __future__ import annotations

import time

import pytest
from django.utils import timezone

from upstate.incidents.services import (
    create_incident,
    post_update,
    publish_postmortem,
    save_postmortem,
)
from upstate.notifications.tests.helpers import subscribe

FOLLOW = "A postmortem will follow."


def _resolve(page, component, capture):
    with capture(execute=True):
        incident = create_incident(
            page=page, title="Checkout errors", impact="major", components={component: None}
        )
    with capture(execute=True):
        post_update(incident=incident, status="identified", message="A bad deploy.")
    with capture(execute=True):
        post_update(incident=incident, status="resolved", message="Rolled back.")
    return incident


@pytest.fixture
def promising(page):
    page.promise_postmortem = True
    page.save()
    return page


def test_the_resolution_email_links_where_the_postmortem_will_be(
    smtp_sink, promising, api_component, django_capture_on_commit_callbacks
):
    subscribe(promising, "ann@example.com")
    incident = _resolve(promising, api_component, django_capture_on_commit_callbacks)
    assert smtp_sink.wait_for(3)
    url = f"https://status.acme.test/p/acme/incidents/{incident.code}"
    created, updated, resolved = smtp_sink.mails[:3]
    assert resolved.message["Subject"] == "[Acme Status] Resolved: Checkout errors"
    text, html = resolved.part("plain"), resolved.part("html")
    assert f"{FOLLOW} It will be published at {url}" in text
    assert f'{FOLLOW} It will be published at <a href="{url}">{url}</a>.' in html
    # Only the resolution notice promises it.
    for mail in (created, updated):
        assert FOLLOW not in mail.part("plain") and FOLLOW not in mail.part("html")


def test_the_custom_domain_is_the_postmortem_address(
    smtp_sink, promising, api_component, django_capture_on_commit_callbacks
):
    promising.custom_domain = "status.example.org"
    promising.domain_verified_at = timezone.now()  # only a proven domain is linked
    promising.save()
    subscribe(promising, "ann@example.com")
    incident = _resolve(promising, api_component, django_capture_on_commit_callbacks)
    assert smtp_sink.wait_for(3)
    text = smtp_sink.mails[2].part("plain")
    assert f"published at https://status.example.org/incidents/{incident.code}" in text


def test_a_page_that_promises_nothing_says_nothing(
    smtp_sink, page, api_component, django_capture_on_commit_callbacks
):
    subscribe(page, "ann@example.com")
    incident = _resolve(page, api_component, django_capture_on_commit_callbacks)
    assert smtp_sink.wait_for(3)
    resolved = smtp_sink.mails[2]
    assert "Resolved" in resolved.message["Subject"]
    assert FOLLOW not in resolved.part("plain") and FOLLOW not in resolved.part("html")
    # The details link still leads to the incident, where a postmortem would be linked.
    assert f"https://status.acme.test/p/acme/incidents/{incident.code}" in resolved.part("plain")


def test_publishing_the_postmortem_sends_nothing_new(
    smtp_sink, promising, api_component, django_capture_on_commit_callbacks
):
    subscribe(promising, "ann@example.com")
    incident = _resolve(promising, api_component, django_capture_on_commit_callbacks)
    assert smtp_sink.wait_for(3)
    with django_capture_on_commit_callbacks(execute=True):
        save_postmortem(incident=incident, summary="A deploy broke checkout.")
        publish_postmortem(incident=incident)
    time.sleep(0.5)  # room for a wrong mail to arrive; the count is what is asserted
    assert len(smtp_sink.mails) == 3
