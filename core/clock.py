"""Clocks. Every date rule takes one so tests can freeze time and walk across DST nights."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)


class FrozenClock:
    """A clock that only moves when a test moves it."""

    def __init__(self, at: datetime) -> None:
        self._at = _utc(at)

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        self._at = _utc(at)

    def advance(self, **delta: float) -> datetime:
        self._at += timedelta(**delta)
        return self._at


def _utc(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise ValueError("FrozenClock needs an aware datetime")
    return at.astimezone(timezone.utc)


def iso(at: datetime) -> str:
    """The one text form instants take in the database: UTC, sortable, second precision is not enough for ties."""
    return at.astimezone(timezone.utc).isoformat(timespec="microseconds")


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(timezone.utc)
