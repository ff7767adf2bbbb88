"""Every kind of email a subscriber receives, as the SMTP server on loopback got it: the
page's branding, the status, the message (Markdown through the sanitizer), the components,
the links and the one-click unsubscribe headers, in both the HTML and the text part."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from upstate.incidents.services import create_incident, post_update
from upstate.maintenance.services import post_maintenance_update, schedule_maintenance
from upstate.notifications.tests.helpers import subscribe

LOGO = "https://cdn.acme.test/logo.png"
MESSAGE = "We are **rolling back** a release. <script>alert('x')</script>"


@pytest.fixture
def branded(page):
    page.logo_url = LOGO
    page.accent_color = "#7c3aed"
    page.save()
    return page


def _incident(page, component, capture):
    with capture(execute=True):
        incident = create_incident(
            page=page,
            title="Payments <b>fail</b>",
            impact="critical",
            components={component: None},
            message=MESSAGE,
        )
    return incident, f"https://status.acme.test/p/acme/incidents/{incident.code}"


def _maintenance(page, component, capture, *statuses):
    start = timezone.now() + timedelta(days=1)
    with capture(execute=True):
        maintenance = schedule_maintenance(
            page=page,
            title="Database upgrade",
            starts_at=start,
            ends_at=start + timedelta(hours=2),
            message=MESSAGE,
            components=[component],
        )
    for status in statuses:
        with capture(execute=True):
            post_maintenance_update(maintenance=maintenance, status=status, message=MESSAGE)
    return maintenance, f"https://status.acme.test/p/acme/maintenances/{maintenance.code}"


def _check_common(mail, subscriber, url):
    message = mail.message
    unsubscribe = f"https://status.acme.test/p/acme/unsubscribe/{subscriber.token}"
    manage = f"https://status.acme.test/p/acme/subscription/{subscriber.token}"
    assert message["List-Unsubscribe"] == f"<{unsubscribe}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["From"] == "Acme Status <status@acme.test>"
    assert message["Auto-Submitted"] == "auto-generated"
    text, html = mail.part("plain"), mail.part("html")
    for body in (text, html):
        assert url in body and unsubscribe in body and manage in body
        assert "https://status.acme.test/p/acme" in body
    # Branding: the page's logo and colour.
    assert f'<img src="{LOGO}" alt="Acme Status"' in html
    assert "#7c3aed" in html
    # Markdown rendered and sanitized; the text part is plain.
    assert "<strong>rolling back</strong>" in html
    assert "<script>" not in html
    assert "We are rolling back a release." in text and "**" not in text
    return text, html


@pytest.mark.parametrize(
    ("kind", "subject", "lead", "status"),
    [
        ("created", "Investigating", "A new incident affects Acme Status.", "Investigating"),
        ("updated", "Identified", "has a new update.", "Identified"),
        ("resolved", "Resolved", "This incident is resolved.", "Resolved"),
    ],
)
def test_incident_emails(
    smtp_sink,
    branded,
    api_component,
    django_capture_on_commit_callbacks,
    kind,
    subject,
    lead,
    status,
):
    ann = subscribe(branded, "ann@example.com")
    incident, url = _incident(branded, api_component, django_capture_on_commit_callbacks)
    if kind != "created":
        with django_capture_on_commit_callbacks(execute=True):
            post_update(
                incident=incident,
                status="identified" if kind == "updated" else "resolved",
                message=MESSAGE,
            )
    expected = 1 if kind == "created" else 2
    assert smtp_sink.wait_for(expected)
    mail = smtp_sink.mails[expected - 1]
    assert mail.message["Subject"] == f"[Acme Status] {subject}: Payments <b>fail</b>"
    text, html = _check_common(mail, ann, url)
    assert lead in text and lead in html
    assert f"Status: {status}" in text and f">{status}</span>" in html
    # The title is escaped in HTML, as typed in text.
    assert "Payments &lt;b&gt;fail&lt;/b&gt;" in html and "Payments <b>fail</b>" in text
    component = "Major outage" if kind != "resolved" else "Operational"
    assert f"API: {component}" in text and f"API: {component}" in html


@pytest.mark.parametrize(
    ("statuses", "subject", "lead"),
    [
        (
            (),
            "[Acme Status] Scheduled maintenance: Database upgrade",
            "Maintenance of Acme Status is scheduled.",
        ),
        (
            ("in_progress",),
            "[Acme Status] Maintenance in progress: Database upgrade",
            "Scheduled maintenance of Acme Status has begun.",
        ),
        (
            ("in_progress", "completed"),
            "[Acme Status] Maintenance completed: Database upgrade",
            "Scheduled maintenance of Acme Status is complete.",
        ),
    ],
)
def test_maintenance_emails(
    smtp_sink, branded, api_component, django_capture_on_commit_callbacks, statuses, subject, lead
):
    ann = subscribe(branded, "ann@example.com")
    maintenance, url = _maintenance(
        branded, api_component, django_capture_on_commit_callbacks, *statuses
    )
    assert smtp_sink.wait_for(len(statuses) + 1)
    mail = smtp_sink.mails[len(statuses)]
    assert mail.message["Subject"] == subject
    text, html = _check_common(mail, ann, url)
    assert lead in text and lead in html
    assert re.search(r"Window: \d+ \w+ \d{4}, \d\d:\d\d – ", text)
    assert "- API" in text and "<li>API</li>" in html


def test_the_confirmation_email_is_branded_and_carries_the_signed_link(
    client, smtp_sink, branded, django_capture_on_commit_callbacks, settings
):
    # The form's rate limits count in the cache: a fresh one of this test's own.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/p/acme/subscribe", {"email": "ann@example.com"})
    assert smtp_sink.wait_for(1)
    mail = smtp_sink.mails[0]
    assert mail.message["Subject"] == "Confirm your subscription to Acme Status"
    assert mail.message["From"] == "Acme Status <status@acme.test>"
    assert mail.message["List-Unsubscribe"] is None  # not a list yet: nothing to leave
    text, html = mail.part("plain"), mail.part("html")
    link = re.search(r"https://status\.acme\.test/p/acme/subscribe/confirm/\S+", text).group(0)
    assert link in html
    assert f'<img src="{LOGO}"' in html and "#7c3aed" in html
