"""Communities (a Discord server, a Slack workspace, a console group) and their QOTD settings.

A community exists from its first command with working defaults, so `/qotd` needs no setup.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timezone
from typing import Awaitable, Callable
from zoneinfo import ZoneInfo

from core.clock import Clock, iso
from core.db import Database, Row
from core.tags import TagFilter

DEFAULT_TIMEZONE = "UTC"  # the same defaults as the communities table (migration 1)
DEFAULT_REVEAL_DELAY_MINUTES = 12 * 60


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

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def local_date(self, now: datetime) -> date:
        return now.astimezone(self.zone).date()

    def scheduled_at(self, day: date) -> datetime:
        """The UTC instant of the posting time on a local date. On a spring-forward night a time in the gap moves
        forward with the clocks; on a fall-back night the first of the two instants is taken."""
        local = datetime.combine(day, self.post_time, tzinfo=self.zone)
        return local.astimezone(timezone.utc)

    @classmethod
    def from_row(cls, row: Row) -> "Community":
        hour, minute = map(int, row["post_time"].split(":"))
        return cls(
            id=row["id"], name=row["name"], channel_id=row["channel_id"], post_time=time(hour, minute),
            timezone=row["timezone"], reveal_delay_minutes=row["reveal_delay_minutes"],
            tag_filter=TagFilter.from_stored(row["tag_filter"]), admin_role=row["admin_role"],
        )


Listener = Callable[[Community], Awaitable[None]]
_COLUMNS = {"name", "channel_id", "post_time", "timezone", "reveal_delay_minutes", "tag_filter", "admin_role"}


class CommunityStore:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock
        self._listeners: list[Listener] = []
        self._cache: dict[str, Community] = {}  # every write goes through update(), which refreshes it

    def subscribe(self, listener: Listener) -> None:
        """Called after a community's settings change, so the scheduler can move its jobs."""
        self._listeners.append(listener)

    async def get(self, community_id: str, name: str = "") -> Community:
        if community_id in self._cache:
            return self._cache[community_id]
        row = await self._db.fetchone("SELECT * FROM communities WHERE id = ?", (community_id,))
        if row is not None:
            self._cache[community_id] = Community.from_row(row)
            return self._cache[community_id]
        await self._db.execute(
            "INSERT INTO communities (id, name, created_at) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING",
            (community_id, name[:100], iso(self._clock.now())),
        )
        return await self.get(community_id)

    async def update(self, community: Community, **changes: object) -> Community:
        """Writes only the named settings, all in one statement, then tells the listeners."""
        unknown = set(changes) - _COLUMNS
        if unknown:
            raise ValueError(f"unknown community settings: {unknown}")
        values = {key: _column_value(key, getattr(replace(community, **changes), key)) for key in changes}  # type: ignore[arg-type]
        assignments = ", ".join(f"{key} = ?" for key in values)
        async with self._db.transaction() as conn:
            rows = await conn.execute_fetchall(
                f"UPDATE communities SET {assignments} WHERE id = ? RETURNING *", (*values.values(), community.id))
        # The row as stored, not the caller's snapshot plus changes: two admins changing settings at once both stick.
        updated = self._cache[community.id] = Community.from_row(list(rows)[0])
        for listener in self._listeners:
            await listener(updated)
        return updated

    async def with_channels(self) -> list[Community]:
        rows = await self._db.fetchall("SELECT * FROM communities WHERE channel_id IS NOT NULL ORDER BY id")
        return [Community.from_row(row) for row in rows]


def _column_value(key: str, value: object) -> object:
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, TagFilter):
        return value.stored()
    return value
