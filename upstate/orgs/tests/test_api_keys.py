from __future__ import annotations

import pytest

from upstate.lib.errors import InvalidInput
from upstate.orgs.models import ApiKey
from upstate.orgs.services import authenticate_api_key, create_api_key, revoke_api_key


def test_only_the_digest_is_stored(org):
    key, plain = create_api_key(org=org, role="viewer")
    stored = ApiKey.objects.get(id=key.id)
    assert plain not in (stored.digest, stored.lookup)
    assert plain.startswith("up_")
    assert authenticate_api_key(plain).id == key.id


def test_wrong_and_revoked_keys_fail(org):
    key, plain = create_api_key(org=org)
    assert authenticate_api_key(plain[:-2] + "zz") is None or plain.endswith("zz")
    assert authenticate_api_key("garbage") is None
    revoke_api_key(key=key)
    assert authenticate_api_key(plain) is None


def test_use_is_recorded(org):
    key, plain = create_api_key(org=org)
    authenticate_api_key(plain)
    assert ApiKey.objects.get(id=key.id).last_used_at is not None


def test_owner_role_is_not_a_key_role(org):
    with pytest.raises(InvalidInput) as caught:
        create_api_key(org=org, role="owner")
    assert caught.value.field == "role"
