"""What an email subscriber receives, as the SMTP server on loopback got it."""

from __future__ import annotations

import pytest

from upstate.incidents.services import create_incident
from upstate.notifications.models import Attempt, Delivery, DeliveryStatus
from upstate.notifications.tests.helpers import subscribe
from upstate.notifications.tests.sinks import SmtpSink
from upstate.subscribers.models import Subscriber


@pytest.fixture
def incident(django_capture_on_commit_callbacks, page, api_component):
    with django_capture_on_commit_callbacks(execute=True):
        return create_incident(
            page=page,
            title="Elevated API errors",
            impact="major",
            components={api_component: None},
            message="We are **investigating** elevated error rates.",
        )


def test_it_has_one_click_unsubscribe_headers(
    smtp_sink, page, api_component, django_capture_on_commit_callbacks
):
    ann = subscribe(page, "ann@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        incident = create_incident(
            page=page,
            title="Elevated API errors",
            impact="major",
            components={api_component: None},
            message="We are **investigating** elevated error rates.",
        )
    assert smtp_sink.wait_for(1)
    mail = smtp_sink.mails[0]
    message = mail.message
    unsubscribe = f"https://status.acme.test/p/acme/unsubscribe/{ann.token}"
    assert message["List-Unsubscribe"] == f"<{unsubscribe}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["To"] == "ann@example.com"
    assert message["From"] == "Acme Status <status@acme.test>"
    assert message["Subject"] == "[Acme Status] Investigating: Elevated API errors"
    delivery = Delivery.objects.get()
    assert message["Message-ID"] == f"<{delivery.code}.{delivery.event.code}@acme.test>"

    text, html = mail.part("plain"), mail.part("html")
    incident_url = f"https://status.acme.test/p/acme/incidents/{incident.code}"
    manage = f"https://status.acme.test/p/acme/subscription/{ann.token}"
    for body in (text, html):
        assert incident_url in body
        assert unsubscribe in body
        assert manage in body
        assert "Investigating" in body
        assert "API" in body and "Partial outage" in body
    assert "We are investigating elevated error rates." in text
    assert "<strong>investigating</strong>" in html
    assert "#2563eb" in html  # the page's accent colour


@pytest.mark.parametrize("eight_bit", [True, False])
def test_bodies_go_as_written_where_the_server_takes_8bit(
    settings, page, django_capture_on_commit_callbacks, eight_bit
):
    sink = SmtpSink(eight_bit=eight_bit).start()
    try:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.port
        ann = subscribe(page, "ann@example.com")
        with django_capture_on_commit_callbacks(execute=True):
            create_incident(page=page, title="Zahlungen schlagen fehl", message="Wir prüfen es.")
        assert sink.wait_for(1)
    finally:
        sink.stop()
    mail = sink.mails[0]
    encodings = {p.get_content_type(): p["Content-Transfer-Encoding"] for p in mail.message.walk()}
    expected = "8bit" if eight_bit else "quoted-printable"
    assert encodings["text/plain"] == encodings["text/html"] == expected
    assert all(len(line) <= 998 for line in mail.data.split(b"\r\n"))
    # Either way the recipient reads the same text, with their own links.
    assert "Wir prüfen es." in mail.part("plain")
    assert "Wir prüfen es." in mail.part("html")
    assert f"unsubscribe/{ann.token}" in mail.part("plain")
    if eight_bit:
        assert "Wir prüfen es.".encode() in mail.data


def test_each_subscriber_gets_their_own_links(smtp_sink, page, django_capture_on_commit_callbacks):
    ann, bob = subscribe(page, "ann@example.com"), subscribe(page, "bob@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        create_incident(page=page, title="Down")
    assert smtp_sink.wait_for(2)
    for subscriber in (ann, bob):
        (mail,) = smtp_sink.to(subscriber.address)
        assert subscriber.token in mail.message["List-Unsubscribe"]
        other = bob if subscriber is ann else ann
        assert other.token not in mail.data.decode()


def test_a_rejected_address_disables_the_subscriber(
    smtp_sink, page, django_capture_on_commit_callbacks
):
    subscribe(page, "ann@example.com")
    gone = subscribe(page, "gone@example.com")
    smtp_sink.reject["gone@example.com"] = "550 5.1.1 No such user"
    with django_capture_on_commit_callbacks(execute=True):
        create_incident(page=page, title="Down")
    assert [m.recipients for m in smtp_sink.mails] == [["ann@example.com"]]
    delivery = Delivery.objects.get(subscriber=gone)
    assert delivery.status == DeliveryStatus.PERMANENT
    assert "550" in delivery.last_error
    gone.refresh_from_db()
    assert gone.disabled_at is not None and "No such user" in gone.disabled_reason


def test_a_temporary_failure_is_retried_later(smtp_sink, page, django_capture_on_commit_callbacks):
    from datetime import timedelta

    from django.utils import timezone

    from upstate.notifications import services

    subscribe(page, "ann@example.com")
    smtp_sink.reject["ann@example.com"] = "451 4.3.0 Try again later"
    with django_capture_on_commit_callbacks(execute=True):
        incident = create_incident(page=page, title="Down")
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 1)
    assert delivery.next_attempt_at > timezone.now() + timedelta(seconds=20)
    assert Attempt.objects.get().error.startswith("RCPT TO: 451")
    del smtp_sink.reject["ann@example.com"]
    services.deliver([delivery.id])  # not due yet: nothing happens
    assert smtp_sink.mails == []
    Delivery.objects.update(next_attempt_at=timezone.now())  # its retry time has come
    services.sweep()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SENT, 2)
    assert len(smtp_sink.mails) == 1
    assert Subscriber.objects.get().disabled_at is None
    assert incident.code in smtp_sink.mails[0].part("plain")
