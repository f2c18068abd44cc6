"""Clocks. Every date rule takes one so tests can freeze time and walk across DST nights."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from core.errors import SettingsError

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)  # the instants a clock may be started at (ROUNDS_CLOCK_START, --at)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""

    def wall_after(self, at: datetime) -> datetime:
        """The wall-clock instant at which this clock reads `at`: what an alarm that sleeps on the wall clock
        (APScheduler) must be set to."""


class SystemClock:
    """The only reader of the wall clock in Rounds: everything else asks a Clock (a test enforces it)."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def wall_after(self, at: datetime) -> datetime:
        return at


class ShiftedClock:
    """The wall clock moved by a fixed offset: a whole process (a demo, or a test of `rounds console` as a
    subprocess) behaves as on another day and hour, at the wall clock's pace. ROUNDS_CLOCK_START is the instant it
    reads at ROUNDS_CLOCK_EPOCH (a wall-clock instant; default: when the process starts), so several processes
    given the same pair share one timeline."""

    def __init__(self, start: datetime, epoch: datetime | None = None) -> None:
        self._offset = _utc(start) - (_utc(epoch) if epoch is not None else datetime.now(UTC))

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset

    def wall_after(self, at: datetime) -> datetime:
        return at - self._offset


def clock_for(start: str | None, epoch: str | None = None) -> Clock:
    """The system clock, or, given ROUNDS_CLOCK_START (and ROUNDS_CLOCK_EPOCH), one shifted to read that."""
    if not start:
        return SystemClock()
    return ShiftedClock(instant("ROUNDS_CLOCK_START", start), instant("ROUNDS_CLOCK_EPOCH", epoch) if epoch else None)


def shifted_environment(start: datetime) -> dict[str, str]:
    """The variables that make every process started from now on read `start` now, on one shared timeline."""
    return {"ROUNDS_CLOCK_START": _utc(start).isoformat(), "ROUNDS_CLOCK_EPOCH": datetime.now(UTC).isoformat()}


def instant(name: str, text: str) -> datetime:
    """An ISO-8601 instant with its zone or offset, in UTC: the one reading of ROUNDS_CLOCK_START, ROUNDS_CLOCK_EPOCH
    and `rounds console --at`. A naive time (no zone: whose 06:30?), a bare date or anything else is a SettingsError
    naming `name`, which the command line prints as one line and exit 2."""
    try:
        at = _utc(datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00")))
    except (ValueError, OverflowError):
        raise SettingsError(f"{name} needs an ISO-8601 instant with a zone, like 2026-03-08T06:30:00Z; "
                            f"got {text[:40]!r}") from None
    if not EARLIEST <= at < LATEST:  # days planned ahead and duties pruned behind must stay within datetime's years
        raise SettingsError(f"{name} needs an instant from {EARLIEST.year} to {LATEST.year - 1}; got {text[:40]!r}")
    return at


class FrozenClock:
    """A clock that only moves when a test moves it."""

    def __init__(self, at: datetime) -> None:
        self._at = _utc(at)

    def now(self) -> datetime:
        return self._at

    def wall_after(self, at: datetime) -> datetime:
        """Frozen time stands still, so an instant already reached is due now and a later one never comes by
        itself: the test moves the clock and wakes the alarm."""
        if at <= self._at:
            return datetime.now(UTC)
        return datetime.max.replace(tzinfo=UTC) - timedelta(days=1)

    def set(self, at: datetime) -> None:
        self._at = _utc(at)

    def advance(self, **delta: float) -> datetime:
        self._at += timedelta(**delta)
        return self._at


def _utc(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise ValueError("FrozenClock needs an aware datetime")
    return at.astimezone(UTC)


def iso(at: datetime) -> str:
    """The one text form instants take in the database: UTC, sortable, second precision is not enough for ties."""
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def platform_now() -> datetime:
    """The wall clock, for one purpose only: measuring a platform's own deadline against its own timestamps (a
    Discord interaction's 3 seconds). Date rules never use it; they take a Clock."""
    return datetime.now(UTC)


def slot_end(at: datetime, step: timedelta) -> datetime:
    """The end of the `step`-long slot `at` falls in (a moment on a slot's edge starts the next one): what coalesces
    a burst of changes into one refresh at the slot's end."""
    size = int(step.total_seconds())
    seconds = int(at.astimezone(UTC).timestamp())
    return datetime.fromtimestamp(seconds - seconds % size + size, UTC)


def jump_over(wall: datetime, zone: str) -> datetime:
    """The instant the clocks jump past `wall`, a naive local time that a DST gap skips in `zone` (ZoneInfo's fold=0
    reads it at the offset before the jump, an instant after it; fold=1 at the offset after, an instant before). The
    jump is between them, on a whole second, as every tzdata change is."""
    tz = ZoneInfo(zone)
    before = int(wall.replace(tzinfo=tz, fold=1).astimezone(UTC).timestamp())  # the clock shows less than `wall`
    after = int(wall.replace(tzinfo=tz, fold=0).astimezone(UTC).timestamp())  # the clock shows more
    while after - before > 1:
        middle = (before + after) // 2
        if datetime.fromtimestamp(middle, tz).replace(tzinfo=None) >= wall:
            after = middle
        else:
            before = middle
    return datetime.fromtimestamp(after, UTC)
