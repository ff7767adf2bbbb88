"""Rotation arithmetic around handovers, daylight-saving changes and overrides."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from upstate.lib.rotation import Override, Rotation, now_and_next

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def weekly(**kwargs) -> Rotation:  # noqa: ANN003
    defaults = {
        "members": ["ada", "bob", "cy"],
        "starts_on": date(2026, 1, 5),  # a Monday
        "handover": time(9, 0),
        "zone": BERLIN,
        "period_days": 7,
    }
    return Rotation(**{**defaults, **kwargs})


def test_the_first_member_takes_the_first_shift_at_the_handover_time():
    rotation = weekly()
    # 09:00 in Berlin in January is 08:00 UTC.
    assert rotation.on_call(utc(2026, 1, 5, 7, 59)) is None  # before the rotation starts
    assert rotation.on_call(utc(2026, 1, 5, 8, 0)) == "ada"
    assert rotation.on_call(utc(2026, 1, 12, 7, 59)) == "ada"
    assert rotation.on_call(utc(2026, 1, 12, 8, 0)) == "bob"
    assert rotation.on_call(utc(2026, 1, 19, 8, 0)) == "cy"
    assert rotation.on_call(utc(2026, 1, 26, 8, 0)) == "ada"  # round again


def test_a_daily_rotation_hands_over_every_day():
    rotation = weekly(period_days=1, zone=ZoneInfo("UTC"))
    assert rotation.on_call(utc(2026, 1, 5, 9, 0)) == "ada"
    assert rotation.on_call(utc(2026, 1, 6, 8, 59)) == "ada"
    assert rotation.on_call(utc(2026, 1, 6, 9, 0)) == "bob"
    assert rotation.on_call(utc(2026, 1, 8, 9, 0)) == "ada"


def test_handovers_follow_the_wall_clock_across_the_spring_change():
    # Berlin moves from UTC+1 to UTC+2 on 29 March 2026: the 09:00 handover moves an hour
    # earlier in UTC, and that shift is an hour short.
    rotation = weekly(starts_on=date(2026, 3, 23))
    assert rotation.shift_start(0) == utc(2026, 3, 23, 8, 0)
    assert rotation.shift_start(1) == utc(2026, 3, 30, 7, 0)
    assert rotation.on_call(utc(2026, 3, 30, 6, 59)) == "ada"
    assert rotation.on_call(utc(2026, 3, 30, 7, 0)) == "bob"


def test_handovers_follow_the_wall_clock_across_the_autumn_change():
    # New York moves from UTC-4 to UTC-5 on 1 November 2026.
    rotation = weekly(zone=NEW_YORK, starts_on=date(2026, 10, 31), period_days=1)
    assert rotation.shift_start(0) == utc(2026, 10, 31, 13, 0)
    assert rotation.shift_start(1) == utc(2026, 11, 1, 14, 0)  # a 25-hour shift
    assert rotation.on_call(utc(2026, 11, 1, 13, 30)) == "ada"
    assert rotation.on_call(utc(2026, 11, 1, 14, 0)) == "bob"


def test_a_handover_in_the_skipped_hour_happens_at_the_old_offset():
    # 02:30 does not exist in Berlin on 29 March 2026: the handover is at 01:30 UTC (03:30 CEST).
    rotation = weekly(handover=time(2, 30), starts_on=date(2026, 3, 28), period_days=1)
    assert rotation.shift_start(1) == utc(2026, 3, 29, 1, 30)
    assert rotation.on_call(utc(2026, 3, 29, 1, 29)) == "ada"
    assert rotation.on_call(utc(2026, 3, 29, 1, 30)) == "bob"
    assert rotation.shift_start(2) == utc(2026, 3, 30, 0, 30)  # CEST from then on


def test_a_handover_in_the_repeated_hour_happens_the_first_time():
    # 01:30 happens twice in New York on 1 November 2026 (EDT, then EST): the first counts.
    rotation = weekly(
        zone=NEW_YORK, handover=time(1, 30), starts_on=date(2026, 10, 31), period_days=1
    )
    assert rotation.shift_start(1) == utc(2026, 11, 1, 5, 30)
    assert rotation.on_call(utc(2026, 11, 1, 6, 0)) == "bob"


def test_an_override_wins_for_its_period_only():
    cover = Override("dee", utc(2026, 1, 7, 12, 0), utc(2026, 1, 8, 12, 0))
    rotation = weekly(overrides=[cover])
    assert rotation.on_call(utc(2026, 1, 7, 11, 59)) == "ada"
    assert rotation.on_call(utc(2026, 1, 7, 12, 0)) == "dee"
    assert rotation.on_call(utc(2026, 1, 8, 11, 59)) == "dee"
    assert rotation.on_call(utc(2026, 1, 8, 12, 0)) == "ada"


def test_the_last_listed_of_overlapping_overrides_wins():
    first = Override("dee", utc(2026, 1, 7), utc(2026, 1, 9))
    second = Override("eve", utc(2026, 1, 8), utc(2026, 1, 8, 12))
    rotation = weekly(overrides=[first, second])
    assert rotation.on_call(utc(2026, 1, 8, 6)) == "eve"
    assert rotation.on_call(utc(2026, 1, 8, 12)) == "dee"


def test_now_and_next_across_a_handover():
    rotation = weekly()
    now, following = now_and_next(rotation, utc(2026, 1, 10, 12, 0))
    assert (now.member, now.since, now.until) == ("ada", utc(2026, 1, 5, 8), utc(2026, 1, 12, 8))
    assert (following.member, following.since, following.until) == (
        "bob",
        utc(2026, 1, 12, 8),
        utc(2026, 1, 19, 8),
    )
    assert not now.override and not following.override


def test_now_and_next_with_an_override_inside_a_shift():
    cover = Override("dee", utc(2026, 1, 9, 18), utc(2026, 1, 10, 6))
    rotation = weekly(overrides=[cover])
    now, following = now_and_next(rotation, utc(2026, 1, 9, 12))
    assert (now.member, now.until) == ("ada", utc(2026, 1, 9, 18))
    assert (following.member, following.until, following.override) == (
        "dee",
        utc(2026, 1, 10, 6),
        True,
    )
    now, following = now_and_next(rotation, utc(2026, 1, 9, 20))
    assert (now.member, now.since, now.override) == ("dee", utc(2026, 1, 9, 18), True)
    assert (following.member, following.since) == ("ada", utc(2026, 1, 10, 6))


def test_an_override_by_the_next_member_bridges_into_their_shift():
    # bob covers the last day of ada's week, then his own week begins: one stretch for bob.
    cover = Override("bob", utc(2026, 1, 11, 8), utc(2026, 1, 12, 8))
    rotation = weekly(overrides=[cover])
    now, following = now_and_next(rotation, utc(2026, 1, 11, 12))
    assert (now.member, now.since, now.until) == ("bob", utc(2026, 1, 11, 8), utc(2026, 1, 19, 8))
    assert following.member == "cy"


def test_a_one_person_rotation_never_hands_over():
    rotation = weekly(members=["ada"])
    now, following = now_and_next(rotation, utc(2026, 2, 1))
    assert now.member == "ada" and now.until is None and following is None


def test_an_empty_rotation_has_nobody_but_its_overrides():
    cover = Override("dee", utc(2026, 1, 7), utc(2026, 1, 8))
    rotation = weekly(members=[], overrides=[cover])
    assert rotation.on_call(utc(2026, 1, 6)) is None
    now, following = now_and_next(rotation, utc(2026, 1, 6))
    assert now.member is None and following.member == "dee"
    assert following.until == utc(2026, 1, 8)


def test_the_schedule_is_the_same_far_from_its_start():
    rotation = weekly()
    moment = utc(2031, 6, 2, 12)  # five years on
    index = rotation.shift_index(moment)
    assert rotation.shift_start(index) <= moment < rotation.shift_start(index + 1)
    assert rotation.on_call(moment) == ["ada", "bob", "cy"][index % 3]
    assert rotation.shift_start(index + 1) - rotation.shift_start(index) in {
        timedelta(days=7),
        timedelta(days=7, hours=1),
        timedelta(days=7, hours=-1),
    }
