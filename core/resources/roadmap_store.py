"""Roadmap ticks in the database: one row per (community, member, step), the one place their SQL lives."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select

from core.clock import Clock, iso
from core.storage.database import Database
from core.storage.schema import roadmap_ticks


class RoadmapStore:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def ticked(self, community_id: str, member_id: str) -> set[str]:
        found = await self._db.fetchall(select(roadmap_ticks.c.step).where(
            roadmap_ticks.c.community_id == community_id, roadmap_ticks.c.member_id == member_id))
        return {r["step"] for r in found}

    async def tick(self, community_id: str, member_id: str, step: str, done: bool) -> None:
        if done:
            await self._db.execute(self._db.insert(roadmap_ticks).values(
                community_id=community_id, member_id=member_id, step=step,
                ticked_at=iso(self._clock.now())).on_conflict_do_nothing())
        else:
            await self._db.execute(delete(roadmap_ticks).where(
                roadmap_ticks.c.community_id == community_id, roadmap_ticks.c.member_id == member_id,
                roadmap_ticks.c.step == step))

    async def everyone(self, community_id: str, steps: Sequence[str]) -> dict[str, set[str]]:
        """Each member's ticked steps (of these), by member: what the aggregate counts, never shown as such."""
        found = await self._db.fetchall(select(roadmap_ticks.c.member_id, roadmap_ticks.c.step).where(
            roadmap_ticks.c.community_id == community_id, roadmap_ticks.c.step.in_(list(steps))))
        ticked: dict[str, set[str]] = {}
        for row in found:
            ticked.setdefault(row["member_id"], set()).add(row["step"])
        return ticked
