"""Dashboard members screen: invite by email, change role, remove."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from upstate.orgs.models import Membership, Role

BASE = "/dashboard/acme/members/"


def _as(client, persona):
    client.force_login(persona.user)
    return client


@pytest.fixture(autouse=True)
def _mailbox(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def test_it_lists_members(client, owner, viewer):
    response = _as(client, owner).get(BASE)

    assert response.status_code == 200
    assert b"viewer@acme.test" in response.content
    assert b"Send invitation" in response.content


def test_an_invitation_emails_a_working_set_password_link(client, owner, settings):
    settings.PUBLIC_URL = "http://testserver"
    response = _as(client, owner).post(
        f"{BASE}invite/", {"email": "New@Acme.test", "role": "responder"}
    )

    assert response.status_code == 302
    membership = Membership.objects.get(user__email="new@acme.test")
    assert membership.role == Role.RESPONDER
    assert not membership.user.has_usable_password()
    [message] = mail.outbox
    assert message.to == ["new@acme.test"]
    link = re.search(r"http://testserver(/dashboard/password-reset/\S+)", message.body).group(1)
    client.logout()
    form = client.get(link, follow=True)
    assert form.status_code == 200
    done = client.post(
        form.redirect_chain[-1][0] if form.redirect_chain else link,
        {"new_password1": "brand-new-pass-7", "new_password2": "brand-new-pass-7"},
    )
    assert done.status_code == 302
    membership.user.refresh_from_db()
    assert membership.user.check_password("brand-new-pass-7")


def test_when_the_email_fails_the_link_is_shown_once(client, owner, monkeypatch):
    def broken(*args, **kwargs):
        raise OSError("SMTP down")

    monkeypatch.setattr("upstate.orgs.invites.send_mail", broken)

    response = _as(client, owner).post(f"{BASE}invite/", {"email": "x@acme.test", "role": "viewer"})

    assert response.status_code == 200
    assert b"could not be sent" in response.content
    assert b"/dashboard/password-reset/" in response.content
    assert Membership.objects.filter(user__email="x@acme.test").exists()


def test_bad_input_shows_field_errors_and_writes_nothing(client, owner):
    response = _as(client, owner).post(f"{BASE}invite/", {"email": "not-an-email", "role": "boss"})

    assert response.status_code == 400
    form = response.context["invite_form"]
    assert form.errors["email"] and form.errors["role"]
    assert b'value="not-an-email"' in response.content
    assert Membership.objects.count() == 1
    assert not mail.outbox


def test_an_existing_member_is_not_invited_twice(client, owner, viewer):
    response = _as(client, owner).post(
        f"{BASE}invite/", {"email": "viewer@acme.test", "role": "admin"}
    )

    assert response.status_code == 400
    assert "already a member" in response.context["invite_form"].errors["email"][0]
    assert Membership.objects.get(user=viewer.user).role == Role.VIEWER


def test_it_changes_a_role(client, owner, viewer):
    response = _as(client, owner).post(
        f"{BASE}role/", {"email": "viewer@acme.test", "role": "responder"}
    )

    assert response.status_code == 302
    assert Membership.objects.get(user=viewer.user).role == Role.RESPONDER


def test_the_last_owner_cannot_step_down(client, owner):
    response = _as(client, owner).post(
        f"{BASE}role/", {"email": "owner@acme.test", "role": "viewer"}
    )

    assert response.status_code == 400
    assert b"at least one owner" in response.content
    assert Membership.objects.get(user=owner.user).role == Role.OWNER


def test_an_admin_cannot_grant_the_owner_role(client, org, viewer):
    from upstate.orgs.services import add_member

    admin = add_member(org=org, email="admin@acme.test", role="admin", password="correct-horse-9")
    client.force_login(admin.user)

    response = client.post(f"{BASE}role/", {"email": "viewer@acme.test", "role": "owner"})

    assert response.status_code == 400
    assert Membership.objects.get(user=viewer.user).role == Role.VIEWER


def test_it_removes_a_member_after_confirmation(client, owner, viewer):
    _as(client, owner)

    page = client.get(f"{BASE}remove/?email=viewer@acme.test")
    assert b"Remove viewer@acme.test?" in page.content
    assert client.post(f"{BASE}remove/", {"email": "viewer@acme.test"}).status_code == 302
    assert not Membership.objects.filter(user=viewer.user).exists()


def test_the_viewer_sees_no_write_controls(client, viewer):
    response = _as(client, viewer).get(BASE)

    assert response.status_code == 200
    assert b"Send invitation" not in response.content
    assert b"Change role" not in response.content


@pytest.mark.parametrize("suffix", ["invite/", "role/", "remove/"])
def test_the_viewer_gets_403_when_posting(client, owner, viewer, suffix):
    data = {"email": "owner@acme.test", "role": "viewer"}

    response = _as(client, viewer).post(BASE + suffix, data)

    assert response.status_code == 403
    assert Membership.objects.get(user=owner.user).role == Role.OWNER


@pytest.mark.parametrize("suffix", ["", "invite/", "role/", "remove/"])
def test_another_org_gets_404(client, outsider, viewer, suffix):
    _as(client, outsider)

    assert (
        client.post(BASE + suffix, {"email": "viewer@acme.test", "role": "owner"}).status_code
        == 404
    )
    if suffix in ("role/", "remove/"):  # acme's member is no member of globex
        response = client.post(f"/dashboard/globex/members/{suffix}", {"email": "viewer@acme.test"})
        assert response.status_code == 404
    assert Membership.objects.filter(user=viewer.user, role=Role.VIEWER).exists()


def test_anonymous_is_sent_to_login(client, owner):
    assert client.get(BASE)["Location"].startswith("/dashboard/login/")
