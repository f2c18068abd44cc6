"""Which local day an instant belongs to, and when a local day ends.

A member's day is their wall-clock calendar day in the zone they were in when they acted, shifted by their rollover
hour (rollover 4: the day ends at 04:00, so 03:30 on Tuesday still counts for Monday). Wall-clock arithmetic on an
aware datetime keeps this right across DST: 03:30 minus four hours is 23:30 the evening before, whatever the offset.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MAX_ROLLOVER = 6  # a later end of day would make the morning of one day count for the one before


def local_day(at: datetime, zone: str, rollover: int = 0) -> date:
    return (at.astimezone(ZoneInfo(zone)) - timedelta(hours=rollover)).date()


def day_start(day: date, zone: str, rollover: int = 0) -> datetime:
    """The UTC instant at which local `day` begins (a rollover hour that DST skips begins when the clocks jump)."""
    return datetime.combine(day, time(rollover), ZoneInfo(zone)).astimezone(UTC)


def day_end(day: date, zone: str, rollover: int = 0) -> datetime:
    return day_start(day + timedelta(days=1), zone, rollover)
