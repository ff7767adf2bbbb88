"""The `console://` email backend prints one line per message (no secret links in the log)
unless UPSTATE_EMAIL_CONSOLE_FULL asks for whole messages."""

from __future__ import annotations

import io

from django.core.mail import EmailMessage, get_connection

from upstate.notifications.transports import _RawMessage

BACKEND = "upstate.notifications.console.EmailBackend"
LINK = "https://status.example.com/confirm/s3cret-token"


def _send(*messages: object) -> str:
    stream = io.StringIO()
    connection = get_connection(BACKEND, stream=stream)
    assert connection.send_messages(list(messages)) == len(messages)
    return stream.getvalue()


def _message(subject: str = "Confirm your subscription") -> EmailMessage:
    return EmailMessage(subject, f"Confirm: {LINK}", "Acme <a@acme.test>", ["you@example.com"])


def test_it_prints_one_line_per_message_without_the_body(settings):
    settings.EMAIL_CONSOLE_FULL = False

    printed = _send(_message(), _message("Second"))

    assert printed == (
        "email to you@example.com: Confirm your subscription\nemail to you@example.com: Second\n"
    )
    assert "s3cret" not in printed


def test_it_decodes_the_subject_of_a_prepared_notification(settings):
    settings.EMAIL_CONSOLE_FULL = False
    subject = "Störung: the API answers slowly for customers in every region " * 2  # folded
    data = _message(subject).message().as_bytes()

    printed = _send(_RawMessage("a@acme.test", "ops@example.com", data))

    assert printed == f"email to ops@example.com: {subject.strip()}\n"


def test_it_prints_whole_messages_when_asked(settings):
    settings.EMAIL_CONSOLE_FULL = True

    printed = _send(_message())

    assert LINK in printed
    assert "Subject: Confirm your subscription" in printed
