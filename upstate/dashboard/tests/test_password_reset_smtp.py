"""The reset email through a real SMTP server on loopback, configured by UPSTATE_EMAIL_URL."""

from __future__ import annotations

import socket

import pytest
from aiosmtpd.controller import Controller

from upstate.lib import emailurl


class Inbox:
    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, ANN201, N802
        self.messages.append(envelope)
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_inbox(settings):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    for key, value in emailurl.parse(f"smtp://127.0.0.1:{controller.port}").items():
        setattr(settings, key, value)
    yield inbox
    controller.stop()


def test_the_reset_link_arrives_over_smtp(client, owner, smtp_inbox):
    response = client.post("/dashboard/password-reset/", {"email": "owner@acme.test"})
    assert response.status_code == 302
    assert len(smtp_inbox.messages) == 1
    envelope = smtp_inbox.messages[0]
    assert envelope.rcpt_tos == ["owner@acme.test"]
    body = envelope.content.decode()
    assert "Subject: Set your Upstate password" in body
    assert "/dashboard/password-reset/" in body
