from __future__ import annotations

import re

from django.core import mail

from upstate.orgs.services import add_member


def _link(message) -> str:  # noqa: ANN001
    return re.search(r"https?://[^/\s]+(/dashboard/password-reset/\S+/)", message.body).group(1)


def test_it_emails_a_link_that_sets_a_new_password(client, owner):
    response = client.post("/dashboard/password-reset/", {"email": "OWNER@acme.test"})
    assert response["Location"] == "/dashboard/password-reset/sent/"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["owner@acme.test"]
    assert mail.outbox[0].subject == "Set your Upstate password"
    form = client.get(_link(mail.outbox[0]), follow=True)
    assert form.status_code == 200
    set_url = form.redirect_chain[-1][0]
    new = {"new_password1": "a-brand-new-passphrase", "new_password2": "a-brand-new-passphrase"}
    done = client.post(set_url, new)
    assert done["Location"] == "/dashboard/password-reset/done/"
    assert client.login(username="owner@acme.test", password="a-brand-new-passphrase")


def test_it_says_the_same_for_unknown_addresses_and_sends_nothing(client, owner):
    response = client.post("/dashboard/password-reset/", {"email": "nobody@acme.test"})
    assert response["Location"] == "/dashboard/password-reset/sent/"
    assert mail.outbox == []


def test_invited_members_without_a_password_can_set_one(client, org):
    add_member(org=org, email="new@acme.test", role="responder")
    client.post("/dashboard/password-reset/", {"email": "new@acme.test"})
    assert len(mail.outbox) == 1


def test_a_used_link_is_refused(client, owner):
    client.post("/dashboard/password-reset/", {"email": "owner@acme.test"})
    link = _link(mail.outbox[0])
    set_url = client.get(link, follow=True).redirect_chain[-1][0]
    client.post(
        set_url, {"new_password1": "another-long-pass", "new_password2": "another-long-pass"}
    )
    again = client.get(link, follow=True)
    assert "This link has expired or was already used" in again.content.decode()


def test_mismatched_passwords_show_inline(client, owner):
    client.post("/dashboard/password-reset/", {"email": "owner@acme.test"})
    set_url = client.get(_link(mail.outbox[0]), follow=True).redirect_chain[-1][0]
    response = client.post(set_url, {"new_password1": "one-long-pass", "new_password2": "two"})
    assert response.status_code == 200
    assert (
        "didn’t match" in response.content.decode() or "didn't match" in response.content.decode()
    )
    assert client.login(username="owner@acme.test", password="correct-horse-9")
