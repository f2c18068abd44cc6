"""The post store on SQLite and PostgreSQL: a day claimed once across processes, and a storm of double clicks counted
once each, through the same statements on both databases."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from datetime import date, timedelta

import pytest

from core.bootstrap import Services, build
from core.clock import FrozenClock, iso
from core.community.members import Member
from core.qotd.posts import AnswerWrite, DailyPost, NewPost, PostStore
from core.settings import Settings
from core.storage.database import Database

DAY = date(2026, 11, 24)


@pytest.fixture
async def built(database: str, clock: FrozenClock) -> AsyncIterator[Services]:
    services = await build(Settings(db_path=database), clock=clock)
    yield services
    await services.close()


async def test_two_processes_claiming_one_day_make_one_post(pg_database: str, clock: FrozenClock) -> None:
    """Both "processes" (each its own Database, event loop and thread) read no post for the day and pick one, each a
    different question, before either inserts: one row is written, and both return it."""
    services = await build(Settings(db_path=pg_database), clock=clock)
    try:
        community = await services.communities.get("console:race")
        pool = services.bank.require_available(community.id, community.tag_filter)
        both_picked = threading.Barrier(2, timeout=20)
        now = clock.now()

        def claim(question_id: str) -> DailyPost:
            def pick(history: list[tuple[str, int]]) -> NewPost:
                both_picked.wait()  # the other process has read no post either: both go on to insert
                return NewPost(question_id, 0, now, now + timedelta(hours=12), immediate=False)

            async def run() -> DailyPost:
                db = await Database(pg_database).open()
                try:
                    return await PostStore(db).claim_day(community.id, DAY, pick)
                finally:
                    await db.close()
            return asyncio.run(run())

        first, second = await asyncio.gather(asyncio.to_thread(claim, pool[0].id), asyncio.to_thread(claim, pool[1].id))
        assert first == second and first.question_id in (pool[0].id, pool[1].id)
        assert await services.daily.posts.history(community.id) == [(first.question_id, 0)]
    finally:
        await services.close()


async def test_a_batch_of_double_clicks_counts_once_each(built: Services, clock: FrozenClock) -> None:
    """300 members press A then B in one batch, inside the change window: one row each, A first then changed to B;
    pressed again once the window closed, nothing changes and the standing answer is reported."""
    community = await built.communities.get("console:storm")
    post, _ = await built.qotd.today(community)
    posts = built.daily.posts
    members = [Member(f"console:m{i:03}", f"m{i}") for i in range(300)]

    def presses(letters: str) -> list[AnswerWrite]:
        at = iso(clock.now())
        return [AnswerWrite(post.id, member, letter, letter == "B", at) for member in members for letter in letters]

    results = await posts.write_answers(presses("AB"))
    assert [r.outcome for r in results] == ["fresh", "changed"] * 300
    assert [r.choice for r in results] == ["A", "B"] * 300
    assert all(r.counts == {"B": 300} and r.change_until is not None for r in results)
    assert await posts.counts(post.id) == {"B": 300}

    clock.advance(seconds=10)
    late = await posts.write_answers(presses("CD"))
    assert all(r.outcome == "already" and r.choice == "B" and r.change_until is None for r in late)
    assert await posts.counts(post.id) == {"B": 300}
    assert (await posts.seen_by(post.id, members[0].id)) == (await posts.get(post.id), "B")


async def test_two_processes_pressing_for_the_same_members_count_each_once(pg_database: str, clock: FrozenClock) -> None:
    """Two processes write overlapping batches for the same 300 members at once (each member pressing in both): no
    deadlock, one row a member, and each member's first answer is fresh in exactly one process."""
    services = await build(Settings(db_path=pg_database), clock=clock)
    other = await Database(pg_database).open()
    try:
        community = await services.communities.get("console:shared")
        post, _ = await services.qotd.today(community)
        members = [Member(f"console:s{i:03}", f"s{i}") for i in range(300)]
        at = iso(clock.now())
        here = [AnswerWrite(post.id, m, "A", False, at) for m in members]
        there = [AnswerWrite(post.id, m, "A", False, at) for m in reversed(members)]
        mine, theirs = await asyncio.gather(services.daily.posts.write_answers(here), PostStore(other).write_answers(there))
        fresh = sorted(r.outcome for r in mine + theirs)
        assert fresh.count("fresh") == 300 and fresh.count("already") == 300
        assert await services.daily.posts.counts(post.id) == {"A": 300}
    finally:
        await other.close()
        await services.close()
