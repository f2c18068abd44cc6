"""A community (a Discord server, a Slack workspace, a console group) and its settings, as plain values.

A community exists from its first command with working defaults, so `/qotd` needs no setup.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from core.questions.tags import TagFilter

DEFAULT_TIMEZONE = "UTC"  # the same defaults as the communities table (migration 1)
DEFAULT_REVEAL_DELAY_MINUTES = 12 * 60
DEFAULT_RECAP_WEEKDAY = 6  # Sunday (Monday is 0), as in the communities table (migration 9)


@dataclass(frozen=True)
class Community:
    id: str
    name: str = ""
    channel_id: str | None = None
    post_time: time = time(9, 0)
    timezone: str = DEFAULT_TIMEZONE
    reveal_delay_minutes: int = DEFAULT_REVEAL_DELAY_MINUTES
    tag_filter: TagFilter = TagFilter()
    admin_role: str | None = None
    ping_role: str | None = None  # mentioned, and allowed to ping, on the daily post only
    recap_weekday: int = DEFAULT_RECAP_WEEKDAY
    recap_time: time | None = None  # None: no weekly recap (an admin turns it on)

    @property
    def platform(self) -> str:
        """The adapter that serves this community: the prefix of its namespaced id."""
        return platform_of(self.id)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def local_date(self, now: datetime) -> date:
        return now.astimezone(self.zone).date()

    def scheduled_at(self, day: date) -> datetime:
        """The UTC instant of the posting time on a local date. On a spring-forward night a time in the gap moves
        forward with the clocks; on a fall-back night the first of the two instants is taken."""
        return self.local_instant(day, self.post_time)

    def local_instant(self, day: date, at: time) -> datetime:
        """The UTC instant of a wall-clock time on a local date, DST handled as `scheduled_at` says."""
        return datetime.combine(day, at, tzinfo=self.zone).astimezone(UTC)


def platform_of(namespaced_id: str) -> str:
    return namespaced_id.split(":", 1)[0]
