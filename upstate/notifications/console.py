"""The `console://` email backend: one line per message on the server's output (who, what),
the whole message only when UPSTATE_EMAIL_CONSOLE_FULL is True.

The console is the default, so this is what a first run shows: whole MIME messages made the
log a wall, and their confirmation and sign-in links are secrets that do not belong in a log.
"""

from __future__ import annotations

from collections.abc import Sequence
from email.header import decode_header, make_header
from typing import Any

from django.conf import settings
from django.core.mail.backends import console as django_console


def summary(message: Any) -> str:
    """`email to a@x, b@y: Subject` on one line. Notifications hand the backend pre-rendered
    bytes (notifications.transports._RawMessage), so the subject is read from the headers."""
    header = message.message().get("Subject", "")
    subject = " ".join(str(make_header(decode_header(str(header)))).split())
    return f"email to {', '.join(message.recipients()) or '(nobody)'}: {subject}"


class EmailBackend(django_console.EmailBackend):
    def write_message(self, message: Any) -> None:
        if settings.EMAIL_CONSOLE_FULL:
            super().write_message(message)
            return
        self.stream.write(summary(message) + "\n")

    def send_messages(self, email_messages: Sequence[Any]) -> int:
        return super().send_messages(email_messages) or 0
