"""The one rule that decides a streak, from a member's active local days: every figure Rounds shows (`/streak`, the
leaderboard, the recap, the nudge) comes from here.

A streak counts active days in a row. One freeze is earned on every 7th day of a streak, and at most 2 are held. A
missed day is covered by a held freeze, which keeps the streak (a frozen day does not add to it); a gap longer than
the freezes held resets it. Today is never missed: it is still open until the member's day ends.

`advance` folds one more active day into a streak; `decide` folds a member's days and settles the result at today.
Stores keep the folded state, so a new day costs one `advance`, not a pass over every day since the first.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta

FREEZE_EVERY = 7
FREEZE_CAP = 2
KEPT_FROZEN = 8  # the most recent frozen days remembered up to the last active day, for "a freeze covered Tuesday"
# (a settled streak also names the days before today its freezes cover, at most FREEZE_CAP more)


@dataclass(frozen=True)
class Streak:
    current: int = 0
    longest: int = 0
    freezes: int = 0  # held
    last_day: date | None = None  # the latest active day
    frozen: tuple[date, ...] = ()  # days covered by a freeze in the current streak, oldest first

    @property
    def alive_through(self) -> date | None:
        """The last day on which activity still continues this streak (the held freezes cover the days before).
        Counted from the last active day with every freeze held then, so a streak `settle` has already spent
        freezes on (the days missed before today) gives the same day as before it was settled."""
        if self.last_day is None or self.current == 0:
            return None
        return self.last_day + timedelta(days=_unsettled(self).freezes + 1)


@dataclass(frozen=True)
class Standing:
    """A streak as of one local day."""

    streak: Streak
    today: date

    @property
    def current(self) -> int:
        return self.streak.current

    @property
    def done_today(self) -> bool:
        last = self.streak.last_day
        return last is not None and last >= self.today

    @property
    def at_risk(self) -> bool:
        """Not done today, and today is the last day this streak can be kept."""
        alive = self.streak.alive_through
        return not self.done_today and alive is not None and alive <= self.today


def advance(streak: Streak, day: date) -> Streak:
    """The streak after one more active day. A day not after the last one changes nothing (already counted, or an
    earlier day found late: `decide` over every day handles that)."""
    last = streak.last_day
    if last is not None and day <= last:
        return streak
    settled = _cover(_unsettled(streak), day)
    current = settled.current + 1
    freezes = min(FREEZE_CAP, settled.freezes + 1) if current % FREEZE_EVERY == 0 else settled.freezes
    return replace(settled, current=current, longest=max(settled.longest, current), freezes=freezes, last_day=day,
                   frozen=settled.frozen[-KEPT_FROZEN:])


def decide(days: Iterable[date], today: date) -> Standing:
    return settle(fold(days), today)


def fold(days: Iterable[date], streak: Streak | None = None) -> Streak:
    """Every active day folded in, in order; from `streak` when given (days after its last one)."""
    streak = streak or Streak()
    for day in sorted(set(days)):
        streak = advance(streak, day)
    return streak


def settle(streak: Streak, today: date) -> Standing:
    """The streak as it stands on `today`: the days missed before it are covered by freezes, or it is over. A
    settled streak may be settled again, or advanced, as if it never had been (a store may keep either)."""
    return Standing(_cover(_unsettled(streak), today), today)


def _unsettled(streak: Streak) -> Streak:
    """The streak as folded at its last active day: a `settle` spends freezes on days after that day (before its
    today), and those are held again here, so spending them again from the last day never counts a day twice."""
    last = streak.last_day
    if last is None or not streak.frozen or streak.frozen[-1] <= last:
        return streak
    spent = sum(1 for day in streak.frozen if day > last)
    return replace(streak, freezes=streak.freezes + spent, frozen=tuple(day for day in streak.frozen if day <= last))


def _cover(streak: Streak, day: date) -> Streak:
    """Spend freezes on the days missed between the last active day and `day` (not counting `day`). `streak` is
    unsettled: no freeze spent after its last day."""
    last = streak.last_day
    if last is None or streak.current == 0:
        return streak
    missed = (day - last).days - 1
    if missed <= 0:
        return streak
    if missed > streak.freezes:
        return replace(streak, current=0, freezes=0, frozen=())
    gap = tuple(last + timedelta(days=n) for n in range(1, missed + 1))
    return replace(streak, freezes=streak.freezes - missed, frozen=(*streak.frozen, *gap))
