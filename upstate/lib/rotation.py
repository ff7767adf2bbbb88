"""Who is on call: the arithmetic of a rotation, without the database.

A rotation hands over from one member to the next (in order, then round again) every day or
every week at a wall-clock time in its time zone, starting on a given date. Handovers follow
the wall clock across daylight-saving changes: a 09:00 handover stays at 09:00 local time, so
the shift that spans the change is an hour shorter or longer. A handover time that does not
exist on the day the clocks go forward (02:30 in Europe/Berlin) happens at the same offset as
before the change (03:30 local); one that exists twice when they go back happens the first time.

Overrides put someone else on call from `starts_at` until `ends_at`; where overrides overlap,
the one listed last wins.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# How many handovers to look through for the next change of person (a rotation where the same
# person follows themself, or many short overrides, still ends the search).
MAX_STEPS = 1000


@dataclass(frozen=True)
class Override:
    member: Hashable
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class Rotation:
    members: Sequence[Hashable]
    starts_on: date
    handover: time
    zone: ZoneInfo
    period_days: int = 7
    overrides: Sequence[Override] = field(default_factory=tuple)

    def shift_start(self, index: int) -> datetime:
        """When shift `index` (0 is the first) begins, in UTC."""
        day = self.starts_on + timedelta(days=index * self.period_days)
        local = datetime.combine(day, self.handover).replace(tzinfo=self.zone)
        return local.astimezone(UTC)

    def shift_index(self, at: datetime) -> int:
        """The shift running at `at`; negative before the rotation starts."""
        local_day = at.astimezone(self.zone).date()
        index = (local_day - self.starts_on).days // self.period_days
        while self.shift_start(index) > at:
            index -= 1
        while self.shift_start(index + 1) <= at:
            index += 1
        return index

    def scheduled(self, at: datetime) -> Hashable | None:
        """Who the schedule (without overrides) puts on call at `at`."""
        if not self.members:
            return None
        index = self.shift_index(at)
        return None if index < 0 else self.members[index % len(self.members)]

    def override_at(self, at: datetime) -> Override | None:
        found = None
        for override in self.overrides:
            if override.starts_at <= at < override.ends_at:
                found = override  # the last listed wins
        return found

    def on_call(self, at: datetime) -> Hashable | None:
        """Who is on call at `at`: an override's member, else the schedule's."""
        override = self.override_at(at)
        return override.member if override is not None else self.scheduled(at)

    def _boundaries_after(self, at: datetime) -> Iterator[datetime]:
        """Every moment after `at` when who is on call may change, in order."""
        points = sorted(
            {t for o in self.overrides for t in (o.starts_at, o.ends_at) if t > at},
            reverse=True,
        )
        index = self.shift_index(at) + 1 if self.members else None
        while True:
            handover = self.shift_start(index) if index is not None else None
            if points and (handover is None or points[-1] <= handover):
                point = points.pop()
                if handover is not None and point == handover:
                    index += 1  # type: ignore[operator]
                yield point
            elif handover is not None:
                index += 1  # type: ignore[operator]
                yield handover
            else:
                return

    def _boundaries_before(self, at: datetime) -> Iterator[datetime]:
        """Every moment at or before `at` when who is on call may have changed, newest first."""
        points = sorted({t for o in self.overrides for t in (o.starts_at, o.ends_at) if t <= at})
        index = self.shift_index(at) if self.members else None
        while True:
            handover = self.shift_start(index) if index is not None and index >= 0 else None
            if points and (handover is None or points[-1] >= handover):
                point = points.pop()
                if handover is not None and point == handover:
                    index -= 1  # type: ignore[operator]
                yield point
            elif handover is not None:
                index -= 1  # type: ignore[operator]
                yield handover
            else:
                return

    def change_after(self, at: datetime) -> datetime | None:
        """The first moment after `at` when someone else is on call; None: never."""
        current = self.on_call(at)
        for step, moment in enumerate(self._boundaries_after(at)):
            if self.on_call(moment) != current:
                return moment
            if step >= MAX_STEPS:
                break
        return None

    def since(self, at: datetime) -> datetime | None:
        """When the person on call at `at` took over (None: before anything we know of)."""
        current = self.on_call(at)
        taken = None
        for step, moment in enumerate(self._boundaries_before(at)):
            before = self.on_call(moment - timedelta(microseconds=1))
            taken = moment
            if before != current or step >= MAX_STEPS:
                break
        return taken


@dataclass(frozen=True)
class Shift:
    member: Hashable | None
    since: datetime | None
    until: datetime | None
    override: bool


def now_and_next(rotation: Rotation, at: datetime) -> tuple[Shift, Shift | None]:
    """Who is on call at `at` (since when, until when) and who follows (None: nobody ever)."""
    until = rotation.change_after(at)
    now = Shift(
        member=rotation.on_call(at),
        since=rotation.since(at),
        until=until,
        override=rotation.override_at(at) is not None,
    )
    if until is None:
        return now, None
    following = Shift(
        member=rotation.on_call(until),
        since=until,
        until=rotation.change_after(until),
        override=rotation.override_at(until) is not None,
    )
    return now, following
