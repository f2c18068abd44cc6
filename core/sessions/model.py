"""A study session as Rounds keeps it, and the counts its card shows.

A one-off session has one occurrence, at `start`. A weekly one starts every week at the author's local wall time
(`wall` in `zone`), so across a DST change its instant moves and its wall time does not; weeks cancelled alone are
`excluded` (as the rule makes their wall times). `next_at` is the occurrence next or in progress, moved on by the
duty that opens each occurrence: what reminders, "starting now", `/study list` and the card are about.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta

from core.sessions.local import to_utc
from core.sessions.recurrence import Weekly
from core.sessions.rules import MAX_MINUTES

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
HERE_EARLY = timedelta(minutes=10)
LONGEST = timedelta(minutes=MAX_MINUTES)  # no occurrence runs longer: an index on starts finds every one on now  # "I'm here" counts from this long before the start


@dataclass(frozen=True)
class Counts:
    going: int = 0
    maybe: int = 0
    cant: int = 0
    waiting: int = 0


@dataclass(frozen=True)
class Session:
    community_id: str
    author_id: str
    channel_id: str | None
    topic: str
    start: datetime  # aware UTC: the first (or only) occurrence
    wall: datetime  # naive: that start as the author's local wall time
    zone: str
    minutes: int
    capacity: int | None = None
    link: str | None = None
    weekly: bool = False
    excluded: frozenset[datetime] = field(default_factory=frozenset)
    next_at: datetime | None = None
    created_at: datetime = EPOCH
    id: int = 0
    number: int = 0
    message_id: str | None = None
    thread_id: str | None = None
    event_id: str | None = None
    version: int = 1
    cancelled_at: datetime | None = None

    @property
    def duration(self) -> timedelta:
        return timedelta(minutes=self.minutes)

    @property
    def series(self) -> Weekly | None:
        return Weekly(self.wall, self.zone, self.excluded) if self.weekly else None

    @property
    def live(self) -> bool:
        return self.cancelled_at is None and self.next_at is not None

    def ends(self, occurrence: datetime) -> datetime:
        return occurrence + self.duration

    def occurrence_after(self, at: datetime) -> datetime | None:
        """The first occurrence still running or to come at `at` (ending after it); None when there is none."""
        series = self.series
        if series is None:
            return self.start if self.ends(self.start) > at else None
        return series.next_after(at - self.duration)

    def following(self, occurrence: datetime) -> datetime | None:
        """The occurrence after `occurrence` (None for a one-off, or a series that ended)."""
        series = self.series
        return None if series is None else series.next_after(occurrence)

    def is_occurrence(self, at: datetime) -> bool:
        series = self.series
        return at == self.start if series is None else series.occurrence_at(at) is not None

    def open_for_attendance(self, occurrence: datetime, now: datetime) -> bool:
        return occurrence - HERE_EARLY <= now < self.ends(occurrence)

    def without(self, occurrence: datetime) -> Session:
        """The weekly series with one occurrence cancelled alone."""
        series = self.series
        if series is None:
            raise ValueError("a one-off session has no occurrence to cancel alone")
        return replace(self, excluded=series.without(occurrence).excluded)

    def occurrence_on(self, day: date) -> datetime | None:
        """The occurrence that starts on `day` in the session's own zone, if one does."""
        midnight = to_utc(datetime.combine(day, time()), self.zone)
        series = self.series
        if series is None:
            return self.start if midnight <= self.start < midnight + timedelta(days=1) else None
        found = series.between(midnight, to_utc(datetime.combine(day + timedelta(days=1), time()), self.zone))
        return found[0] if found else None
