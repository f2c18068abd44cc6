"""Local wall times and the instants they name, the one place a session's wall time becomes UTC.

A wall time names no instant, one, or two: in a spring-forward gap the clock never shows it, in a fall-back fold it
shows it twice. Both readings here follow RFC 5545 (3.3.5), so the instants Rounds keeps are the ones a calendar
computes from the same `.ics`: a repeated time is its first pass (fold=0), and a time in a gap is read at the offset
before the gap, which lands as far past the gap's start as the time was (02:30 in New York on 2026-03-08 is 03:30
EDT). Callers that must not move a time silently (a one-off session) ask `gap` first and refuse.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from core.clock import jump_over


@dataclass(frozen=True)
class Gap:
    """Wall times the clock skips: from `start` (shown) up to `end` (the first time shown after the jump)."""

    start: datetime  # naive local
    end: datetime  # naive local


def to_utc(wall: datetime, zone: str) -> datetime:
    """The instant a naive local wall time names, by RFC 5545: the first pass of a repeated time, the offset before
    the jump for a skipped one."""
    return wall.replace(tzinfo=ZoneInfo(zone), fold=0).astimezone(UTC)


def to_wall(at: datetime, zone: str) -> datetime:
    """The naive local wall time the clock shows at an aware instant."""
    return at.astimezone(ZoneInfo(zone)).replace(tzinfo=None)


def is_repeated(wall: datetime, zone: str) -> bool:
    """The clock shows `wall` twice (a fall-back fold): `to_utc` picks the first."""
    tz = ZoneInfo(zone)
    first, second = wall.replace(tzinfo=tz, fold=0), wall.replace(tzinfo=tz, fold=1)
    return first.utcoffset() != second.utcoffset() and gap(wall, zone) is None


def gap(wall: datetime, zone: str) -> Gap | None:
    """The gap `wall` falls in, if the clock never shows it; else None."""
    tz = ZoneInfo(zone)
    if to_wall(to_utc(wall, zone), zone) == wall:
        return None
    jump = jump_over(wall, zone)
    offset_before = wall.replace(tzinfo=tz, fold=0).utcoffset()
    assert offset_before is not None
    return Gap(start=(jump + offset_before).replace(tzinfo=None), end=to_wall(jump, zone))
