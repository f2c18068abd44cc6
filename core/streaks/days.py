"""Which local day an instant belongs to, and when a local day ends.

A member's day is their wall-clock calendar day in the zone they were in when they acted, shifted by their rollover
hour (rollover 4: the day ends at 04:00, so 03:30 on Tuesday still counts for Monday). Wall-clock arithmetic on an
aware datetime keeps this right across DST: 03:30 minus four hours is 23:30 the evening before, whatever the offset.

A day begins the first time the clock reaches its rollover hour, and once begun it stays begun. Two DST cases need
care, both real in Pacific/Chatham (changes at 02:45, so 03:00 falls inside the change): when the clocks jump over
the rollover hour the day begins at the jump, not when 03:00 would have been at the old offset; when they are set
back across it (03:45 back to 02:45), 02:45-03:00 on the second pass is still the day that began at the first 03:00,
not the day before again. So a day is never empty or repeated, and day_start(d) <= at < day_end(d) for
d = local_day(at).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from core.clock import jump_over

MAX_ROLLOVER = 6  # a later end of day would make the morning of one day count for the one before


def local_day(at: datetime, zone: str, rollover: int = 0) -> date:
    local = at.astimezone(ZoneInfo(zone))
    day = (local - timedelta(hours=rollover)).date()
    if not local.fold:
        return day
    # The clock shows an earlier day only on the second pass of a fold across the rollover hour: the day that began
    # on the first pass goes on.
    while day_start(day + timedelta(days=1), zone, rollover) <= at:
        day += timedelta(days=1)
    return day


def day_start(day: date, zone: str, rollover: int = 0) -> datetime:
    """The UTC instant at which local `day` begins: the first time the clock shows its rollover hour, or, when DST
    skips that hour, the instant the clocks jump past it."""
    tz = ZoneInfo(zone)
    wall = datetime.combine(day, time(rollover))
    first = wall.replace(tzinfo=tz).astimezone(UTC)  # fold=0: the first of two, if the clock shows it twice
    if first.astimezone(tz).replace(tzinfo=None) == wall:
        return first
    return jump_over(wall, zone)


def day_end(day: date, zone: str, rollover: int = 0) -> datetime:
    return day_start(day + timedelta(days=1), zone, rollover)
