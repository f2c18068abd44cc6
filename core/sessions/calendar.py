"""A study session as an RFC 5545 calendar (`.ics`), built with the icalendar library.

A session is stored as an instant in UTC, but a calendar must carry it as wall-clock time in the author's zone
(DTSTART;TZID=Asia/Karachi:...) with a VTIMEZONE for that TZID: only then does a weekly RRULE keep "Tuesday 20:00"
at 20:00 after the clocks change, where a UTC DTSTART would drift by an hour twice a year. A cancelled occurrence is
an EXDATE at its local start in the same zone. The library does the text escaping (commas, semicolons, newlines) and
line folding, so user text never goes through hand-written escaping here.

Nothing here reads the wall clock: DTSTAMP is the instant the caller passes in (from its Clock), so the same
entries always give the same bytes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

PRODID = "-//Rounds//Study sessions//EN"
UID_DOMAIN = "rounds.invalid"  # a UID must be globally unique and stable; the domain part keeps ours apart
TIMEZONES_UNTIL = date(2038, 1, 1)  # how far the generated VTIMEZONE lists its changes (icalendar's own default)


@dataclass(frozen=True)
class CalendarEntry:
    """What a calendar needs to know of one session: the service maps its session onto this, so the builder takes
    no store row and no platform object."""

    uid: str  # stable across edits (e.g. "session-42-community-7"), so a calendar app updates rather than duplicates
    topic: str
    start: datetime  # aware; the first (or only) occurrence's instant
    zone: str  # the author's IANA zone: the zone in which a weekly session keeps its wall-clock time
    duration_minutes: int
    stamp: datetime  # aware; DTSTAMP, from the caller's Clock
    link: str | None = None
    description: str | None = None
    weekly: bool = False
    excluded: Sequence[datetime] = field(default_factory=tuple)  # local (naive) or aware starts of cancelled weeks

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.stamp.tzinfo is None:
            raise ValueError("CalendarEntry needs aware start and stamp instants")
        if self.duration_minutes <= 0:
            raise ValueError("CalendarEntry needs a positive duration")
        ZoneInfo(self.zone)  # an unknown zone fails here, not halfway through a feed


def session_ics(entry: CalendarEntry) -> bytes:
    """The `.ics` file for one session."""
    return calendar_ics([entry])


def calendar_ics(entries: Iterable[CalendarEntry], name: str | None = None) -> bytes:
    """One calendar holding several sessions (a member's feed body), with one VTIMEZONE per zone used."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    if name:
        cal.add("x-wr-calname", name)
    entries = list(entries)
    for entry in entries:
        cal.add_component(_event(entry))
    if entries:
        first = min(entry.start for entry in entries).date() - timedelta(days=1)  # a day's margin for any zone
        cal.add_missing_timezones(first_date=first, last_date=max(TIMEZONES_UNTIL, first + timedelta(days=366)))
    return cal.to_ical()


def _event(entry: CalendarEntry) -> Event:
    tz = ZoneInfo(entry.zone)
    start = entry.start.astimezone(tz)  # a zoneinfo datetime: icalendar writes DTSTART;TZID=<key>
    event = Event()
    event.add("uid", entry.uid if "@" in entry.uid else f"{entry.uid}@{UID_DOMAIN}")
    event.add("dtstamp", entry.stamp.astimezone(UTC))
    event.add("dtstart", start)
    # The end is the start's instant plus the duration, then shown in the zone: wall-clock arithmetic would give a
    # 90-minute session that starts at 01:30 on the night the clocks jump a nonexistent 03:00 end.
    event.add("dtend", (entry.start.astimezone(UTC) + timedelta(minutes=entry.duration_minutes)).astimezone(tz))
    event.add("summary", entry.topic)
    description = "\n\n".join(part for part in (entry.description, entry.link) if part)
    if description:
        event.add("description", description)
    if entry.link:
        event.add("url", entry.link)
    if entry.weekly:
        event.add("rrule", {"freq": "weekly"})
        if entry.excluded:
            event.add("exdate", [_local(at, tz) for at in entry.excluded])
    return event


def _local(at: datetime, tz: ZoneInfo) -> datetime:
    """An excluded occurrence as wall-clock time in the session's zone, so its EXDATE carries the same TZID."""
    if at.tzinfo is None:
        return at.replace(tzinfo=tz)
    return at.astimezone(tz)
