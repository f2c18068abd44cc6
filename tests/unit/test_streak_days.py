"""The local day of an instant (`core.streaks.days`) across zones, DST changes, rollover hours and zone changes.

The reference never converts an instant to local time with `astimezone`/`fromutc` as the code does: it finds the
offset in force at an instant from `ZoneInfo.utcoffset` alone (the one offset o for which the local time instant + o
is a real local time read back at o), adds it by hand and takes the rollover hour off. A day begins the first time
the clock shows the rollover hour, so where the clocks are set back across it (Pacific/Chatham, rollover 3) the
reference takes the latest day the clock has already reached, looking just before each change of the last days.

Instants are drawn over 2020-2030, half of them within hours of a DST change of the zone drawn, since that is where
a day boundary can go wrong. Profiles as in tests/fuzz (200 derandomized examples; HYPOTHESIS_PROFILE=full|dev).
No test reads the clock.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from core.streaks.days import MAX_ROLLOVER, day_end, day_start, local_day
from core.streaks.rules import decide

_PROFILES = {"ci": dict(max_examples=200, derandomize=True), "dev": dict(max_examples=25, derandomize=True),
             "full": dict(max_examples=10_000, derandomize=False)}
EXAMPLES = settings(deadline=None, database=None, print_blob=True, suppress_health_check=[HealthCheck.too_slow],
                    **_PROFILES[os.environ.get("HYPOTHESIS_PROFILE", "ci")])  # type: ignore[arg-type]

HOUR = timedelta(hours=1)
TICK = timedelta(microseconds=1)

# Day lengths in hours a zone can have in 2020-2030, whatever the rollover hour.
LENGTHS: dict[str, set[float]] = {
    "Asia/Karachi": {24},
    "America/New_York": {23, 24, 25},
    "Europe/London": {23, 24, 25},
    "Europe/Dublin": {23, 24, 25},  # "negative DST" in tzdata: winter is the exception, the clocks still move an hour
    "America/Santiago": {23, 24, 25},  # changes at midnight: rollover 0 falls on the jump
    "Africa/Casablanca": {23, 24, 25},  # set back and forward again around Ramadan
    "Australia/Lord_Howe": {23.5, 24, 24.5},  # 30-minute DST
    "Pacific/Kiritimati": {24},  # UTC+14
    "Pacific/Pago_Pago": {24},  # UTC-11
    "Asia/Kathmandu": {24},  # +5:45
    "Pacific/Chatham": {23, 23.25, 23.75, 24, 25},  # changes at 02:45: rollover 3 falls inside the jump
}
ZONES = sorted(LENGTHS)
FIRST, LAST = datetime(2020, 1, 1, tzinfo=UTC), datetime(2031, 1, 1, tzinfo=UTC)


# The reference ------------------------------------------------------------------------------------------------------


def is_real(wall: datetime, tz: ZoneInfo) -> bool:
    """A naive local time the clock shows at some instant: not in a gap. In a gap the offset `fold=1` reads is the
    later, larger one; in a fold it is the smaller; elsewhere the same."""
    later, earlier = tz.utcoffset(wall.replace(fold=1)), tz.utcoffset(wall.replace(fold=0))
    assert later is not None and earlier is not None
    return later <= earlier


def offset_at(at: datetime, tz: ZoneInfo) -> timedelta:
    """The UTC offset in force at instant `at`, from `utcoffset` alone."""
    utc = at.astimezone(UTC).replace(tzinfo=None)
    candidates = {tz.utcoffset((utc + timedelta(hours=h)).replace(fold=fold)) for h in range(-30, 31, 3)
                  for fold in (0, 1)}
    found = {offset for offset in candidates if offset is not None and is_real(utc + offset, tz)
             and offset in {tz.utcoffset((utc + offset).replace(fold=fold)) for fold in (0, 1)}}
    assert len(found) == 1, (at, found)
    return found.pop()


def wall_at(at: datetime, tz: ZoneInfo) -> datetime:
    """What the clock on the wall shows at `at` (naive), the offset applied by hand."""
    return at.astimezone(UTC).replace(tzinfo=None) + offset_at(at, tz)


@cache
def transitions(zone: str) -> tuple[datetime, ...]:
    """Every instant in 2020-2030 at which `zone` changes offset, to the second: a day-by-day scan, then halving."""
    tz = ZoneInfo(zone)

    def offset(at: datetime) -> timedelta | None:
        return at.astimezone(tz).utcoffset()

    found: list[datetime] = []
    at = FIRST - timedelta(days=2)
    while at < LAST:
        following = at + timedelta(days=1)
        if offset(at) != offset(following):  # halve in whole seconds (tzdata changes fall on them)
            low, high = int(at.timestamp()), int(following.timestamp())  # the old offset at low, the new at high
            while high - low > 1:
                middle = (low + high) // 2
                low, high = (middle, high) if offset(datetime.fromtimestamp(middle, UTC)) == offset(at) else (low, middle)
            found.append(datetime.fromtimestamp(high, UTC))
        at = following
    return tuple(found)


def reference_day(at: datetime, zone: str, rollover: int) -> date:
    """The latest day the clock has reached by `at`: the wall time less the rollover hour, now or just before any
    change of the last three days (where a clock set back had shown a later time than it shows now)."""
    tz = ZoneInfo(zone)
    passes = [at, *(change - TICK for change in transitions(zone) if at - timedelta(days=3) < change <= at)]
    return max((wall_at(moment, tz) - timedelta(hours=rollover)).date() for moment in passes)


# Strategies ---------------------------------------------------------------------------------------------------------


zones = st.sampled_from(ZONES)
rollovers = st.integers(0, MAX_ROLLOVER)


@st.composite
def instants(draw: st.DrawFn, zone: str) -> datetime:
    """Any second of 2020-2030, or one within ten hours of a DST change in `zone` (where a rollover hour of 0-6
    meets the change)."""
    changes, near = transitions(zone), draw(st.booleans())
    if changes and near:
        return draw(st.sampled_from(changes)) + timedelta(seconds=draw(st.integers(-10 * 3600, 10 * 3600)))
    return FIRST + timedelta(seconds=draw(st.integers(0, int((LAST - FIRST).total_seconds()) - 1)))


@st.composite
def cases(draw: st.DrawFn) -> tuple[str, int, datetime]:
    zone = draw(zones)
    return zone, draw(rollovers), draw(instants(zone))


# Properties ---------------------------------------------------------------------------------------------------------


# Always tried as well: Pacific/Chatham, rollover 3, just after the jump over 03:00 and on the second pass of 02:45.
CHATHAM_JUMP = ("Pacific/Chatham", 3, datetime(2026, 9, 26, 14, 5, tzinfo=UTC))
CHATHAM_BACK = ("Pacific/Chatham", 3, datetime(2026, 4, 4, 14, 5, tzinfo=UTC))


@EXAMPLES
@given(cases())
@example(CHATHAM_JUMP)
@example(CHATHAM_BACK)
def test_local_day_matches_the_wall_clock_reference(case: tuple[str, int, datetime]) -> None:
    """The day an activity is recorded on is the member's wall-clock day less their rollover hour."""
    zone, rollover, at = case
    assert local_day(at, zone, rollover) == reference_day(at, zone, rollover)


@EXAMPLES
@given(cases())
@example(CHATHAM_JUMP)
@example(CHATHAM_BACK)
def test_the_day_of_an_instant_contains_it_and_begins_exactly_at_its_start(case: tuple[str, int, datetime]) -> None:
    """Streak expiry and nudges use `day_end`: the instant must lie in [day_start, day_end) of its own day, and
    those boundaries must be exact (the instant before the start is the day before, the end the day after)."""
    zone, rollover, at = case
    day = local_day(at, zone, rollover)
    start, end = day_start(day, zone, rollover), day_end(day, zone, rollover)
    assert start.tzinfo is not None and end.tzinfo is not None
    assert start <= at < end
    assert local_day(start, zone, rollover) == day == local_day(end - TICK, zone, rollover)
    assert local_day(start - TICK, zone, rollover) == day - timedelta(days=1)
    assert local_day(end, zone, rollover) == day + timedelta(days=1)


@EXAMPLES
@given(cases())
@example(CHATHAM_JUMP)
@example(CHATHAM_BACK)
def test_day_boundaries_are_real_instants_and_days_last_as_the_clocks_say(case: tuple[str, int, datetime]) -> None:
    """A day begins when the clock first shows the rollover hour; if DST skips that hour, at the instant the clocks
    jump past it (never at a local time that does not exist). A day is 24 h, or 24 h less the change of offset
    across it (23/25 h, 23.5/24.5 h on Lord Howe), or shorter still when the jump skips its start."""
    zone, rollover, at = case
    for around in (-1, 0, 1):
        check_day_boundaries(local_day(at, zone, rollover) + timedelta(days=around), zone, rollover)


def check_day_boundaries(day: date, zone: str, rollover: int) -> None:
    tz = ZoneInfo(zone)
    start, end = day_start(day, zone, rollover), day_end(day, zone, rollover)
    for boundary, of in ((start, day), (end, day + timedelta(days=1))):
        rollover_wall = datetime.combine(of, time(rollover))
        if is_real(rollover_wall, tz):  # shown at the boundary, and not before it (the first pass, if twice)
            assert wall_at(boundary, tz) == rollover_wall
        else:  # skipped: the clocks jump past it right at the boundary
            assert wall_at(boundary - TICK, tz) < rollover_wall < wall_at(boundary, tz)
            assert boundary in transitions(zone)
    length = end - start
    assert length / HOUR in LENGTHS[zone]
    if length != 24 * HOUR:
        assert any(start <= change <= end for change in transitions(zone))
    if all(is_real(datetime.combine(of, time(rollover)), tz) for of in (day, day + timedelta(days=1))):
        assert length == 24 * HOUR - (offset_at(end, tz) - offset_at(start, tz))


@EXAMPLES
@given(st.data(), rollovers, st.integers(1, 20))
def test_changing_zone_neither_breaks_nor_inflates_a_streak(data: st.DataObject, rollover: int, length: int) -> None:
    """A member acting once an evening on consecutive local dates, each time in whatever zone they are in then,
    keeps a streak as long as the dates: the day comes from each activity's own zone, so flying west (a long day,
    perhaps a second evening on the same date) or east (a short one) neither skips a day nor adds one."""
    first = date(2020, 1, 1) + timedelta(days=data.draw(st.integers(0, 3_990), label="first"))
    days = []
    for n in range(length):
        zone = data.draw(zones, label="zone")
        minute = data.draw(st.integers(17 * 60, 23 * 60 + 59), label="minute")
        wall = datetime.combine(first + timedelta(days=n), time(minute // 60, minute % 60))
        days.append(local_day(wall.replace(tzinfo=ZoneInfo(zone)), zone, rollover))
        if data.draw(st.booleans(), label="flies west and acts again that evening"):
            west = data.draw(zones, label="west")
            again = wall.replace(tzinfo=ZoneInfo(west))
            if again > wall.replace(tzinfo=ZoneInfo(zone)):
                days.append(local_day(again, west, rollover))
    standing = decide(days, days[-1])
    assert (standing.current, standing.streak.frozen, standing.done_today) == (length, (), True)


# Named examples -----------------------------------------------------------------------------------------------------


def at(zone: str, year: int, month: int, day: int, hour: int, minute: int, fold: int = 0) -> datetime:
    """The instant a clock in `zone` shows that local time (the second time it does, with fold=1)."""
    return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(zone), fold=fold)


def evening(zone: str, day: date, hour: int) -> datetime:
    return at(zone, day.year, day.month, day.day, hour, 0)


def hours(start: datetime, end: datetime) -> float:
    return (end - start) / HOUR


def test_karachi_half_past_eleven_and_half_past_midnight_are_two_days() -> None:
    """An hour apart, either side of midnight: two active days, a streak of 2."""
    late, early = at("Asia/Karachi", 2026, 6, 15, 23, 30), at("Asia/Karachi", 2026, 6, 16, 0, 30)
    assert early - late == HOUR
    days = [local_day(late, "Asia/Karachi"), local_day(early, "Asia/Karachi")]
    assert days == [date(2026, 6, 15), date(2026, 6, 16)]
    assert decide(days, days[-1]).current == 2


@pytest.mark.parametrize(("change", "length"), [(date(2026, 3, 8), 23), (date(2026, 11, 1), 25)])
def test_new_york_check_ins_across_dst_are_consecutive_days(change: date, length: int) -> None:
    """Spring forward (8 March 2026) and fall back (1 November 2026): an evening check-in every day from two days
    before to two days after makes five consecutive days and an unbroken streak; the day of the change lasts 23 h
    or 25 h, the others 24 h."""
    zone = "America/New_York"
    evenings = [evening(zone, change + timedelta(days=n), 21) for n in range(-2, 3)]
    days = [local_day(moment, zone) for moment in evenings]
    assert days == [change + timedelta(days=n) for n in range(-2, 3)]
    standing = decide(days, days[-1])
    assert (standing.current, standing.streak.frozen) == (5, ())
    assert [hours(day_start(day, zone), day_end(day, zone)) for day in days] == [24, 24, length, 24, 24]


def test_new_york_rollover_hours_in_the_gap_and_the_fold() -> None:
    """Rollover 2 on 8 March 2026: 02:00 never shows, so the day begins at the jump (03:00 EDT) and lasts 23 h;
    01:59 EST is still the day before, a minute later the new day. Rollover 1 on 1 November 2026: 01:00 shows twice,
    the day begins at the first (EDT) and 01:30 on both passes is that same day, which lasts 25 h."""
    zone = "America/New_York"
    start = day_start(date(2026, 3, 8), zone, 2)
    assert start == at(zone, 2026, 3, 8, 3, 0) == datetime(2026, 3, 8, 7, 0, tzinfo=UTC)
    assert hours(start, day_end(date(2026, 3, 8), zone, 2)) == 23
    assert local_day(at(zone, 2026, 3, 8, 1, 59), zone, 2) == date(2026, 3, 7)
    assert local_day(at(zone, 2026, 3, 8, 3, 0), zone, 2) == date(2026, 3, 8)
    start = day_start(date(2026, 11, 1), zone, 1)
    assert start == datetime(2026, 11, 1, 5, 0, tzinfo=UTC)  # 01:00 EDT
    assert hours(start, day_end(date(2026, 11, 1), zone, 1)) == 25
    first_pass, second_pass = at(zone, 2026, 11, 1, 1, 30), at(zone, 2026, 11, 1, 1, 30, fold=1)
    assert second_pass.astimezone(UTC) - first_pass.astimezone(UTC) == HOUR  # (same-zone subtraction ignores fold)
    assert local_day(first_pass, zone, 1) == local_day(second_pass, zone, 1) == date(2026, 11, 1)


def test_chatham_rollover_three_inside_both_changes() -> None:
    """Pacific/Chatham changes at 02:45, so rollover 3 lies inside both changes (the case that was wrong).
    27 September 2026, 02:45 jumps to 03:45: the day begins at the jump, not a quarter of an hour after it (an
    activity at 03:50 was outside its own day). 5 April 2026, 03:45 goes back to 02:45: the day began at the first
    03:00 and the quarter hour 02:45-03:00 on the second pass stays in it (it was yesterday again)."""
    zone = "Pacific/Chatham"
    jump = datetime(2026, 9, 26, 14, 0, tzinfo=UTC)
    assert day_start(date(2026, 9, 27), zone, 3) == jump
    assert local_day(jump + timedelta(minutes=5), zone, 3) == date(2026, 9, 27)
    assert hours(day_start(date(2026, 9, 26), zone, 3), jump) == 23.75
    assert hours(jump, day_end(date(2026, 9, 27), zone, 3)) == 23.25
    back = datetime(2026, 4, 4, 14, 0, tzinfo=UTC)  # 03:45 +13:45 becomes 02:45 +12:45
    first_three = day_start(date(2026, 4, 5), zone, 3)
    assert first_three == back - timedelta(minutes=45)
    assert {local_day(back + timedelta(minutes=m), zone, 3) for m in (0, 5, 14, 15, 16)} == {date(2026, 4, 5)}
    assert hours(first_three, day_end(date(2026, 4, 5), zone, 3)) == 25


def test_kiritimati_and_pago_pago_at_one_instant_are_on_different_days() -> None:
    """UTC+14 and UTC-11: at one instant the clocks are 25 hours apart (not 26: +14 less -11), so their calendar
    days differ by two here. Two members acting at the same instants every day each keep a 10-day streak in their
    own zone, and each stands on their own today."""
    same = datetime(2026, 6, 15, 10, 30, tzinfo=UTC)
    east, west = same.astimezone(ZoneInfo("Pacific/Kiritimati")), same.astimezone(ZoneInfo("Pacific/Pago_Pago"))
    assert (east.replace(tzinfo=None) - west.replace(tzinfo=None)) == 25 * HOUR
    assert local_day(same, "Pacific/Kiritimati") == date(2026, 6, 16)
    assert local_day(same, "Pacific/Pago_Pago") == date(2026, 6, 14)
    moments = [same + timedelta(days=n) for n in range(10)]
    now = datetime(2026, 6, 25, 9, 0, tzinfo=UTC)
    standings = {}
    for zone in ("Pacific/Kiritimati", "Pacific/Pago_Pago"):
        days = [local_day(moment, zone) for moment in moments]
        standings[zone] = decide(days, local_day(now, zone))
    kiritimati, pago_pago = standings["Pacific/Kiritimati"], standings["Pacific/Pago_Pago"]
    assert kiritimati.current == pago_pago.current == 10
    assert (kiritimati.today, kiritimati.done_today) == (date(2026, 6, 25), True)
    assert (pago_pago.today, pago_pago.done_today, pago_pago.at_risk) == (date(2026, 6, 24), False, False)
    # Pago Pago's days settled at Kiritimati's today would have spent a freeze on a day that is not over there yet.
    assert decide([local_day(moment, "Pacific/Pago_Pago") for moment in moments], date(2026, 6, 25)).streak.frozen


def evenings(zone: str, first: date, count: int) -> Iterable[tuple[datetime, str]]:
    for n in range(count):
        yield evening(zone, first + timedelta(days=n), 20), zone


def test_a_member_moving_karachi_new_york_karachi_keeps_an_exact_streak() -> None:
    """Evenings at 20:00 local: five in Karachi, then a flight west and 20:00 again that same date in New York (a
    second activity on one local day), a week in New York across the DST change, a flight east, four in Karachi.
    The day of each activity comes from the zone in force then: 16 dates, a streak of 16, nothing frozen."""
    activity = [*evenings("Asia/Karachi", date(2026, 3, 1), 5), *evenings("America/New_York", date(2026, 3, 5), 8),
                *evenings("Asia/Karachi", date(2026, 3, 13), 4)]
    days = [local_day(moment, zone) for moment, zone in activity]
    assert sorted(set(days)) == [date(2026, 3, 1) + timedelta(days=n) for n in range(16)]
    standing = decide(days, date(2026, 3, 16))
    assert (standing.current, standing.streak.frozen, standing.done_today) == (16, (), True)


def test_rollover_four_counts_half_past_three_as_the_day_before() -> None:
    """Rollover 4: the day ends at 04:00, so 03:30 on Tuesday is Monday's, and 04:00 is Tuesday's."""
    for zone in ("Asia/Karachi", "America/New_York", "UTC"):
        assert local_day(at(zone, 2026, 12, 1, 3, 30), zone, 4) == date(2026, 11, 30)
        assert local_day(at(zone, 2026, 12, 1, 4, 0), zone, 4) == date(2026, 12, 1)
        assert day_start(date(2026, 12, 1), zone, 4) == at(zone, 2026, 12, 1, 4, 0)
