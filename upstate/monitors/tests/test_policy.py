"""The alert policy's state machine on its own."""

from __future__ import annotations

from upstate.monitors.models import MonitorStatus
from upstate.monitors.policy import State, Transition, decide


def feed(results: str, *, failures: int = 3, successes: int = 2) -> list[Transition]:
    state = State(MonitorStatus.PENDING)
    seen = []
    for char in results:
        state, transition = decide(
            state, char == "+", failures_needed=failures, successes_needed=successes
        )
        seen.append(transition)
    return seen


def test_it_goes_down_on_the_nth_consecutive_failure():
    assert feed("--") == [Transition.NONE] * 2
    assert feed("---")[-1] is Transition.WENT_DOWN
    assert feed("-")[-1] is Transition.NONE
    assert feed("-", failures=1)[-1] is Transition.WENT_DOWN


def test_a_success_resets_the_failure_count():
    assert Transition.WENT_DOWN not in feed("--+--+--+")


def test_it_recovers_on_the_mth_consecutive_success_only():
    assert feed("---+-+-+") == [Transition.NONE] * 2 + [Transition.WENT_DOWN] + [
        Transition.NONE,
        Transition.STILL_DOWN,
    ] * 2 + [Transition.NONE]
    assert feed("---++")[-1] is Transition.RECOVERED
    assert feed("---+++")[-1] is Transition.NONE


def test_the_first_success_makes_a_new_monitor_up():
    state, _ = decide(State(MonitorStatus.PENDING), True, failures_needed=3, successes_needed=2)
    assert state.status == MonitorStatus.UP
