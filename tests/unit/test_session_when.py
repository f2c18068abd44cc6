"""`/study new`'s `when` (core.sessions.when): the forms the issue names in four zones, the four DST nights of 2026
(US 03-08 and 11-01, EU 03-29 and 10-25), every refusal, and the dateparser behaviour the module corrects, pinned
here so an upgrade that changes it is seen.

Every "now" is a fixed instant handed in (from a FrozenClock); no test reads the clock. Expected starts are written
as local wall times and turned into instants with zoneinfo here, not with the code under test.
"""

from __future__ import annotations

import os
import time as systime
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from dateparser.date import DateDataParser
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.clock import FrozenClock
from core.errors import UserError
from core.sessions.when import MAX_WHEN, parse_when

_PROFILES = {"ci": dict(max_examples=100, derandomize=True), "dev": dict(max_examples=25, derandomize=True),
             "full": dict(max_examples=2_000, derandomize=False)}
EXAMPLES = settings(deadline=None, database=None, print_blob=True, suppress_health_check=[HealthCheck.too_slow],
                    **_PROFILES[os.environ.get("HYPOTHESIS_PROFILE", "ci")])  # type: ignore[arg-type]
ZONES = ["Asia/Karachi", "America/New_York", "Europe/Berlin", "Pacific/Kiritimati"]


def at(zone: str, *wall: int, fold: int = 0) -> datetime:
    """The UTC instant of a local wall time, by zoneinfo (fold=0: the first pass of a repeated time)."""
    return datetime(*wall, tzinfo=ZoneInfo(zone), fold=fold).astimezone(UTC)  # type: ignore[misc]


def now_at(zone: str, *wall: int) -> datetime:
    return FrozenClock(at(zone, *wall)).now()


def refused(text: str, zone: str, now: datetime) -> str:
    with pytest.raises(UserError) as caught:
        parse_when(text, zone, now)
    return str(caught.value)


# The forms the issue names, in four zones --------------------------------------------------------------------------

THURSDAY = (2026, 12, 3, 10, 0)  # Thursday 3 December 2026, 10:00 local
FORMS = {
    "tue 8pm": (2026, 12, 8, 20, 0),
    "tomorrow 19:30": (2026, 12, 4, 19, 30),
    "next friday 7am": (2026, 12, 4, 7, 0),  # dateparser: on a Thursday, "next friday" is the next Friday, tomorrow
    "in 2 hours": (2026, 12, 3, 12, 0),
    "2026-12-15 20:00": (2026, 12, 15, 20, 0),
    "Tue 8 PM": (2026, 12, 8, 20, 0),
    "8pm": (2026, 12, 3, 20, 0),
    "thu 9am": (2026, 12, 10, 9, 0),  # today's weekday, time already past: next week
}


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("text", FORMS)
def test_the_issue_forms_in_each_zone(zone: str, text: str) -> None:
    when = parse_when(text, zone, now_at(zone, *THURSDAY))
    assert when.at == at(zone, *FORMS[text])
    assert when.at.tzinfo is UTC
    assert when.zone == zone and when.local.replace(tzinfo=None) == datetime(*FORMS[text])


def test_the_local_day_not_the_utc_day_is_the_base() -> None:
    """Kiritimati is UTC+14: at 20:00 UTC on Thursday it is already Friday 10:00 there, so "tomorrow" is Saturday."""
    now = datetime(2026, 12, 3, 20, 0, tzinfo=UTC)
    assert parse_when("tomorrow 19:30", "Pacific/Kiritimati", now).at == at("Pacific/Kiritimati", 2026, 12, 5, 19, 30)
    assert parse_when("tue 8pm", "Pacific/Kiritimati", now).at == at("Pacific/Kiritimati", 2026, 12, 8, 20, 0)
    assert parse_when("tomorrow 19:30", "Asia/Karachi", now).at == at("Asia/Karachi", 2026, 12, 5, 19, 30)  # 01:00 Fri


def test_same_instant_typed_in_two_zones_differs_by_their_offsets() -> None:
    now = datetime(2026, 12, 3, 0, 0, tzinfo=UTC)
    karachi = parse_when("2026-12-15 20:00", "Asia/Karachi", now).at
    berlin = parse_when("2026-12-15 20:00", "Europe/Berlin", now).at
    assert berlin - karachi == timedelta(hours=4)


# Today's weekday: "today if still ahead" ---------------------------------------------------------------------------


def test_dateparser_alone_skips_today_for_a_weekday() -> None:
    """The behaviour corrected: PREFER_DATES_FROM='future' reads "tue 8pm" on a Tuesday at 10:00 as next week."""
    parser = DateDataParser(languages=["en"], settings={"RELATIVE_BASE": datetime(2026, 12, 8, 10, 0),
                                                        "PREFER_DATES_FROM": "future", "TIMEZONE": "UTC"})
    assert parser.get_date_data("tue 8pm").date_obj == datetime(2026, 12, 15, 20, 0)


@pytest.mark.parametrize("zone", ZONES)
def test_a_weekday_that_is_today_is_today_while_the_time_is_ahead(zone: str) -> None:
    assert parse_when("tue 8pm", zone, now_at(zone, 2026, 12, 8, 10, 0)).at == at(zone, 2026, 12, 8, 20, 0)
    assert parse_when("tue 8pm", zone, now_at(zone, 2026, 12, 8, 19, 59)).at == at(zone, 2026, 12, 8, 20, 0)
    assert parse_when("tue 8pm", zone, now_at(zone, 2026, 12, 8, 20, 0)).at == at(zone, 2026, 12, 15, 20, 0)
    assert parse_when("tue 8pm", zone, now_at(zone, 2026, 12, 8, 21, 0)).at == at(zone, 2026, 12, 15, 20, 0)
    assert parse_when("tue 8pm", zone, now_at(zone, 2026, 12, 9, 10, 0)).at == at(zone, 2026, 12, 15, 20, 0)


def test_next_weekday_on_that_weekday_is_a_week_later() -> None:
    zone = "Asia/Karachi"
    assert parse_when("next tue 8pm", zone, now_at(zone, 2026, 12, 8, 10, 0)).at == at(zone, 2026, 12, 15, 20, 0)


def test_a_bare_time_already_past_today_is_tomorrow() -> None:
    zone = "Europe/Berlin"
    assert parse_when("8pm", zone, now_at(zone, 2026, 12, 3, 21, 0)).at == at(zone, 2026, 12, 4, 20, 0)


def test_a_day_and_month_already_past_is_next_year() -> None:
    zone = "Asia/Karachi"
    assert parse_when("1 dec 8pm", zone, now_at(zone, *THURSDAY)).at == at(zone, 2027, 12, 1, 20, 0)


# The four DST nights of 2026 -----------------------------------------------------------------------------------------


def test_us_spring_forward_wall_times_either_side() -> None:
    zone = "America/New_York"
    saturday = now_at(zone, 2026, 3, 7, 12, 0)  # EST, UTC-5
    assert parse_when("tomorrow 19:30", zone, saturday).at == datetime(2026, 3, 8, 23, 30, tzinfo=UTC)  # EDT, UTC-4
    assert parse_when("tomorrow 1:30am", zone, saturday).at == datetime(2026, 3, 8, 6, 30, tzinfo=UTC)  # still EST
    assert parse_when("2026-03-08 03:00", zone, saturday).at == datetime(2026, 3, 8, 7, 0, tzinfo=UTC)


@pytest.mark.parametrize(("zone", "text", "saturday"), [
    ("America/New_York", "2026-03-08 02:30", (2026, 3, 7, 12, 0)),
    ("America/New_York", "tomorrow 2:30am", (2026, 3, 7, 12, 0)),
    ("Europe/Berlin", "2026-03-29 02:30", (2026, 3, 28, 12, 0)),
    ("Europe/Berlin", "sun 2:15am", (2026, 3, 28, 12, 0)),
])
def test_a_wall_time_in_a_spring_gap_is_refused_naming_the_jump(zone: str, text: str, saturday: tuple[int, ...]) -> None:
    message = refused(text, zone, now_at(zone, *saturday))
    assert "does not exist" in message and zone in message
    assert "from 02:00 to 03:00" in message and "`03:00`" in message


def test_in_two_hours_is_elapsed_time_across_spring_forward() -> None:
    """00:30 EST + 2 hours is 03:30 EDT: naive wall arithmetic (dateparser's) would land on 02:30, inside the gap."""
    zone = "America/New_York"
    now = now_at(zone, 2026, 3, 8, 0, 30)
    assert parse_when("in 2 hours", zone, now).at == now + timedelta(hours=2)
    assert parse_when("in 2 hours", zone, now).local.replace(tzinfo=None) == datetime(2026, 3, 8, 3, 30)
    assert parse_when("in 90 minutes", zone, now).at == now + timedelta(minutes=90)


def test_in_two_hours_is_elapsed_time_across_fall_back() -> None:
    """00:30 EDT + 2 hours is 01:30 EST, the second pass of 01:30 (wall arithmetic would give 02:30 EST, 3 hours)."""
    zone = "America/New_York"
    now = now_at(zone, 2026, 11, 1, 0, 30)
    when = parse_when("in 2 hours", zone, now)
    assert when.at == now + timedelta(hours=2) == datetime(2026, 11, 1, 6, 30, tzinfo=UTC)
    assert when.repeated and when.local.fold == 1


def test_berlin_in_two_hours_across_both_changes() -> None:
    zone = "Europe/Berlin"
    for wall in ((2026, 3, 29, 1, 30), (2026, 10, 25, 1, 30)):
        now = now_at(zone, *wall)
        assert parse_when("in 2 hours", zone, now).at == now + timedelta(hours=2)


@pytest.mark.parametrize(("zone", "text", "first_pass"), [
    ("America/New_York", "2026-11-01 01:30", datetime(2026, 11, 1, 5, 30, tzinfo=UTC)),  # EDT, not 06:30 EST
    ("Europe/Berlin", "2026-10-25 02:30", datetime(2026, 10, 25, 0, 30, tzinfo=UTC)),  # CEST, not 01:30 CET
])
def test_a_repeated_wall_time_is_its_first_pass(zone: str, text: str, first_pass: datetime) -> None:
    when = parse_when(text, zone, datetime(2026, 10, 1, tzinfo=UTC))
    assert when.at == first_pass and when.repeated


def test_us_fall_back_evening_is_standard_time() -> None:
    zone = "America/New_York"
    saturday = now_at(zone, 2026, 10, 31, 12, 0)  # EDT
    assert parse_when("tomorrow 20:00", zone, saturday).at == datetime(2026, 11, 2, 1, 0, tzinfo=UTC)  # EST
    assert not parse_when("tomorrow 20:00", zone, saturday).repeated


def test_eu_changes_keep_the_wall_time() -> None:
    zone = "Europe/Berlin"
    assert parse_when("sun 8pm", zone, now_at(zone, 2026, 3, 28, 12, 0)).at == datetime(2026, 3, 29, 18, 0, tzinfo=UTC)
    assert parse_when("sun 8pm", zone, now_at(zone, 2026, 10, 24, 12, 0)).at == datetime(2026, 10, 25, 19, 0, tzinfo=UTC)


def test_zones_without_dst_are_unmoved_on_those_nights() -> None:
    for zone, hours in (("Asia/Karachi", 5), ("Pacific/Kiritimati", 14)):
        for day in ((2026, 3, 8), (2026, 3, 29), (2026, 10, 25), (2026, 11, 1)):
            when = parse_when(f"{day[0]}-{day[1]:02}-{day[2]:02} 02:30", zone, datetime(2026, 1, 1, tzinfo=UTC))
            assert when.at == datetime(*day, 2, 30, tzinfo=UTC) - timedelta(hours=hours)


# Refusals ---------------------------------------------------------------------------------------------------------


NOW = datetime(2026, 12, 3, 5, 0, tzinfo=UTC)  # Thursday 10:00 in Karachi


@pytest.mark.parametrize("text", ["yesterday 8pm", "2026-01-01 10:00", "now", "10am", "2 hours ago"])
def test_a_time_in_the_past_is_refused(text: str) -> None:
    message = refused(text, "Asia/Karachi", NOW)
    assert "already passed" in message and "`tue 8pm`" in message


def test_the_past_message_shows_the_reading_in_full() -> None:
    assert "Wednesday 2 December 2026, 20:00 Asia/Karachi" in refused("yesterday 8pm", "Asia/Karachi", NOW)


@pytest.mark.parametrize("text", ["next blursday", "soonish", "tue 25:00", "1765000000"])
def test_unreadable_text_is_refused_saying_what_works(text: str) -> None:
    message = refused(text, "Asia/Karachi", NOW)
    assert "can't read" in message
    for form in ("`tue 8pm`", "`tomorrow 19:30`", "`next friday 7am`", "`in 2 hours`", "`2026-12-15 20:00`"):
        assert form in message


@pytest.mark.parametrize("text", ["", "   ", "\n"])
def test_empty_text_is_refused(text: str) -> None:
    assert "Say when" in refused(text, "Asia/Karachi", NOW)


def test_over_long_text_is_refused() -> None:
    assert "characters long" in refused("tue 8pm " + "x" * MAX_WHEN, "Asia/Karachi", NOW)


@pytest.mark.parametrize("text", ["friday", "tomorrow", "in 2 days", "next week", "tomorrow at 7", "tue 20h", "mon 9"])
def test_a_day_without_a_time_is_refused(text: str) -> None:
    """dateparser reads these as midnight, the current time, the 20th or a month: all refused, asking for a time."""
    assert "needs a time of day" in refused(text, "Asia/Karachi", NOW)


@pytest.mark.parametrize("text", ["tue 8pm EST", "8pm +0500", "tomorrow 19:30 UTC"])
def test_a_zone_in_the_text_is_refused(text: str) -> None:
    assert "Leave the zone out" in refused(text, "America/New_York", NOW)


def test_more_than_a_year_ahead_is_refused() -> None:
    assert "up to a year ahead" in refused("2028-01-01 10:00", "Asia/Karachi", NOW)


def test_backticks_in_the_text_cannot_break_the_quote() -> None:
    message = refused("`@everyone` blursday", "Asia/Karachi", NOW)
    assert message.count("`") % 2 == 0


# Independence from the machine ---------------------------------------------------------------------------------------


@pytest.mark.skipif(not hasattr(systime, "tzset"), reason="needs time.tzset")
def test_the_machine_zone_does_not_matter(monkeypatch: pytest.MonkeyPatch) -> None:
    import tzlocal

    texts = ["tue 8pm", "in 2 hours", "tomorrow 19:30", "2026-12-15 20:00", "2026-11-01 01:30"]
    now = datetime(2026, 3, 8, 5, 30, tzinfo=UTC)
    results = []
    for machine in ("UTC", "Pacific/Kiritimati", "America/Los_Angeles"):
        monkeypatch.setenv("TZ", machine)
        systime.tzset()
        tzlocal.reload_localzone()
        results.append([parse_when(t, "America/New_York", now).at for t in texts])
    monkeypatch.undo()
    systime.tzset()
    tzlocal.reload_localzone()
    assert results[0] == results[1] == results[2]


# Properties ---------------------------------------------------------------------------------------------------------

NOWS = st.datetimes(datetime(2020, 1, 1), datetime(2030, 1, 1)).map(lambda d: d.replace(tzinfo=UTC))


@EXAMPLES
@given(zone=st.sampled_from(ZONES), now=NOWS, minutes=st.integers(1, 3 * 24 * 60).filter(lambda m: m % 1440))
def test_in_minutes_is_always_elapsed_time(zone: str, now: datetime, minutes: int) -> None:
    when = parse_when(f"in {minutes} minutes", zone, now)
    assert when.at == (now + timedelta(minutes=minutes)).replace(second=0, microsecond=0)


@EXAMPLES
@given(zone=st.sampled_from(ZONES + ["Europe/London", "Australia/Lord_Howe"]), now=NOWS,
       ahead=st.integers(1, 360 * 24 * 60))
def test_a_typed_date_and_time_is_that_wall_time_or_refused_in_a_gap(zone: str, now: datetime, ahead: int) -> None:
    tz = ZoneInfo(zone)
    wall = (now.astimezone(tz).replace(tzinfo=None) + timedelta(minutes=ahead)).replace(second=0, microsecond=0)
    text = f"{wall:%Y-%m-%d %H:%M}"
    first = wall.replace(tzinfo=tz).astimezone(UTC)
    exists = first.astimezone(tz).replace(tzinfo=None) == wall
    if not exists:
        assert "does not exist" in refused(text, zone, now)
    elif first <= now:  # a wall time ahead on the clock can be behind in time after a fall-back
        assert "already passed" in refused(text, zone, now)
    else:
        assert parse_when(text, zone, now).at == first


# Numeric dates -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["3/4 8pm", "03/04/2026 20:00", "4.3.2026 20:00"])
def test_a_numeric_date_read_two_ways_is_refused(text: str) -> None:
    message = refused(text, "Asia/Karachi", datetime(2026, 1, 8, 5, 0, tzinfo=UTC))
    assert "could be" in message and "March" in message and "April" in message
    assert "`2026-03-04 20:00`" in message or "`2026-04-03 20:00`" in message


@pytest.mark.parametrize("text", ["12/15 8pm", "15/12 8pm", "15.12.2026 20:00", "2026-12-15 20:00", "15 dec 8pm"])
def test_a_numeric_date_with_one_plausible_reading_stands(text: str) -> None:
    """Day-first dateparser reads "12/15 8pm" as 12 January 2115: not a date a session could have, so no doubt."""
    when = parse_when(text, "Asia/Karachi", datetime(2026, 1, 8, 5, 0, tzinfo=UTC))
    assert when.at == at("Asia/Karachi", 2026, 12, 15, 20, 0)


def test_the_suggested_forms_are_read_as_suggested() -> None:
    now = datetime(2026, 1, 8, 5, 0, tzinfo=UTC)
    assert parse_when("4 mar 20:00", "Asia/Karachi", now).at == at("Asia/Karachi", 2026, 3, 4, 20, 0)
    assert parse_when("2026-03-04 20:00", "Asia/Karachi", now).at == at("Asia/Karachi", 2026, 3, 4, 20, 0)
