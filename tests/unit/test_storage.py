"""Storage: migrations, group commit under concurrency, and all-or-nothing transactions, on both databases."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, insert, select, text

from core.community.members import Member
from core.storage import database
from core.storage.database import Database, GroupCommit
from core.storage.migrations import MIGRATIONS
from core.storage.schema import answers, communities, deliveries, members


async def test_migrations_are_versioned_and_idempotent(tmp_path):
    path = str(tmp_path / "m.db")
    for _ in range(2):
        db = await Database(path).open()
        version = (await db.fetchone(text("PRAGMA user_version")))["user_version"]
        mode = (await db.fetchone(text("PRAGMA journal_mode")))["journal_mode"]
        await db.close()
        assert version == len(MIGRATIONS) and mode == "wal"


async def test_a_failing_transaction_writes_nothing(services):
    with pytest.raises(RuntimeError):
        async with services.db.transaction() as conn:
            await conn.execute(insert(members), {"id": "console:x", "created_at": "now"})
            raise RuntimeError("half-way")
    assert await services.db.fetchall(select(members)) == []


async def test_concurrent_double_clicks_count_once_each(services, clock):
    """150 members press A then B at once, inside the change window: each A is a first answer and each B changes
    it; pressed again after the window, nothing changes. One row a member, whatever the batching."""
    community = await services.communities.get("console:load")
    post, question = await services.qotd.today(community)
    members = [Member(f"console:m{i}", f"m{i}") for i in range(150)]

    async def click(member: Member, letter: str):
        return await services.qotd.answer(post.id, member, letter, community.id)

    results = await asyncio.gather(*(click(m, letter) for m in members for letter in ("A", "B")))
    firsts = [r for r in results if not r.already and not r.changed]
    changes = [r for r in results if r.changed]
    assert len(firsts) == len(changes) == 150
    assert all(r.choice == "A" for r in firsts) and all(r.choice == "B" for r in changes)
    rows = await services.db.fetchall(_choices)
    assert [(r["choice"], r["n"]) for r in rows] == [("B", 150)]

    clock.advance(seconds=10)
    late = await asyncio.gather(*(click(m, letter) for m in members for letter in ("C", "D")))
    assert all(r.already and r.choice == "B" and r.change_until is None for r in late)
    rows = await services.db.fetchall(_choices)
    assert [(r["choice"], r["n"]) for r in rows] == [("B", 150)]


_choices = select(answers.c.choice, func.count().label("n")).group_by(answers.c.choice)


async def test_group_commit_shares_commits_and_reports_failures():
    flushes: list[int] = []

    async def flush(batch: list[int]) -> list[int]:
        flushes.append(len(batch))
        await asyncio.sleep(0)
        if 13 in batch:
            raise ValueError("bad item")
        return [x * 2 for x in batch]

    group = GroupCommit(flush, max_batch=50)
    results = await asyncio.gather(*(group.submit(i) for i in range(12)))
    assert results == [i * 2 for i in range(12)] and len(flushes) < 12
    outcome = await asyncio.gather(group.submit(13), group.submit(14), return_exceptions=True)
    assert all(isinstance(o, ValueError) for o in outcome)
    assert await group.submit(3) == 6  # the committer goes on after a failed batch


async def test_a_cancelled_transaction_leaves_the_writer_usable(services):
    entered = asyncio.Event()

    async def slow_write():
        async with services.db.transaction() as conn:
            await conn.execute(insert(members), {"id": "console:half", "created_at": "now"})
            entered.set()
            await asyncio.sleep(10)

    task = asyncio.create_task(slow_write())
    await entered.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await services.db.execute(insert(members), {"id": "console:next", "created_at": "now"}) == 1
    ids = [r["id"] for r in await services.db.fetchall(select(members.c.id))]
    assert ids == ["console:next"]  # the cancelled write is gone, the next one went in


async def test_concurrent_setting_changes_both_stick(services):
    community = await services.communities.get("console:race")
    from datetime import time

    await asyncio.gather(services.communities.update(community, timezone="Asia/Tokyo"),
                         services.communities.update(community, post_time=time(6, 0)))
    cached = await services.communities.get("console:race")
    row = await services.db.fetchone(select(communities.c.timezone, communities.c.post_time)
                                     .where(communities.c.id == "console:race"))
    assert (cached.timezone, cached.post_time.strftime("%H:%M")) == (row["timezone"], row["post_time"]) == ("Asia/Tokyo", "06:00")


async def test_waiters_are_not_left_hanging_when_the_committer_is_cancelled():
    started = asyncio.Event()

    async def flush(batch: list[int]) -> list[int]:
        started.set()
        await asyncio.sleep(10)
        return batch

    group = GroupCommit(flush)
    first = asyncio.create_task(group.submit(1))
    await started.wait()
    second = asyncio.create_task(group.submit(2))
    await asyncio.sleep(0)
    group._worker.cancel()  # what a shutdown does to a task in flight
    results = await asyncio.wait_for(asyncio.gather(first, second, return_exceptions=True), timeout=2)
    assert all(isinstance(r, asyncio.CancelledError) for r in results)


async def test_a_transaction_cancelled_at_any_point_leaves_a_consistent_database(services, caplog):
    """Stopping the process while a duty records its outcome used to log 'cannot rollback - no transaction is
    active' and could leave the writer unusable: cancel at every step of BEGIN … COMMIT in turn. A connection left
    inside a transaction would fail the next BEGIN IMMEDIATE on SQLite, and show as 'idle in transaction' on
    PostgreSQL."""
    db = services.db
    committed = 0
    for step in range(40):
        async def write(i: int = step) -> None:
            async with db.transaction() as conn:
                await conn.execute(insert(deliveries), {"key": f"k{i}", "received_at": "now"})

        task = asyncio.create_task(write())
        for _ in range(step):
            await asyncio.sleep(0)
        task.cancel()
        try:
            await task
            committed += 1
        except asyncio.CancelledError:
            pass
        assert await _left_in_a_transaction(db) == 0
        await asyncio.wait_for(db.execute(insert(deliveries), {"key": f"after{step}", "received_at": "now"}), 10)
    stored = {row["key"] for row in await db.fetchall(select(deliveries.c.key))}
    assert {f"after{i}" for i in range(40)} <= stored
    assert committed <= len(stored) - 40  # a cancelled COMMIT may still have committed; nothing is half-written
    assert not [r for r in caplog.records if "cannot rollback" in r.getMessage()]


async def _left_in_a_transaction(db: Database) -> int:
    """Connections of this database that a transaction was left open on (PostgreSQL can tell; on SQLite the next
    write's BEGIN IMMEDIATE would fail instead)."""
    if db.dialect != "postgresql":
        return 0
    row = await db.fetchone(text("SELECT COUNT(*) AS n FROM pg_stat_activity WHERE datname = current_database() "
                                 "AND state LIKE 'idle in transaction%' AND pid <> pg_backend_pid()"))
    return int(row["n"])


async def test_a_cancelled_caller_stops_waiting_for_a_statement_that_can_never_end(monkeypatch):
    """A statement whose connection a shutdown closed under it never completes: its cancelled caller waits a grace
    period for it, then lets the cancellation through, so the shutdown ends instead of hanging."""
    monkeypatch.setattr(database, "FINISH_GRACE", 0.05)
    never: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    caller = asyncio.create_task(database._finish(never))
    await asyncio.sleep(0)
    caller.cancel()
    done, _ = await asyncio.wait({caller}, timeout=5)
    assert caller in done and caller.cancelled()
