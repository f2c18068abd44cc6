"""The .ics builder, read back with icalendar itself: instants, TZID and VTIMEZONE, RRULE and EXDATE across the DST
weeks of 2026 (US 03-08 and 11-01, EU 03-29 and 10-25). No test reads today's date."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import rrulestr
from icalendar import Calendar

from core.sessions.calendar import PRODID, CalendarEntry, calendar_ics, session_ics

STAMP = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


def entry(**overrides: object) -> CalendarEntry:
    values: dict[str, object] = dict(uid="session-1-community-7", topic="UWorld block 12", start=datetime(2026, 12, 15, 15, tzinfo=UTC),
                                     zone="Asia/Karachi", duration_minutes=90, stamp=STAMP)
    values.update(overrides)
    return CalendarEntry(**values)  # type: ignore[arg-type]


def parsed(data: bytes) -> Calendar:
    return Calendar.from_ical(data)


def only_event(data: bytes):  # type: ignore[no-untyped-def]
    events = parsed(data).walk("VEVENT")
    assert len(events) == 1
    return events[0]


def test_one_off_session_has_the_right_instants_in_the_authors_zone() -> None:
    data = session_ics(entry())
    event = only_event(data)
    start, end = event.decoded("dtstart"), event.decoded("dtend")
    assert start.astimezone(UTC) == datetime(2026, 12, 15, 15, tzinfo=UTC)
    assert end.astimezone(UTC) == datetime(2026, 12, 15, 16, 30, tzinfo=UTC)
    assert event["dtstart"].params["TZID"] == "Asia/Karachi"
    assert b"DTSTART;TZID=Asia/Karachi:20261215T200000" in data
    assert event.decoded("dtstamp") == STAMP
    assert "rrule" not in event and "exdate" not in event


def test_calendar_has_prodid_version_and_a_vtimezone_for_each_tzid() -> None:
    cal = parsed(session_ics(entry()))
    assert str(cal["prodid"]) == PRODID
    assert str(cal["version"]) == "2.0"
    assert [str(tz["tzid"]) for tz in cal.walk("VTIMEZONE")] == ["Asia/Karachi"]


def test_uid_is_stable_and_the_same_input_gives_the_same_bytes() -> None:
    assert session_ics(entry()) == session_ics(entry())
    assert str(only_event(session_ics(entry()))["uid"]) == "session-1-community-7@rounds.invalid"
    assert str(only_event(session_ics(entry(uid="x@example.org")))["uid"]) == "x@example.org"


def test_user_text_is_escaped_by_the_library_and_reads_back_whole() -> None:
    topic = "Cardio, renal; OET speaking\nRole-play: Ärztin – São Paulo 心臓"
    data = session_ics(entry(topic=topic, description="Bring notes; pens, coffee", link="https://meet.example/a?b=1,2"))
    assert b"Cardio\\, renal\\; OET speaking\\nRole-play" in data
    event = only_event(data)
    assert str(event["summary"]) == topic
    assert str(event["url"]) == "https://meet.example/a?b=1,2"
    assert "Bring notes; pens, coffee" in str(event["description"])


def test_a_feed_holds_several_sessions_with_one_vtimezone_per_zone() -> None:
    entries = [entry(uid="s1", zone="America/New_York"), entry(uid="s2", zone="Europe/Berlin"), entry(uid="s3", zone="Europe/Berlin")]
    cal = parsed(calendar_ics(entries, name="My study sessions"))
    assert [str(e["uid"]) for e in cal.walk("VEVENT")] == ["s1@rounds.invalid", "s2@rounds.invalid", "s3@rounds.invalid"]
    assert sorted(str(tz["tzid"]) for tz in cal.walk("VTIMEZONE")) == ["America/New_York", "Europe/Berlin"]
    assert str(cal["x-wr-calname"]) == "My study sessions"


def test_an_empty_feed_is_still_a_calendar() -> None:
    cal = parsed(calendar_ics([]))
    assert cal.walk("VEVENT") == [] and str(cal["prodid"]) == PRODID


@pytest.mark.parametrize("bad", [dict(start=datetime(2026, 12, 15, 15)), dict(duration_minutes=0), dict(zone="Mars/Olympus")])
def test_bad_entries_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(Exception):  # noqa: B017 - ValueError, or zoneinfo's own error for an unknown zone
        entry(**bad)


# A weekly session starting two weeks before each change and running two weeks past it; the week right after the
# change is cancelled alone.
DST_CASES = [
    ("America/New_York", datetime(2026, 2, 22, 20, 0), datetime(2026, 3, 15, 20, 0)),  # US spring 03-08 (a Sunday)
    ("America/New_York", datetime(2026, 10, 18, 20, 0), datetime(2026, 11, 8, 20, 0)),  # US autumn 11-01
    ("Europe/Berlin", datetime(2026, 3, 15, 19, 30), datetime(2026, 4, 5, 19, 30)),  # EU spring 03-29
    ("Europe/Berlin", datetime(2026, 10, 11, 19, 30), datetime(2026, 11, 1, 19, 30)),  # EU autumn 10-25
]


@pytest.mark.parametrize(("zone", "first_local", "cancelled_local"), DST_CASES)
def test_weekly_session_keeps_its_wall_time_across_dst_and_skips_the_cancelled_week(
        zone: str, first_local: datetime, cancelled_local: datetime) -> None:
    tz = ZoneInfo(zone)
    start = first_local.replace(tzinfo=tz).astimezone(UTC)
    data = session_ics(entry(zone=zone, start=start, weekly=True, excluded=[cancelled_local]))
    cal = parsed(data)
    event = only_event(data)
    assert str(event["dtstart"].params["TZID"]) == zone
    assert [str(t["tzid"]) for t in cal.walk("VTIMEZONE")] == [zone]
    assert event["rrule"].to_ical() == b"FREQ=WEEKLY"
    assert event["exdate"].params["TZID"] == zone
    assert b"EXDATE;TZID=" + zone.encode() + cancelled_local.strftime(":%Y%m%dT%H%M%S").encode() in data
    assert event.exdates == [cancelled_local.replace(tzinfo=tz)]  # icalendar 7's typed accessor

    # icalendar 7 writes and reads RRULE but does not expand it (recurring-ical-events is a separate package):
    # python-dateutil expands it from the parsed DTSTART, in the zone the TZID named.
    rule = rrulestr(event["rrule"].to_ical().decode(), dtstart=event.start)
    excluded = {at.astimezone(UTC) for at in event.exdates}
    weeks = [at for at in rule[:5] if at.astimezone(UTC) not in excluded]
    assert len(weeks) == 4
    assert all(at.astimezone(tz).time() == time(first_local.hour, first_local.minute) for at in weeks)
    assert all(at.astimezone(tz).weekday() == first_local.weekday() for at in weeks)
    assert cancelled_local.replace(tzinfo=tz) not in [at.astimezone(tz) for at in weeks]
    # The UTC instants move by the DST shift: the weeks are not 168 hours apart across the change.
    gaps = {weeks[i + 1].astimezone(UTC) - weeks[i].astimezone(UTC) for i in range(len(weeks) - 1)}
    assert gaps - {timedelta(weeks=1), timedelta(weeks=2)}


def test_an_aware_excluded_instant_is_written_in_the_sessions_zone() -> None:
    tz = ZoneInfo("Europe/Berlin")
    start = datetime(2026, 3, 15, 19, 30, tzinfo=tz)
    cancelled = datetime(2026, 4, 5, 19, 30, tzinfo=tz).astimezone(UTC)
    data = session_ics(entry(zone="Europe/Berlin", start=start, weekly=True, excluded=[cancelled]))
    assert b"EXDATE;TZID=Europe/Berlin:20260405T193000" in data
    assert b"DTSTART;TZID=Europe/Berlin:20260315T193000" in data
    assert b"DTEND;TZID=Europe/Berlin:20260315T210000" in data


def test_a_session_over_the_spring_jump_lasts_its_real_duration() -> None:
    tz = ZoneInfo("America/New_York")
    start = datetime(2026, 3, 8, 1, 30, tzinfo=tz)  # 01:30 EST; at 02:00 the clocks jump to 03:00
    data = session_ics(entry(zone="America/New_York", start=start, duration_minutes=60))
    event = only_event(data)
    assert event.end.astimezone(UTC) - event.start.astimezone(UTC) == timedelta(minutes=60)
    assert b"DTEND;TZID=America/New_York:20260308T033000" in data
