"""Communities in the database: read with a short time-to-live, written one statement at a time.

Several processes may share one database (a console beside the Discord bot, or several bot processes), so a
setting another process changed must be seen soon: the cache keeps a community for `TTL` of the injected clock, and
duties read it fresh. Every write here refreshes this process's copy at once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import time, timedelta
from typing import Any

from sqlalchemy import exists, select, update

from core.clock import Clock, iso
from core.community.model import Community
from core.questions.tags import TagFilter
from core.storage.database import Database, Row, rows
from core.storage.schema import communities, duties

TTL = timedelta(seconds=5)
Listener = Callable[[Community], Awaitable[None]]
_COLUMNS = {"name", "channel_id", "post_time", "timezone", "reveal_delay_minutes", "tag_filter", "admin_role",
            "ping_role", "recap_weekday", "recap_time"}


class CommunityStore:
    def __init__(self, db: Database, clock: Clock, ttl: timedelta = TTL) -> None:
        self._db = db
        self._clock = clock
        self._ttl = ttl
        self._listeners: list[Listener] = []
        self._cache: dict[str, tuple[Community, Any]] = {}  # id -> (community, read at)

    def subscribe(self, listener: Listener) -> None:
        """Called after a community's settings change, so its duties can be planned again."""
        self._listeners.append(listener)

    async def get(self, community_id: str, name: str = "", *, fresh: bool = False) -> Community:
        """The community, created with defaults on first sight. `fresh` skips the cache: duties decide on it."""
        now = self._clock.now()
        cached = self._cache.get(community_id)
        if cached is not None and not fresh and now - cached[1] < self._ttl:
            return cached[0]
        row = await self._db.fetchone(select(communities).where(communities.c.id == community_id))
        if row is None:
            row = await self._create(community_id, name, iso(now))
        return self._remember(_community(row))

    async def _create(self, community_id: str, name: str, now: str) -> Row:
        """Insert the community unless another process just did (the read above cannot know): whichever row won is
        read back in the same transaction, which sees the other's commit once the insert has waited for it."""
        create = (self._db.insert(communities).values(id=community_id, name=name[:100], created_at=now)
                  .on_conflict_do_nothing(index_elements=[communities.c.id]).returning(*communities.c))
        async with self._db.transaction() as conn:
            found = await rows(conn, create) or await rows(conn, select(communities).where(communities.c.id == community_id))
        if not found:
            raise RuntimeError(f"community {community_id} vanished as it was created")
        return found[0]

    async def exists(self, community_id: str) -> bool:
        """Whether the bot has ever acted in this community (`get` creates it): a tool can warn about a mistyped id."""
        return await self._db.fetchone(select(communities.c.id).where(communities.c.id == community_id)) is not None

    def _remember(self, community: Community) -> Community:
        self._cache[community.id] = (community, self._clock.now())
        return community

    async def update(self, community: Community, **changes: object) -> Community:
        """Writes only the named settings, all in one statement, then tells the listeners."""
        unknown = set(changes) - _COLUMNS
        if unknown:
            raise ValueError(f"unknown community settings: {unknown}")
        values = {key: _column_value(getattr(replace(community, **changes), key)) for key in changes}  # type: ignore[arg-type]
        statement = (update(communities).where(communities.c.id == community.id).values(**values)
                     .returning(*communities.c))
        async with self._db.transaction() as conn:
            stored = await rows(conn, statement)
        # The row as stored, not the caller's snapshot plus changes: two admins changing settings at once both stick.
        updated = self._remember(_community(stored[0]))
        for listener in self._listeners:
            await listener(updated)
        return updated

    async def unplanned(self, kind: str, platforms: frozenset[str],
                        needs: tuple[str, ...] = ("channel_id",)) -> list[Community]:
        """Communities with a channel (and whatever else `needs` names: a recap time) but no pending duty of `kind`:
        the ones a recurring duty lost track of (a database from before duties existed, or a plan given up)."""
        planned = exists().where(duties.c.kind == kind, duties.c.scope == communities.c.id, duties.c.done_at.is_(None))
        required = [communities.c[column].is_not(None) for column in needs]
        found = await self._db.fetchall(select(communities).where(*required, ~planned))
        return [c for c in map(_community, found) if c.platform in platforms]


def _community(row: Row) -> Community:
    return Community(
        id=row["id"], name=row["name"], channel_id=row["channel_id"], post_time=_clock_time(row["post_time"]),
        timezone=row["timezone"], reveal_delay_minutes=row["reveal_delay_minutes"],
        tag_filter=TagFilter.from_stored(row["tag_filter"]), admin_role=row["admin_role"], ping_role=row["ping_role"],
        recap_weekday=row["recap_weekday"], recap_time=_clock_time(row["recap_time"]) if row["recap_time"] else None,
    )


def _clock_time(stored: str) -> time:
    hour, minute = map(int, stored.split(":"))
    return time(hour, minute)


def _column_value(value: object) -> object:
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, TagFilter):
        return value.stored()
    return value
