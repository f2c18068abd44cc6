"""Parsers for what people type: clock times, time zones, delays. Each raises UserError saying what to type instead."""

from __future__ import annotations

import re
from datetime import time
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

from core.errors import UserError
from core.text import closest, quote

_CLOCK = re.compile(r"^(?P<h>\d{1,2})(?::(?P<m>\d{2}))?\s*(?P<ampm>am|pm|a\.m\.|p\.m\.)?$", re.IGNORECASE)
_DELAY = re.compile(r"^(?:(?P<h>\d{1,3})\s*h(?:ours?|rs?)?)?\s*(?:(?P<m>\d{1,4})\s*m(?:in(?:utes?)?)?)?$", re.IGNORECASE)
IMMEDIATE_WORDS = {"immediately", "immediate", "now", "instant", "0", "0m", "0h"}
MAX_REVEAL_DELAY_MINUTES = 48 * 60


def parse_clock(text: str) -> time:
    """'09:00', '9:30', '9am', '8:30 pm' → a wall-clock time."""
    match = _CLOCK.match(text.strip())
    if match:
        hour, minute = int(match["h"]), int(match["m"] or 0)
        ampm = (match["ampm"] or "").lower().replace(".", "")
        if ampm:
            if not 1 <= hour <= 12:
                hour = -1
            else:
                hour = hour % 12 + (12 if ampm == "pm" else 0)
        elif match["m"] is None:
            hour = -1  # a bare number like '9' is ambiguous; ask for HH:MM
        if 0 <= hour <= 23 and 0 <= minute <= 59:
            return time(hour, minute)
    raise UserError(f"`{quote(text)}` is not a time of day. Use 24-hour HH:MM, for example `09:00` or `20:30`.")


@lru_cache(maxsize=1)
def _zones() -> dict[str, str]:
    return {name.lower(): name for name in available_timezones() if "/" in name or name == "UTC"}


def parse_zone(text: str) -> str:
    """An IANA zone name, matched case-insensitively, with suggestions when it is misspelt."""
    key = text.strip().replace(" ", "_").lower()
    zones = _zones()
    if key in zones:
        ZoneInfo(zones[key])
        return zones[key]
    close = closest(key, zones.keys(), n=3, cutoff=0.6)
    hint = f" Did you mean {', '.join('`' + zones[c] + '`' for c in close)}?" if close else ""
    raise UserError(f"`{quote(text)}` is not a time zone I know.{hint} Use an IANA name like `America/New_York` or `Asia/Karachi`.")


def suggest_zones(prefix: str, limit: int = 25) -> list[str]:
    """Zone names for autocomplete: those starting with the prefix first, then those containing it."""
    key = prefix.strip().replace(" ", "_").lower()
    names = sorted(_zones().values())
    starts = [n for n in names if n.lower().startswith(key)]
    contains = [n for n in names if key in n.lower() and n not in starts]
    return (starts + contains)[:limit]


def parse_delay(text: str) -> int:
    """Reveal delay in minutes: 'immediately', '12h', '90m', '1h30m'."""
    key = text.strip().lower().replace(" ", "")
    if key in IMMEDIATE_WORDS:
        return 0
    match = _DELAY.match(key)
    if match and (match["h"] or match["m"]):
        minutes = int(match["h"] or 0) * 60 + int(match["m"] or 0)
        if minutes <= MAX_REVEAL_DELAY_MINUTES:
            return minutes
    raise UserError(f"`{quote(text)}` is not a reveal delay. Use `immediately`, or hours/minutes up to 48h like `12h`, `90m` or `1h30m`.")


def describe_delay(minutes: int) -> str:
    if minutes == 0:
        return "immediately"
    hours, mins = divmod(minutes, 60)
    return " ".join(part for part in (f"{hours}h" if hours else "", f"{mins}m" if mins else "") if part) + " after posting"

