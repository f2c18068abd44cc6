"""Weekly sessions: the same local wall time every week, whatever DST does, as UTC instants.

The rule is python-dateutil's rrule (FREQ=WEEKLY) over naive local wall times, exactly what an `.ics` says with
DTSTART;TZID=<zone> and RRULE, so Rounds and a calendar agree: 20:00 in New York is 01:00 UTC in winter and 00:00
UTC in summer. Each wall time becomes an instant by RFC 5545 (core.sessions.local): a repeated time is its first pass,
and a time the clocks skip is read at the offset before the jump (a 02:30 session on 2026-03-08 in New York starts
at 03:30 EDT that week only).

One occurrence is cancelled alone by its local start time as the rule produced it (an EXDATE), so cancelling
"Sunday 8 March, 02:30" means the same occurrence here and in a calendar even though it would have started at 03:30.
`until`, like RRULE's UNTIL, is an instant: the last occurrence starts at or before it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from dateutil.rrule import WEEKLY, rrule, rruleset

from core.errors import UserError
from core.sessions.local import to_utc, to_wall

_SLACK = timedelta(days=2)  # wider than any UTC offset difference (UTC-12 to UTC+14) plus a DST change


@dataclass(frozen=True)
class Weekly:
    """A weekly session: its first local start, the zone it keeps, and the occurrences cancelled alone."""

    first: datetime  # naive local wall time of the first occurrence; every week starts at this wall time
    zone: str
    excluded: frozenset[datetime] = field(default_factory=frozenset)  # naive local starts, as the rule makes them
    until: datetime | None = None  # aware: no occurrence starts after it

    def __post_init__(self) -> None:
        if self.first.tzinfo is not None or any(e.tzinfo is not None for e in self.excluded):
            raise ValueError("Weekly keeps naive local wall times")
        if self.until is not None and self.until.tzinfo is None:
            raise ValueError("Weekly.until is an aware instant")

    @classmethod
    def starting(cls, at: datetime, zone: str, until: datetime | None = None) -> Weekly:
        """Weekly from a first start instant (a parsed `when`), kept at its local wall time. A first start in the
        second pass of a repeated hour is refused: RFC 5545 names only the first, so a calendar would show the
        session an hour early."""
        wall = to_wall(at, zone)
        if to_utc(wall, zone) != at.astimezone(UTC):
            raise UserError(f"{wall:%H:%M} comes twice that night in {zone} (the clocks go back), and a weekly session "
                            f"can only start at the first. Pick another time, or make this one a one-off.")
        return cls(wall, zone, until=until)

    def _rule(self) -> rruleset:
        rules = rruleset()
        rules.rrule(rrule(WEEKLY, dtstart=self.first))
        for wall in self.excluded:
            rules.exdate(wall)
        return rules

    def _walls_from(self, wall: datetime) -> Iterator[datetime]:
        """Local starts from `wall` on (inclusive), excluded ones left out, until `until`."""
        for start in self._rule().xafter(max(wall, self.first), inc=True):
            if self.until is not None and to_utc(start, self.zone) > self.until:
                return
            yield start

    def next_after(self, at: datetime) -> datetime | None:
        """The first occurrence starting strictly after the instant `at`, in UTC; None when the series has ended."""
        for wall in self._walls_from(to_wall(at, self.zone) - _SLACK):
            start = to_utc(wall, self.zone)
            if start > at:
                return start
        return None

    def between(self, start: datetime, end: datetime) -> list[datetime]:
        """The occurrences starting in [start, end), as UTC instants in order."""
        found: list[datetime] = []
        last = to_wall(end, self.zone) + _SLACK
        for wall in self._walls_from(to_wall(start, self.zone) - _SLACK):
            if wall > last:
                break
            at = to_utc(wall, self.zone)
            if start <= at < end:
                found.append(at)
        return found

    def occurrence_at(self, at: datetime) -> datetime | None:
        """The local start (as the rule makes it) of the occurrence that starts at instant `at`, or None."""
        for wall in self._walls_from(to_wall(at, self.zone) - _SLACK):
            start = to_utc(wall, self.zone)
            if start == at:
                return wall
            if start > at:
                return None
        return None

    def without(self, at: datetime) -> Weekly:
        """The series with the occurrence starting at instant `at` cancelled alone; a UserError if none does."""
        wall = self.occurrence_at(at)
        if wall is None:
            raise UserError("No occurrence of this session starts then: pick one from `/study list`.")
        return replace(self, excluded=self.excluded | {wall})
