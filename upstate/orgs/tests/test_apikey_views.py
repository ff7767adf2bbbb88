"""Dashboard API keys screen: create (shown once), list with last use, revoke."""

from __future__ import annotations

import pytest

from upstate.orgs.models import ApiKey
from upstate.orgs.services import authenticate_api_key

BASE = "/dashboard/acme/api-keys/"


def _as(client, persona):
    client.force_login(persona.user)
    return client


def test_it_lists_keys_with_their_last_use(client, owner):
    authenticate_api_key(owner.key)

    response = _as(client, owner).get(BASE)

    assert response.status_code == 200
    assert b"owner key" in response.content
    assert b"ago" in response.content
    assert owner.key.encode() not in response.content


def test_a_new_key_is_shown_once_and_works(client, owner):
    response = _as(client, owner).post(f"{BASE}new/", {"name": "deploy bot", "role": "responder"})

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    plain = response.context["plain_key"]
    assert plain.encode() in response.content
    assert authenticate_api_key(plain).name == "deploy bot"
    assert plain.encode() not in client.get(BASE).content


def test_bad_input_shows_field_errors_and_writes_nothing(client, owner):
    count = ApiKey.objects.count()

    response = _as(client, owner).post(f"{BASE}new/", {"name": "", "role": "owner"})

    assert response.status_code == 400
    assert response.context["form"].errors.keys() == {"name", "role"}
    assert ApiKey.objects.count() == count


def test_it_revokes_after_confirmation(client, owner, responder):
    key = ApiKey.objects.get(name="responder key")
    _as(client, owner)

    assert b"Revoke the key" in client.get(f"{BASE}{key.code}/revoke/").content
    assert client.post(f"{BASE}{key.code}/revoke/").status_code == 302
    assert authenticate_api_key(responder.key) is None


def test_the_viewer_sees_no_write_controls(client, viewer):
    response = _as(client, viewer).get(BASE)

    assert response.status_code == 200
    assert b"Create key" not in response.content
    assert b"/revoke/" not in response.content


def test_the_viewer_gets_403_when_posting(client, viewer, owner):
    key = ApiKey.objects.get(org=owner.org, name="owner key")
    _as(client, viewer)

    assert client.post(f"{BASE}new/", {"name": "x", "role": "admin"}).status_code == 403
    assert client.post(f"{BASE}{key.code}/revoke/").status_code == 403
    assert authenticate_api_key(owner.key) is not None


def test_another_org_gets_404(client, outsider, owner):
    key = ApiKey.objects.get(org=owner.org, name="owner key")
    _as(client, outsider)

    assert client.post(f"{BASE}{key.code}/revoke/").status_code == 404
    assert client.post(f"/dashboard/globex/api-keys/{key.code}/revoke/").status_code == 404
    assert client.get(BASE).status_code == 404
    assert authenticate_api_key(owner.key) is not None


@pytest.mark.parametrize("suffix", ["", "new/"])
def test_anonymous_is_sent_to_login(client, owner, suffix):
    assert client.get(BASE + suffix)["Location"].startswith("/dashboard/login/")
