"""Weekly sessions (core.sessions.recurrence): the same local wall time every week across the DST changes of 2026
(US 03-08 and 11-01, EU 03-29 and 10-25), next occurrence, windows, one occurrence cancelled alone, and how a wall
time the clocks skip or repeat is read (RFC 5545: the offset before a gap, the first pass of a fold).

Expected instants are written out by hand or computed with zoneinfo here. No test reads the clock.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from core.errors import UserError
from core.sessions.recurrence import Weekly
from core.sessions.when import parse_when

_PROFILES = {"ci": dict(max_examples=150, derandomize=True), "dev": dict(max_examples=25, derandomize=True),
             "full": dict(max_examples=5_000, derandomize=False)}
EXAMPLES = settings(deadline=None, database=None, print_blob=True, suppress_health_check=[HealthCheck.too_slow],
                    **_PROFILES[os.environ.get("HYPOTHESIS_PROFILE", "ci")])  # type: ignore[arg-type]
WEEK = timedelta(days=7)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def local(at: datetime, zone: str) -> datetime:
    return at.astimezone(ZoneInfo(zone)).replace(tzinfo=None)


# Across the four DST changes ----------------------------------------------------------------------------------------


def test_new_york_sunday_evening_across_spring_forward() -> None:
    weekly = Weekly(datetime(2026, 3, 1, 20, 0), "America/New_York")
    assert weekly.between(utc(2026, 3, 1), utc(2026, 3, 23)) == [
        utc(2026, 3, 2, 1, 0),  # 20:00 EST
        utc(2026, 3, 9, 0, 0),  # 20:00 EDT, the evening of the change
        utc(2026, 3, 16, 0, 0),
    ]


def test_new_york_sunday_evening_across_fall_back() -> None:
    weekly = Weekly(datetime(2026, 10, 25, 20, 0), "America/New_York")
    assert weekly.between(utc(2026, 10, 25), utc(2026, 11, 16)) == [
        utc(2026, 10, 26, 0, 0),  # 20:00 EDT
        utc(2026, 11, 2, 1, 0),  # 20:00 EST
        utc(2026, 11, 9, 1, 0),
    ]


def test_berlin_across_both_eu_changes() -> None:
    weekly = Weekly(datetime(2026, 3, 22, 19, 0), "Europe/Berlin")
    assert weekly.between(utc(2026, 3, 22), utc(2026, 4, 1)) == [utc(2026, 3, 22, 18, 0), utc(2026, 3, 29, 17, 0)]
    autumn = Weekly(datetime(2026, 10, 18, 19, 0), "Europe/Berlin")
    assert autumn.between(utc(2026, 10, 18), utc(2026, 10, 28)) == [utc(2026, 10, 18, 17, 0), utc(2026, 10, 25, 18, 0)]


def test_a_session_in_new_york_seen_from_berlin_moves_twice_in_march() -> None:
    """US clocks change three weeks before the EU's: for Berlin the 20:00 New York session moves 02:00 -> 01:00 ->
    02:00 (local Berlin time, Monday morning), and every start is still 20:00 in New York."""
    weekly = Weekly(datetime(2026, 3, 1, 20, 0), "America/New_York")
    starts = weekly.between(utc(2026, 3, 1), utc(2026, 4, 6))
    assert [local(s, "Europe/Berlin").hour for s in starts] == [2, 1, 1, 1, 2]
    assert {local(s, "America/New_York").time().isoformat() for s in starts} == {"20:00:00"}


@pytest.mark.parametrize(("zone", "hours"), [("Asia/Karachi", 5), ("Pacific/Kiritimati", 14)])
def test_zones_without_dst_keep_one_utc_time(zone: str, hours: int) -> None:
    weekly = Weekly(datetime(2026, 3, 1, 20, 0), zone)
    starts = weekly.between(utc(2026, 2, 1), utc(2026, 12, 1))
    assert len(starts) == 40
    assert {(s + timedelta(hours=hours)).time().isoformat() for s in starts} == {"20:00:00"}
    assert all(b - a == WEEK for a, b in zip(starts, starts[1:], strict=False))


def test_kiritimati_keeps_its_local_weekday() -> None:
    """At UTC+14 a Monday 09:00 session starts on Sunday in UTC; it is still every Monday there."""
    weekly = Weekly(datetime(2026, 3, 2, 9, 0), "Pacific/Kiritimati")
    starts = weekly.between(utc(2026, 3, 1), utc(2026, 3, 20))
    assert starts == [utc(2026, 3, 1, 19, 0), utc(2026, 3, 8, 19, 0), utc(2026, 3, 15, 19, 0)]
    assert {local(s, "Pacific/Kiritimati").weekday() for s in starts} == {0}


# Wall times the clocks skip or repeat ---------------------------------------------------------------------------------


def test_a_skipped_wall_time_starts_after_the_jump_that_week_only() -> None:
    """RFC 5545: 02:30 on 2026-03-08 in New York is read at the offset before the gap, 03:30 EDT."""
    weekly = Weekly(datetime(2026, 3, 1, 2, 30), "America/New_York")
    starts = weekly.between(utc(2026, 3, 1), utc(2026, 3, 20))
    assert [local(s, "America/New_York") for s in starts] == [
        datetime(2026, 3, 1, 2, 30), datetime(2026, 3, 8, 3, 30), datetime(2026, 3, 15, 2, 30)]


def test_a_repeated_wall_time_is_its_first_pass() -> None:
    weekly = Weekly(datetime(2026, 10, 25, 1, 30), "America/New_York")
    assert weekly.between(utc(2026, 10, 25), utc(2026, 11, 9)) == [
        utc(2026, 10, 25, 5, 30), utc(2026, 11, 1, 5, 30), utc(2026, 11, 8, 6, 30)]  # 11-01: EDT, the first 01:30
    berlin = Weekly(datetime(2026, 10, 18, 2, 30), "Europe/Berlin")
    assert berlin.next_after(utc(2026, 10, 19)) == utc(2026, 10, 25, 0, 30)  # CEST, the first 02:30


def test_starting_from_a_parsed_when_keeps_its_wall_time() -> None:
    when = parse_when("sun 8pm", "America/New_York", utc(2026, 3, 1, 12, 0))  # Sunday morning in New York
    weekly = Weekly.starting(when.at, "America/New_York")
    assert weekly.first == datetime(2026, 3, 1, 20, 0)
    assert weekly.next_after(when.at) == utc(2026, 3, 9, 0, 0)


def test_starting_in_the_second_pass_of_a_repeated_hour_is_refused() -> None:
    second_pass = utc(2026, 11, 1, 6, 30)  # 01:30 EST, after 01:30 EDT
    with pytest.raises(UserError, match="comes twice"):
        Weekly.starting(second_pass, "America/New_York")
    assert Weekly.starting(utc(2026, 11, 1, 5, 30), "America/New_York").first == datetime(2026, 11, 1, 1, 30)


# Next occurrence, windows, the end, one occurrence cancelled -------------------------------------------------------


WEEKLY = Weekly(datetime(2026, 3, 1, 20, 0), "America/New_York")


def test_next_after_is_strictly_after() -> None:
    assert WEEKLY.next_after(utc(2026, 1, 1)) == utc(2026, 3, 2, 1, 0)  # before the first: the first
    assert WEEKLY.next_after(utc(2026, 3, 2, 1, 0)) == utc(2026, 3, 9, 0, 0)  # at a start: the next
    assert WEEKLY.next_after(utc(2026, 3, 9, 0, 0) - timedelta(microseconds=1)) == utc(2026, 3, 9, 0, 0)


def test_between_is_half_open() -> None:
    assert WEEKLY.between(utc(2026, 3, 9, 0, 0), utc(2026, 3, 16, 0, 0)) == [utc(2026, 3, 9, 0, 0)]
    assert WEEKLY.between(utc(2026, 3, 9, 0, 1), utc(2026, 3, 16, 0, 0)) == []
    assert WEEKLY.between(utc(2026, 3, 16), utc(2026, 3, 10)) == []


def test_until_ends_the_series() -> None:
    weekly = Weekly(datetime(2026, 3, 1, 20, 0), "America/New_York", until=utc(2026, 3, 16, 0, 0))
    assert weekly.between(utc(2026, 1, 1), utc(2027, 1, 1)) == [
        utc(2026, 3, 2, 1, 0), utc(2026, 3, 9, 0, 0), utc(2026, 3, 16, 0, 0)]
    assert weekly.next_after(utc(2026, 3, 16, 0, 0)) is None


def test_one_occurrence_is_cancelled_alone() -> None:
    cancelled = WEEKLY.without(utc(2026, 3, 9, 0, 0))
    assert cancelled.excluded == frozenset({datetime(2026, 3, 8, 20, 0)})  # its local start, as an EXDATE names it
    assert cancelled.between(utc(2026, 3, 1), utc(2026, 3, 23)) == [utc(2026, 3, 2, 1, 0), utc(2026, 3, 16, 0, 0)]
    assert cancelled.next_after(utc(2026, 3, 2, 1, 0)) == utc(2026, 3, 16, 0, 0)
    assert WEEKLY.between(utc(2026, 3, 1), utc(2026, 3, 23))[1] == utc(2026, 3, 9, 0, 0)  # the original is unchanged


def test_cancelling_a_moved_occurrence_names_its_rule_wall_time() -> None:
    weekly = Weekly(datetime(2026, 3, 1, 2, 30), "America/New_York")
    cancelled = weekly.without(utc(2026, 3, 8, 7, 30))  # 03:30 EDT, the 02:30 the clocks skipped
    assert cancelled.excluded == frozenset({datetime(2026, 3, 8, 2, 30)})


def test_cancelling_what_is_not_an_occurrence_is_refused() -> None:
    with pytest.raises(UserError, match="No occurrence"):
        WEEKLY.without(utc(2026, 3, 9, 1, 0))  # an hour late: 21:00 EDT
    with pytest.raises(UserError, match="No occurrence"):
        WEEKLY.without(utc(2026, 2, 23, 1, 0))  # a week before the first


def test_naive_and_aware_are_not_mixed_up() -> None:
    with pytest.raises(ValueError):
        Weekly(datetime(2026, 3, 1, 20, 0, tzinfo=UTC), "America/New_York")
    with pytest.raises(ValueError):
        Weekly(datetime(2026, 3, 1, 20, 0), "America/New_York", until=datetime(2026, 4, 1))


# Properties ----------------------------------------------------------------------------------------------------------

ZONES = ["Asia/Karachi", "America/New_York", "Europe/Berlin", "Pacific/Kiritimati", "Australia/Lord_Howe",
         "Pacific/Chatham", "America/Santiago"]
FIRSTS = st.datetimes(datetime(2020, 1, 1), datetime(2030, 1, 1)).map(lambda d: d.replace(second=0, microsecond=0))


def rfc5545(wall: datetime, zone: str) -> datetime:
    """The reference reading, straight from zoneinfo: fold=0 is the first pass of a fold and, in a gap, the offset
    before the jump."""
    return wall.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)


@EXAMPLES
@given(zone=st.sampled_from(ZONES), first=FIRSTS, weeks=st.integers(2, 60))
@example(zone="America/New_York", first=datetime(2026, 2, 22, 2, 30), weeks=3)  # skipped on 03-08
@example(zone="America/New_York", first=datetime(2026, 10, 18, 1, 30), weeks=4)  # repeated on 11-01
@example(zone="Europe/Berlin", first=datetime(2026, 3, 15, 2, 30), weeks=3)  # skipped on 03-29
@example(zone="Europe/Berlin", first=datetime(2026, 10, 11, 2, 30), weeks=3)  # repeated on 10-25
def test_every_week_is_the_same_wall_time_seven_local_days_on(zone: str, first: datetime, weeks: int) -> None:
    weekly = Weekly(first, zone)
    starts = weekly.between(rfc5545(first, zone), rfc5545(first + weeks * WEEK, zone))
    assert len(starts) == weeks
    for k, start in enumerate(starts):
        wall = first + k * WEEK  # seven local days on, at the same wall time
        assert start == rfc5545(wall, zone)
        shown = local(start, zone)
        if shown != wall:  # only when the clocks skip that wall time: shown after the jump, by the jump's size
            tz = ZoneInfo(zone)
            jump = wall.replace(tzinfo=tz, fold=1).utcoffset() - wall.replace(tzinfo=tz, fold=0).utcoffset()  # type: ignore[operator]
            assert jump > timedelta(0) and shown == wall + jump
    assert starts == sorted(set(starts))


@EXAMPLES
@given(zone=st.sampled_from(ZONES), first=FIRSTS, weeks=st.integers(1, 30), drop=st.integers(0, 29),
       probe=st.integers(-2 * 24 * 60, 40 * 7 * 24 * 60))
def test_windows_next_and_cancellation_agree(zone: str, first: datetime, weeks: int, drop: int, probe: int) -> None:
    weekly = Weekly(first, zone)
    start, end = rfc5545(first, zone) - timedelta(days=3), rfc5545(first + weeks * WEEK, zone)
    every = weekly.between(start, end)
    at = rfc5545(first, zone) + timedelta(minutes=probe)
    following = [s for s in weekly.between(start, max(end, at) + 2 * WEEK) if s > at]
    assert weekly.next_after(at) == following[0]
    gone = every[drop % len(every)]
    cancelled = weekly.without(gone)
    assert cancelled.between(start, end) == [s for s in every if s != gone]
    assert cancelled.next_after(gone - timedelta(microseconds=1)) != gone
