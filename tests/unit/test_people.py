"""A member's settings are cached per process for the communities' TTL: a zone set here is seen here at once, one set
by another process (another PeopleStore on the same database) within the TTL, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime

from core.clock import FrozenClock
from core.community.members import Member
from core.community.people import PeopleStore
from core.community.store import TTL
from core.storage.database import Database


async def test_a_zone_set_by_another_process_is_seen_within_the_ttl(database: str) -> None:
    clock = FrozenClock(datetime(2026, 12, 1, 9, tzinfo=UTC))
    mine, theirs = await Database(database).open(), await Database(database).open()
    try:
        here, there = PeopleStore(mine, clock), PeopleStore(theirs, clock)
        ana = Member("console:ana", "Ana")
        assert (await here.settings(ana.id)).zone is None  # read, and cached
        await there.set_zone(ana, "Asia/Karachi")
        await there.set_rollover(ana, 4)
        assert (await there.settings(ana.id)).zone == "Asia/Karachi"  # the writer sees it at once
        assert (await here.settings(ana.id)).zone is None  # still cached here
        clock.advance(seconds=TTL.total_seconds())
        assert await here.settings(ana.id) == (await there.settings(ana.id))
        assert (await here.settings(ana.id)).rollover == 4
    finally:
        await mine.close()
        await theirs.close()
