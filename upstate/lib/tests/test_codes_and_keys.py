from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from upstate.lib import apikeys
from upstate.lib.codes import is_code, new_code
from upstate.lib.timefmt import iso_ms


def test_codes_are_12_lowercase_base36():
    codes = {new_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(is_code(code) for code in codes)


def test_generated_key_matches_only_its_digest():
    new = apikeys.generate("secret")
    assert apikeys.split_lookup(new.key) == new.lookup
    assert apikeys.matches("secret", new.key, new.digest)
    assert not apikeys.matches("other-secret", new.key, new.digest)
    tampered = new.key[:-1] + ("a" if new.key[-1] != "a" else "b")
    assert not apikeys.matches("secret", tampered, new.digest)


@given(st.text(max_size=60))
def test_split_lookup_never_crashes_on_garbage(raw):
    lookup = apikeys.split_lookup(raw)
    assert lookup is None or len(lookup) == 12


def test_iso_ms_uses_z_for_utc_and_offset_elsewhere():
    from datetime import UTC, datetime

    moment = datetime(2026, 1, 5, 12, 0, 1, 892000, tzinfo=UTC)
    assert iso_ms(moment) == "2026-01-05T12:00:01.892Z"
    assert iso_ms(moment, "America/Los_Angeles") == "2026-01-05T04:00:01.892-08:00"
    assert iso_ms(None) is None
