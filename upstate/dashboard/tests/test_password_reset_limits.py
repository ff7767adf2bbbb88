"""Password reset emails are limited per address and per client, over a real SMTP server; the
answer is the same neutral one whether an email went out, no account exists, or a limit was
reached."""

from __future__ import annotations

import pytest

from upstate.dashboard.tests.test_password_reset_smtp import smtp_inbox  # noqa: F401 - fixture

SENT = "/dashboard/password-reset/sent/"


def _ask(client, email: str, ip: str = "198.51.100.7"):  # noqa: ANN001, ANN202
    return client.post("/dashboard/password-reset/", {"email": email}, REMOTE_ADDR=ip)


def test_fifteen_requests_for_one_address_send_three_emails(client, owner, smtp_inbox):  # noqa: F811
    answers = [_ask(client, "owner@acme.test") for _ in range(15)]
    assert {(a.status_code, a["Location"]) for a in answers} == {(302, SENT)}
    assert len(smtp_inbox.messages) == 3
    assert all(m.rcpt_tos == ["owner@acme.test"] for m in smtp_inbox.messages)


def test_the_limit_per_address_holds_across_clients(client, owner, smtp_inbox):  # noqa: F811
    for n in range(6):
        assert _ask(client, "OWNER@acme.test", ip=f"203.0.113.{n}")["Location"] == SENT
    assert len(smtp_inbox.messages) == 3


@pytest.mark.parametrize("limit", [4])
def test_one_client_asking_for_many_addresses_is_limited(
    client,
    org,
    smtp_inbox,  # noqa: F811
    settings,
    limit,
):
    from upstate.orgs.services import add_member

    settings.PASSWORD_RESET_LIMIT_PER_IP = limit
    for n in range(8):
        add_member(org=org, email=f"m{n}@acme.test", role="viewer", password="correct-horse-9")
    answers = [_ask(client, f"m{n}@acme.test") for n in range(8)]
    assert {a["Location"] for a in answers} == {SENT}
    assert len(smtp_inbox.messages) == limit
    # Another client is not held back by it.
    assert _ask(client, "m7@acme.test", ip="192.0.2.99")["Location"] == SENT
    assert len(smtp_inbox.messages) == limit + 1


def test_an_unknown_address_gets_the_same_answer_and_no_email(client, owner, smtp_inbox):  # noqa: F811
    answer = _ask(client, "nobody@acme.test")
    assert (answer.status_code, answer["Location"]) == (302, SENT)
    assert smtp_inbox.messages == []
