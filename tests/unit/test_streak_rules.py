"""The one streak rule (`core.streaks.rules`) against a reference that walks the calendar one day at a time.

`advance` folds a streak by jumping from one active day to the next and spending freezes on the whole gap at once;
the reference below never jumps: it visits every calendar day from the first activity to today and applies a small
state machine to each (active: count it, maybe earn a freeze; missed: spend a freeze or end the streak; today:
never missed). The two are written differently on purpose, so agreeing on arbitrary sets of days is evidence, not
a restatement. Hypothesis draws the days; the named examples below pin the cases the issue spells out.

Profiles as in tests/fuzz: 200 derandomized examples by default, `HYPOTHESIS_PROFILE=full` for 10,000 random ones,
`HYPOTHESIS_PROFILE=dev` for 25. No test reads the clock: every day is a literal or drawn.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.streaks.rules import FREEZE_CAP, FREEZE_EVERY, KEPT_FROZEN, Standing, Streak, advance, decide, settle

_PROFILES = {"ci": dict(max_examples=200, derandomize=True), "dev": dict(max_examples=25, derandomize=True),
             "full": dict(max_examples=10_000, derandomize=False)}
EXAMPLES = settings(deadline=None, database=None, print_blob=True, suppress_health_check=[HealthCheck.too_slow],
                    **_PROFILES[os.environ.get("HYPOTHESIS_PROFILE", "ci")])  # type: ignore[arg-type]

START = date(2026, 1, 5)  # any day: the rule knows nothing of weekdays or months
ONE = timedelta(days=1)


def day(n: int) -> date:
    return START + timedelta(days=n)


def run(first: int, last: int) -> list[date]:
    """Active on every day from `first` to `last`, both included."""
    return [day(n) for n in range(first, last + 1)]


# The reference ------------------------------------------------------------------------------------------------------


@dataclass
class Walk:
    """The reference's state after the days visited so far."""

    current: int = 0
    longest: int = 0
    freezes: int = 0
    frozen: list[date] = field(default_factory=list)  # every day a freeze covered in the current streak


@dataclass(frozen=True)
class Expected:
    current: int
    longest: int
    freezes: int
    frozen: tuple[date, ...]  # as Rounds keeps them: the latest KEPT_FROZEN up to the last active day, then the rest
    last_day: date | None
    done_today: bool
    at_risk: bool
    alive_through: date | None


def reference(days: set[date], today: date) -> Expected:
    """Visit every calendar day from the first activity to today, one at a time. Days after today are not drawn."""
    walk = Walk()
    visiting = min(days, default=today)
    while visiting <= today:
        if visiting in days:
            walk.current += 1
            walk.longest = max(walk.longest, walk.current)
            if walk.current % FREEZE_EVERY == 0 and walk.freezes < FREEZE_CAP:
                walk.freezes += 1
        elif visiting < today and walk.current > 0:  # missed; today is still open
            if walk.freezes > 0:
                walk.freezes -= 1
                walk.frozen.append(visiting)
            else:
                walk = Walk(longest=walk.longest)
        visiting += ONE
    last = max(days, default=None)
    done = today in days
    alive: date | None = None
    if walk.current > 0:  # walk on with no more activity: the streak lives on each day a freeze still covers before it
        ahead, held = (today + ONE if done else today), walk.freezes
        while True:
            alive = ahead
            if held == 0:
                break
            held -= 1
            ahead += ONE
    kept = tuple(d for d in walk.frozen if last is None or d <= last)[-KEPT_FROZEN:]
    spent = tuple(d for d in walk.frozen if last is not None and d > last)
    return Expected(current=walk.current, longest=walk.longest, freezes=walk.freezes, frozen=(*kept, *spent),
                    last_day=last, done_today=done, at_risk=walk.current > 0 and not done and walk.freezes == 0,
                    alive_through=alive)


def observed(standing: Standing) -> Expected:
    streak = standing.streak
    return Expected(current=standing.current, longest=streak.longest, freezes=streak.freezes, frozen=streak.frozen,
                    last_day=streak.last_day, done_today=standing.done_today, at_risk=standing.at_risk,
                    alive_through=streak.alive_through)


# Strategies ---------------------------------------------------------------------------------------------------------


@st.composite
def runs_and_gaps(draw: st.DrawFn) -> set[date]:
    """Runs of active days (long enough to earn freezes) separated by short gaps (short enough that freezes matter)."""
    days: set[date] = set()
    at = draw(st.integers(0, 3))
    for _ in range(draw(st.integers(0, 8))):
        length = draw(st.integers(1, 16))
        days.update(day(n) for n in range(at, at + length))
        at += length + draw(st.integers(1, 4))
    return days


scattered = st.sets(st.integers(0, 60), max_size=50).map(lambda ns: {day(n) for n in ns})
active_days = st.one_of(runs_and_gaps(), scattered)


@st.composite
def days_and_today(draw: st.DrawFn) -> tuple[set[date], date]:
    """Some active days and a today on or after the last of them (a member cannot act in the future)."""
    days = draw(active_days)
    last = max(days, default=START)
    return days, last + timedelta(days=draw(st.integers(0, 5)))


# Properties ---------------------------------------------------------------------------------------------------------


@EXAMPLES
@given(days_and_today())
def test_decide_matches_the_day_by_day_reference(case: tuple[set[date], date]) -> None:
    """Every figure Rounds shows comes from `decide`: current, longest, freezes held, frozen days, done today, at
    risk and the last day activity keeps the streak must all be what walking the calendar day by day gives."""
    days, today = case
    assert observed(decide(days, today)) == reference(days, today)


@EXAMPLES
@given(days_and_today())
def test_folding_one_day_at_a_time_equals_decide(case: tuple[set[date], date]) -> None:
    """Stores fold a new day with one `advance` instead of deciding over every day again: the two must agree."""
    days, today = case
    streak = Streak()
    for active in sorted(days):
        streak = advance(streak, active)
    assert settle(streak, today) == decide(days, today)


@EXAMPLES
@given(days_and_today(), st.data())
def test_a_settled_streak_folds_on_as_if_never_settled(case: tuple[set[date], date], data: st.DataObject) -> None:
    """A store may keep the streak as settled on some day (the recap, the board) and fold the next activity into
    that: a freeze already spent on a missed day must not be spent on it again, nor the day counted twice."""
    days, today = case
    streak = Streak()
    for active in sorted(days):
        last = streak.last_day
        if last is not None:  # settled on some day after the last activity, up to and including this one
            settled_on = last + timedelta(days=data.draw(st.integers(1, (active - last).days), label="settled on"))
            streak = settle(streak, settled_on).streak
        streak = advance(streak, active)
    assert settle(streak, today) == decide(days, today)
    standing = decide(days, today)
    assert settle(standing.streak, today) == standing  # settling twice is settling once
    later = today + timedelta(days=data.draw(st.integers(0, 5), label="later"))
    assert settle(standing.streak, later) == decide(days, later)


@EXAMPLES
@given(days_and_today(), st.data())
def test_a_day_already_counted_changes_nothing(case: tuple[set[date], date], data: st.DataObject) -> None:
    """Two check-ins on one local day are one active day, however they reach the rule."""
    days, today = case
    if not days:
        return
    again = data.draw(st.sampled_from(sorted(days)), label="again")
    assert decide([*days, again], today) == decide(days, today)
    streak = decide(days, today).streak
    assert advance(streak, again) == streak


@EXAMPLES
@given(days_and_today())
def test_invariants(case: tuple[set[date], date]) -> None:
    """Whatever the days: the longest streak is never shorter than the current one, 0 to 2 freezes are held, a
    streak alive is alive at least through today, and only an alive streak not done today can be at risk."""
    days, today = case
    standing = decide(days, today)
    streak = standing.streak
    assert streak.longest >= streak.current >= 0
    assert 0 <= streak.freezes <= FREEZE_CAP
    assert streak.current <= len(days)
    if streak.current > 0:
        assert streak.alive_through is not None and streak.alive_through >= today
    if standing.at_risk:
        assert streak.current > 0 and not standing.done_today and streak.alive_through == today


@EXAMPLES
@given(days_and_today())
def test_alive_through_is_the_last_day_activity_continues_the_streak(case: tuple[set[date], date]) -> None:
    """`alive_through` is what the nudge and the board's expiry use: activity on that day adds to the streak, and
    activity only the day after starts a new one."""
    days, today = case
    standing = decide(days, today)
    alive = standing.streak.alive_through
    if alive is None:
        assert decide({*days, today}, today).current == 1
        return
    assert decide({*days, alive}, alive).current == standing.current + 1
    assert decide({*days, alive + ONE}, alive + ONE).current == 1


# Named examples -----------------------------------------------------------------------------------------------------


def test_seven_days_earn_a_freeze() -> None:
    """A freeze is earned on the 7th day of a streak, not before."""
    assert decide(run(0, 5), day(5)).streak.freezes == 0
    seven = decide(run(0, 6), day(6))
    assert (seven.current, seven.streak.freezes) == (7, 1)


def test_fourteen_days_hold_two_freezes() -> None:
    """The 14th day earns the second freeze."""
    fourteen = decide(run(0, 13), day(13))
    assert (fourteen.current, fourteen.streak.freezes) == (14, 2)


def test_twenty_one_days_still_hold_two_freezes() -> None:
    """At most 2 freezes are held: the 21st day earns none beyond the cap."""
    twenty_one = decide(run(0, 20), day(20))
    assert (twenty_one.current, twenty_one.streak.longest, twenty_one.streak.freezes) == (21, 21, FREEZE_CAP)


def test_one_missed_day_after_seven_is_covered_and_named() -> None:
    """Day 7 missed after 7 active days: the freeze covers it, the streak goes on without counting it, and `frozen`
    names the day so the bot can say "a freeze covered Tuesday"."""
    standing = decide([*run(0, 6), day(8)], day(8))
    assert standing.current == 8
    assert standing.streak.freezes == 0
    assert standing.streak.frozen == (day(7),)


def test_two_missed_days_with_one_freeze_reset_the_streak() -> None:
    """A gap longer than the freezes held ends the streak: the next day starts a new one, the longest remembers."""
    standing = decide([*run(0, 6), day(9)], day(9))
    assert (standing.current, standing.streak.longest, standing.streak.freezes, standing.streak.frozen) == (1, 7, 0, ())


def test_today_not_yet_done_keeps_the_streak() -> None:
    """Today is open until the member's day ends: not having acted yet is not a missed day."""
    standing = decide(run(0, 4), day(5))
    assert standing.current == 5
    assert not standing.done_today
    assert standing.streak.alive_through == day(5)  # still keepable today (and so at risk: see the next test)


def test_at_risk_on_the_last_keepable_day() -> None:
    """At risk: not done today, and today is the last day activity keeps the streak (no freeze left to cover it)."""
    assert decide(run(0, 4), day(5)).at_risk  # 5 days, no freeze, nothing yet today
    assert not decide(run(0, 5), day(5)).at_risk  # done today
    held = decide(run(0, 6), day(7))  # 7 days hold a freeze: today can pass, tomorrow is the last day
    assert not held.at_risk and held.streak.alive_through == day(8)
    spent = decide(run(0, 6), day(8))  # the freeze covered day 7: today is the last keepable day
    assert spent.at_risk and spent.streak.alive_through == day(8)
    assert spent.streak.frozen == (day(7),)


def test_a_settle_that_spent_freezes_does_not_shorten_the_streak_life() -> None:
    """14 days hold 2 freezes; one covers a missed day 14 on day 15. The other still covers day 15, so the streak
    lives through day 16 and is not at risk on day 15 (it was wrongly shown at risk, through day 15, before)."""
    standing = decide(run(0, 13), day(15))
    assert (standing.current, standing.streak.freezes, standing.streak.frozen) == (14, 1, (day(14),))
    assert standing.streak.alive_through == day(16)
    assert not standing.at_risk


def test_advancing_a_settled_streak_does_not_spend_a_freeze_twice() -> None:
    """7 days, day 7 missed, settled on day 8 (the freeze covers day 7): activity on day 8 continues the streak.
    Folding day 8 into the settled streak once spent the freeze again and reset it to 1."""
    settled = settle(advance_all(run(0, 6)), day(8)).streak
    assert advance(settled, day(8)) == advance_all([*run(0, 6), day(8)])
    assert advance(settled, day(8)).current == 8


def test_frozen_days_are_kept_only_for_the_current_streak() -> None:
    """A reset forgets the days frozen in the streak it ended."""
    days = [*run(0, 6), *run(8, 14), *run(20, 22)]
    assert decide(days, day(22)).streak.frozen == ()
    assert decide(days[:-3], day(14)).streak.frozen == (day(7),)


def advance_all(days: list[date]) -> Streak:
    streak = Streak()
    for active in days:
        streak = advance(streak, active)
    return streak
