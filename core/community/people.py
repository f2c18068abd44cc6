"""What a member sets for themselves, wherever they act (a zone, the hour their day ends): the one place its SQL
lives. Until a member sets a zone, the community's zone is theirs.

Every press reads a member's zone (to stamp the day an answer counts for, to show times), so settings are cached for
the communities' `TTL` of the injected clock: a change made by another process is seen that soon, one made here at
once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, select
from sqlalchemy.sql.dml import Insert

from core.clock import Clock, iso
from core.community.members import MAX_NAME, Member
from core.community.store import TTL
from core.storage.database import Database
from core.storage.schema import members


@dataclass(frozen=True)
class MemberSettings:
    zone: str | None = None  # None: the community's zone
    rollover: int = 0  # the hour (local) at which the member's day ends
    lead: int | None = None  # minutes before a session that they are reminded; None: the default

    def zone_in(self, community_zone: str) -> str:
        return self.zone or community_zone


class PeopleStore:
    def __init__(self, db: Database, clock: Clock, ttl: timedelta = TTL) -> None:
        self._db = db
        self._clock = clock
        self._ttl = ttl
        self._cache: dict[str, tuple[MemberSettings, datetime]] = {}  # member id -> (settings, read at)

    async def settings(self, member_id: str) -> MemberSettings:
        now = self._clock.now()
        cached = self._cache.get(member_id)
        if cached is not None and now - cached[1] < self._ttl:
            return cached[0]
        row = await self._db.fetchone(select(members.c.timezone, members.c.rollover_hour, members.c.remind_minutes)
                                      .where(members.c.id == member_id))
        found = (MemberSettings() if row is None
                 else MemberSettings(row["timezone"], row["rollover_hour"], row["remind_minutes"]))
        self._cache[member_id] = (found, now)
        return found

    async def settings_of(self, member_ids: list[str]) -> dict[str, MemberSettings]:
        """Several members' settings in one read (a recap, a board); members never seen get the defaults."""
        if not member_ids:
            return {}
        found = await self._db.fetchall(select(members.c.id, members.c.timezone, members.c.rollover_hour)
                                        .where(members.c.id.in_(sorted(set(member_ids)))))
        known = {r["id"]: MemberSettings(r["timezone"], r["rollover_hour"]) for r in found}
        return {m: known.get(m, MemberSettings()) for m in member_ids}

    async def set_zone(self, member: Member, zone: str) -> None:
        await self._db.execute(self._upsert(member, timezone=zone))
        self._cache.pop(member.id, None)

    async def set_rollover(self, member: Member, hour: int) -> None:
        await self._db.execute(self._upsert(member, rollover_hour=hour))
        self._cache.pop(member.id, None)

    async def set_lead(self, member: Member, minutes: int) -> None:
        await self._db.execute(self._upsert(member, remind_minutes=minutes))
        self._cache.pop(member.id, None)

    async def remember(self, member: Member) -> None:
        """A member seen acting: their row exists, with the display name they have now (never an empty one)."""
        new = self._db.insert(members).values(id=member.id, display_name=member.name[:MAX_NAME],
                                              created_at=iso(self._clock.now()))
        await self._db.execute(new.on_conflict_do_update(
            index_elements=[members.c.id], set_={"display_name": new.excluded.display_name},
            where=and_(new.excluded.display_name != "", members.c.display_name != new.excluded.display_name)))

    async def names(self, member_ids: list[str]) -> dict[str, str]:
        """Display names as last seen; a member never seen is shown by their platform id."""
        if not member_ids:
            return {}
        found = await self._db.fetchall(select(members.c.id, members.c.display_name)
                                        .where(members.c.id.in_(sorted(set(member_ids)))))
        known = {r["id"]: r["display_name"] for r in found}
        return {m: Member(m, known.get(m, "")).display for m in member_ids}

    def _upsert(self, member: Member, **values: object) -> Insert:
        new = self._db.insert(members).values(id=member.id, display_name=member.name[:MAX_NAME],
                                              created_at=iso(self._clock.now()), **values)
        return new.on_conflict_do_update(index_elements=[members.c.id], set_=values)
