"""The `when` of `/study new`: plain language ("tue 8pm", "in 2 hours") read in the author's zone, as a UTC instant.

dateparser reads the words; everything about zones is done here with zoneinfo, so DST is right and the machine's own
zone never leaks in. What dateparser is given, and why:
- RELATIVE_BASE is the author's local wall time now (naive), taken from the injected clock, never the wall clock;
- TIMEZONE='UTC' so dateparser does pure wall arithmetic: with its default ('local') it attaches the machine's zone
  (tzlocal) to the base;
- PARSERS without 'timestamp' (a bare number read as a Unix time, in the machine's zone) or 'no-spaces-time';
- RETURN_TIME_AS_PERIOD, which says whether a time of day was given: "friday" is midnight, "tomorrow at 7" silently
  the current time, "tue 20h" the 20th; all are refused with a request for a time;
- languages=['en']: commands are in English, and detection would read "mon" in another language;
- DATE_ORDER='MDY' (English's own), and a second reading day-first: a numeric date the two read as different
  plausible dates ("3/4 8pm") is refused, asking for the month as a word or an ISO date. Day-first alone is no
  answer: it reads "12/15 8pm" as 12 January 2115.

What dateparser does that is corrected here (each found by trying it, and pinned by a test):
- PREFER_DATES_FROM='future' moves a weekday that is today a week ahead even when the time is still to come
  ("tue 8pm" on a Tuesday at 10:00 is the Tuesday after). So the text is also read with 'current_period', and the
  sooner of the two readings that is still ahead wins: today's 20:00, until it has passed;
- "in 2 hours" is wall arithmetic on the base: across a DST change that is an hour off, or inside the gap. A reading
  that moves exactly with the base by a span that is not whole days is elapsed time, so it is added to the instant
  now; "in 2 days" and "next week" keep the wall time.

- a bare hour count ("20h") is a span to dateparser, 20 hours from now, while "20h30" is 20:30; in French, Spanish
  and Portuguese "20h" is 20:00. Without "in" it is refused, with both readings to pick from.

What dateparser does that is kept: "next friday" said on a Thursday is the next day (not the Friday a week later);
"next tue" said on a Tuesday is a week later. The reply shows the date in full, so either is seen at once. A zone in
the text ("8pm EST") is refused: a fixed abbreviation is an hour off half the year, and dateparser would also read
the base in that zone.

Wall times in a DST gap are refused, not moved: the author sees the two times the jump separates and picks one. A
repeated time (fall back) is its first pass, as RFC 5545 reads it, so the `.ics` agrees (see core.sessions.local).
Starts are whole minutes; seconds from "in 2 hours" are dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from dateparser.date import DateDataParser

from core.errors import UserError
from core.sessions.local import gap, is_repeated, to_utc, to_wall
from core.text import quote

MAX_WHEN = 80  # characters
MAX_AHEAD = timedelta(days=366)  # sessions are planned up to a year ahead
EXAMPLES = "`tue 8pm`, `tomorrow 19:30`, `next friday 7am`, `in 2 hours` or `2026-12-15 20:00`"
_PROBE = timedelta(hours=1, minutes=7)  # a second base, to tell elapsed time ("in 2 hours") from a wall time
_DAY = timedelta(days=1)
_BARE_HOURS = re.compile(r"(\d{1,2})\s*h", re.IGNORECASE)  # "20h", "2 h": no "in", no minutes
_SETTINGS: dict[str, Any] = {"TIMEZONE": "UTC", "DATE_ORDER": "MDY", "RETURN_TIME_AS_PERIOD": True,
                             "PARSERS": ["relative-time", "absolute-time"]}


@dataclass(frozen=True)
class When:
    """A parsed start: the instant, and the wall time and zone it was read in (to show back in full)."""

    at: datetime  # aware, UTC
    zone: str
    wall: datetime  # naive local wall time the author meant
    repeated: bool = False  # the clock shows `wall` twice that night: `at` says which (the first, unless elapsed time)

    @property
    def local(self) -> datetime:
        """The start as an aware local time, for showing it back ("Tuesday 8 December, 20:00 Asia/Karachi")."""
        return self.at.astimezone(ZoneInfo(self.zone))


def parse_when(text: str, zone: str, now: datetime) -> When:
    """The start `text` names, read in `zone` relative to `now` (an aware instant from the clock). Raises UserError
    for empty, over-long, unreadable, past, too-distant or nonexistent (DST gap) times, saying what works."""
    if now.tzinfo is None:
        raise ValueError("parse_when needs an aware instant (a naive one would be read in the machine's zone)")
    typed = text.strip()
    if not typed:
        raise UserError(f"Say when the session starts, for example {EXAMPLES}.")
    if len(typed) > MAX_WHEN:
        raise UserError(f"`when` is {len(typed):,} characters long; keep it to {MAX_WHEN} or fewer, like {EXAMPLES}.")
    _not_bare_hours(typed)
    now = now.astimezone(UTC)
    base = to_wall(now, zone)
    later = _read(typed, base, "future")
    if later is None:
        raise UserError(f"I can't read `{quote(typed)}` as a time. Try {EXAMPLES}.")
    _unambiguous(typed, base, later)
    elapsed = _elapsed(typed, base, later)
    if elapsed is not None:
        at = _minute(now + elapsed)
        when = When(at, zone, to_wall(at, zone), repeated=is_repeated(to_wall(at, zone), zone))
    else:
        when = _wall_when(typed, zone, now, base, later)
    return _checked(when, typed, now)


def _not_bare_hours(text: str) -> None:
    """Refuse "20h" (20:00 to many, 20 hours from now to dateparser) rather than pick a reading silently."""
    bare = _BARE_HOURS.fullmatch(text)
    if bare is not None and int(bare[1]) <= 23:
        hours = int(bare[1])
        raise UserError(f"`{quote(text)}` could be {hours:02d}:00 or {hours} hour{'' if hours == 1 else 's'} from now: "
                        f"write `{hours:02d}:00` or `in {hours} hour{'' if hours == 1 else 's'}`.")


def _read(text: str, base: datetime, prefer: str, order: str = "MDY") -> datetime | None:
    """dateparser's reading of `text` from the naive wall time `base`: naive, a time of day given, no zone named."""
    parser = DateDataParser(languages=["en"], settings={**_SETTINGS, "RELATIVE_BASE": base, "PREFER_DATES_FROM": prefer,
                                                        "DATE_ORDER": order})
    data = parser.get_date_data(text)
    if data.date_obj is None:
        return None
    if data.date_obj.tzinfo is not None:
        raise UserError(f"Leave the zone out of `{quote(text)}`: times are read in your own zone, so a session is "
                        f"never an hour off in summer. Try {EXAMPLES}.")
    if data.period != "time":
        raise UserError(f"`{quote(text)}` needs a time of day. Try {EXAMPLES}.")
    return data.date_obj


def _unambiguous(text: str, base: datetime, reading: datetime) -> None:
    """Refuse a numeric date that day-first and month-first read as two dates a session could have ("3/4 8pm": 4
    March or 3 April). Where only one is plausible ("12/15 8pm": day-first makes 15 a year, 2115) it stands."""
    other = _read(text, base, "future", order="DMY")
    plausible = {wall for wall in (reading, other) if wall is not None and base < wall <= base + MAX_AHEAD}
    if len(plausible) > 1:
        first, second = sorted(plausible)
        raise UserError(f"`{quote(text)}` could be {_shown(first)} or {_shown(second)}. Write the month as a word, "
                        f"like `{first.day} {MONTHS[first.month - 1][:3].lower()} {first:%H:%M}`, or the date as `{first:%Y-%m-%d %H:%M}`.")


def _elapsed(text: str, base: datetime, reading: datetime) -> timedelta | None:
    """The span from now that `text` names, when it names elapsed time ("in 90 minutes", "in 1 day 2 hours"): the
    reading moves with the base, by a span that is not whole days."""
    span = reading - base
    if span % _DAY == timedelta(0):
        return None
    try:
        probed = _read(text, base + _PROBE, "future")
    except UserError:
        return None
    return span if probed is not None and probed - (base + _PROBE) == span else None


def _wall_when(text: str, zone: str, now: datetime, base: datetime, later: datetime) -> When:
    """The sooner of the 'future' and 'current_period' readings still ahead of now ('future' alone skips today's
    weekday), refused if its wall time falls in a DST gap."""
    readings = [later]
    current = _read(text, base, "current_period")
    if current is not None:
        readings.append(current)
    walls = sorted({_minute(wall) for wall in readings})
    ahead = [wall for wall in walls if to_utc(wall, zone) > now]
    wall = ahead[0] if ahead else walls[-1]
    skipped = gap(wall, zone)
    if skipped is not None:
        raise UserError(f"{_shown(wall)} does not exist in {zone}: the clocks jump from {skipped.start:%H:%M} to "
                        f"{skipped.end:%H:%M} that night. Pick a time outside the jump, like `{skipped.end:%H:%M}`.")
    return When(to_utc(wall, zone), zone, wall, repeated=is_repeated(wall, zone))


def _checked(when: When, text: str, now: datetime) -> When:
    if when.at <= now:
        raise UserError(f"`{quote(text)}` is {_shown(when.wall)} {when.zone}, which has already passed. "
                        f"Pick a time ahead, like {EXAMPLES}.")
    if when.at - now > MAX_AHEAD:
        raise UserError(f"`{quote(text)}` is {_shown(when.wall)}: sessions can be planned up to a year ahead.")
    return when


def _minute(at: datetime) -> datetime:
    return at.replace(second=0, microsecond=0)


DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")


def _shown(wall: datetime) -> str:
    """'Tuesday 8 December 2026, 20:00', the form the reply shows a start in: English names whatever the process
    locale (strftime's %A and %B follow it)."""
    return f"{DAYS[wall.weekday()]} {wall.day} {MONTHS[wall.month - 1]} {wall.year}, {wall:%H:%M}"
