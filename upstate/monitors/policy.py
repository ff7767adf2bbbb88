"""The alert policy's state machine, without the database: consecutive failures open an
outage, consecutive successes close it, and a single result in between changes nothing else
(so a flapping target neither opens nor resolves anything).

What an outage does to incidents (open one, post "still down", resolve it) is decided in
`services.apply_decision`, which knows about maintenance and about people who took over.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from upstate.monitors.models import MonitorStatus


class Transition(Enum):
    NONE = "none"
    WENT_DOWN = "went_down"  # the failure that reached failures_before_open
    STILL_DOWN = "still_down"  # another failure while down
    RECOVERED = "recovered"  # the success that reached successes_before_resolve


@dataclass(frozen=True)
class State:
    status: MonitorStatus
    failures: int = 0
    successes: int = 0


def decide(
    state: State, ok: bool, *, failures_needed: int, successes_needed: int
) -> tuple[State, Transition]:
    """The state after one more result, and what it means."""
    if ok:
        successes = state.successes + 1
        if state.status == MonitorStatus.DOWN:
            if successes >= successes_needed:
                return State(MonitorStatus.UP, 0, successes), Transition.RECOVERED
            return State(MonitorStatus.DOWN, 0, successes), Transition.NONE
        return State(MonitorStatus.UP, 0, successes), Transition.NONE
    failures = state.failures + 1
    if state.status == MonitorStatus.DOWN:
        return State(MonitorStatus.DOWN, failures, 0), Transition.STILL_DOWN
    if failures >= failures_needed:
        return State(MonitorStatus.DOWN, failures, 0), Transition.WENT_DOWN
    return State(state.status, failures, 0), Transition.NONE
