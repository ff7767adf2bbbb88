from __future__ import annotations

import pytest

from upstate.lib.secretbox import SecretUnreadable, hint, seal, unseal


def test_it_round_trips_and_hides_the_plain_text():
    sealed = seal("tok-123456789", secret_key="k1", purpose="twilio")
    assert "tok-123456789" not in sealed
    assert unseal(sealed, secret_key="k1", purpose="twilio") == "tok-123456789"


def test_it_refuses_another_key_or_purpose():
    sealed = seal("tok", secret_key="k1", purpose="twilio")
    with pytest.raises(SecretUnreadable):
        unseal(sealed, secret_key="k2", purpose="twilio")
    with pytest.raises(SecretUnreadable):
        unseal(sealed, secret_key="k1", purpose="whatsapp")


def test_it_shows_only_the_last_four_characters_of_long_secrets():
    assert hint("abcdefghijkl1234") == "••••1234"
    assert hint("short") == "••••"
    assert hint("") == ""
