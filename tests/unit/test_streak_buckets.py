"""The value buckets a board sums (members per value) stay in step with the streaks and tallies they count, through
every writer of those rows: record(), an import, forgetting a member."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bench.streaks import COMMUNITY, NOW, replay
from core.clock import FrozenClock
from core.community.store import CommunityStore
from core.storage.database import Database
from core.storage.schema import streak_values, streaks, tallies, tally_values
from core.storage.transfer import export_community, forget_member, import_community


async def buckets(db: Database) -> tuple[Counter[tuple[Any, ...]], Counter[tuple[Any, ...]]]:
    """(as stored, as counted from the rows)."""
    stored: Counter[tuple[Any, ...]] = Counter()
    for row in await db.fetchall(select(tally_values)):
        stored[("tally", row["community_id"], row["period"], row["source"], row["metric"], row["value"])] = row["members"]
    for row in await db.fetchall(select(streak_values)):
        stored[("streak", row["community_id"], row["expires_at"], row["current"])] = row["members"]
    counted: Counter[tuple[Any, ...]] = Counter()
    for row in await db.fetchall(select(tallies)):
        for metric in ("days", "count"):
            if row[metric] > 0:
                counted[("tally", row["community_id"], row["period"], row["source"], metric, row[metric])] += 1
    for row in await db.fetchall(select(streaks)):
        if row["current"] > 0 and row["expires_at"] is not None:
            counted[("streak", row["community_id"], row["expires_at"], row["current"])] += 1
    return stored, counted


async def test_buckets_count_the_rows_after_record_an_import_and_forgetting_a_member(tmp_path: Path):
    source, target = await Database(str(tmp_path / "a.db")).open(), await Database(str(tmp_path / "b.db")).open()
    try:
        await CommunityStore(source, FrozenClock(NOW)).get(COMMUNITY)  # record() writes activity, not communities
        await replay(source, members=40, total=400, seed_=3)
        stored, counted = await buckets(source)
        assert stored == counted and stored

        document = await export_community(source, COMMUNITY)
        assert document is not None
        await import_community(target, document)
        assert await buckets(target) == (counted, counted)

        member = max(document["tallies"], key=lambda t: t["count"])["member_id"]  # one on many boards
        await forget_member(target, member)
        stored, counted = await buckets(target)
        assert stored == counted and all(member not in key for key in stored)
    finally:
        await source.close()
        await target.close()
