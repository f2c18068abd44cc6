"""The community, question and report stores on SQLite and PostgreSQL: the same statements, the same answers, and
what several processes on one database must see (one row for a community first met by two at once, a setting another
process changed seen within the cache's time-to-live)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import date, time, timedelta

import pytest
from sqlalchemy import func, insert, select, text

from core.bootstrap import build
from core.clock import FrozenClock, iso
from core.community.store import TTL, CommunityStore
from core.engine.duties import DutyStore, Plan
from core.qotd.reports import NewReport, ReportStore
from core.questions.bank import load_bundled
from core.questions.model import Question
from core.questions.store import CHUNK, Imported, QuestionStore
from core.questions.taxonomy import load_taxonomy
from core.settings import Settings
from core.storage.database import Database
from core.storage.schema import communities, daily_posts

DAY = date(2026, 11, 24)


@pytest.fixture
async def db(database: str) -> AsyncIterator[Database]:
    opened = await Database(database).open()
    yield opened
    await opened.close()


def questions(n: int, prefix: str = "q") -> list[Question]:
    """`n` distinct questions made from the bundled ones."""
    bundled = load_bundled(load_taxonomy())
    return [replace(bundled[i % len(bundled)], id=f"{prefix}-{i:04d}") for i in range(n)]


async def test_a_community_is_created_with_defaults_once_and_updated_as_stored(db: Database, clock: FrozenClock) -> None:
    store = CommunityStore(db, clock)
    assert not await store.exists("discord:1")
    created = await store.get("discord:1", "n" * 150)
    assert (created.name, created.channel_id, created.post_time, created.timezone) == ("n" * 100, None, time(9, 0), "UTC")
    assert await store.exists("discord:1")
    assert (await CommunityStore(db, clock).get("discord:1", "another name")).name == "n" * 100  # found, not made again

    stale = await store.get("discord:1")
    await store.update(stale, channel_id="100", timezone="Asia/Karachi")
    updated = await store.update(stale, post_time=time(7, 30), admin_role="mods")  # from the same old snapshot
    assert (updated.channel_id, updated.timezone, updated.post_time, updated.admin_role) == (
        "100", "Asia/Karachi", time(7, 30), "mods")  # both admins' changes stick
    assert (await CommunityStore(db, clock).get("discord:1")) == updated
    with pytest.raises(ValueError, match="unknown community settings"):
        await store.update(updated, nonsense=1)


async def test_a_community_first_met_by_two_processes_at_once_is_one_row(database: str, clock: FrozenClock) -> None:
    first, second = await Database(database).open(), await Database(database).open()
    try:
        stores = [CommunityStore(first, clock), CommunityStore(second, clock)]
        ids = [f"slack:T{i}" for i in range(10)]
        met = await asyncio.gather(*(store.get(cid, f"team {cid}") for cid in ids for store in stores for _ in range(3)))
        assert sorted({c.id for c in met}) == sorted(ids)
        counted = await first.fetchone(select(func.count().label("n")).select_from(communities))
        assert counted is not None and counted["n"] == 10
    finally:
        await first.close()
        await second.close()


async def test_a_setting_changed_by_another_process_is_seen_within_the_ttl(database: str, clock: FrozenClock) -> None:
    bot = await build(Settings(db_path=database), clock=clock)
    admin_tool = await build(Settings(db_path=database), clock=clock)
    try:
        await bot.communities.update(await bot.communities.get("discord:42"), channel_id="100")
        elsewhere = await admin_tool.communities.get("discord:42")
        assert elsewhere.channel_id == "100"
        await admin_tool.communities.update(elsewhere, channel_id=None, post_time=time(6, 15))

        cached = await bot.communities.get("discord:42")
        assert cached.channel_id == "100"  # within the TTL the bot answers from its cache
        fresh = await bot.communities.get("discord:42", fresh=True)
        assert (fresh.channel_id, fresh.post_time) == (None, time(6, 15))  # duties read past it

        await admin_tool.communities.update(fresh, channel_id="200")
        clock.advance(seconds=TTL.total_seconds())
        assert (await bot.communities.get("discord:42")).channel_id == "200"  # the cache has caught up
    finally:
        await bot.close()
        await admin_tool.close()


async def test_communities_with_a_channel_and_no_pending_duty_are_unplanned(db: Database, clock: FrozenClock) -> None:
    store, duties = CommunityStore(db, clock), DutyStore(db, clock)
    for cid in ("discord:1", "discord:2", "slack:T3"):
        await store.update(await store.get(cid), channel_id="100")
    await store.get("discord:4")  # no channel: nothing to plan
    await duties.plan(Plan("qotd.announce", "discord:2|2026-11-24", "discord:2", clock.now()))
    await duties.plan(Plan("qotd.reveal", "discord:1|2026-11-24", "discord:1", clock.now()))  # another kind
    unplanned = await store.unplanned("qotd.announce", frozenset({"discord"}))
    assert [c.id for c in unplanned] == ["discord:1"]
    assert {c.id for c in await store.unplanned("qotd.announce", frozenset({"discord", "slack"}))} == {"discord:1", "slack:T3"}


async def test_questions_are_counted_listed_removed_and_retired(db: Database, clock: FrozenClock) -> None:
    store = QuestionStore(db, clock)
    many = questions(CHUNK * 2 + 100)  # more than one IN (…) chunk
    assert await store.save(many, "console:club") == Imported(len(many), 0, 0)
    assert await store.save(many, "console:club") == Imported(0, 0, len(many))
    changed = [replace(q, stem=q.stem + " Changed.") for q in many[:3]]
    assert await store.save([*changed, *questions(2, "new")], "console:club") == Imported(2, 3, 0)
    assert await store.save([], "console:club") == Imported(0, 0, 0)

    assert len(await store.all("console:club")) == len(many) + 2 and await store.all("console:other") == []
    one = await store.one("q-0001")
    assert one is not None and one.question == changed[1] and one.owner == "console:club" and not one.retired
    assert await store.one("nowhere") is None

    await CommunityStore(db, clock).get("console:club")
    await db.execute(insert(daily_posts).values(
        community_id="console:club", local_date=DAY.isoformat(), question_id="q-0002", scheduled_at=iso(clock.now()),
        reveal_at=iso(clock.now() + timedelta(hours=12))))
    ids = [q.id for q in many[:CHUNK + 10]]
    removed = await store.remove(ids)
    assert removed.retired == ["q-0002"] and removed.deleted == [i for i in ids if i != "q-0002"]
    left = {s.question.id: s.retired for s in await store.all("console:club")}
    assert left["q-0002"] and not left[many[-1].id] and "q-0001" not in left
    assert await store.save(questions(3), "console:club") == Imported(3, 0, 0)  # q-0002 back from retirement, two re-added
    back = await store.one("q-0002")
    assert back is not None and not back.retired


async def test_processes_importing_the_same_questions_at_once_all_succeed(database: str, clock: FrozenClock) -> None:
    """Processes starting together each sync the bundled questions: on PostgreSQL their upserts run side by side and
    lock the same rows, which must not deadlock whatever order each was given them in."""
    opened = [await Database(database).open() for _ in range(3)]
    try:
        shared = questions(400)
        orders = [shared, shared[::-1], shared[200:] + shared[:200]]
        results = await asyncio.gather(*(QuestionStore(db, clock).save(order, None) for db, order in zip(opened, orders, strict=True)))
        # Each counts against what it read before the others committed, so each may call every row its own addition.
        assert all(r.added + r.updated + r.unchanged == len(shared) and r.updated == 0 for r in results)
        assert len(await QuestionStore(opened[0], clock).all()) == len(shared)
    finally:
        for db in opened:
            await db.close()


async def test_reports_are_filed_once_per_member_listed_by_question_and_resolved(db: Database, clock: FrozenClock) -> None:
    await CommunityStore(db, clock).get("console:club")
    await QuestionStore(db, clock).save(questions(1, "bundled"), None)
    await QuestionStore(db, clock).save(questions(1, "own"), "console:club")
    await db.execute(insert(daily_posts).values(
        community_id="console:club", local_date=DAY.isoformat(), question_id="bundled-0000",
        scheduled_at=iso(clock.now()), reveal_at=iso(clock.now())))
    post = await db.fetchone(select(daily_posts.c.id))
    assert post is not None
    post_id, store = post["id"], ReportStore(db)

    def report(question: str, member: str, note: str, minutes: int) -> NewReport:
        return NewReport("console:club", question, post_id, member, note, clock.now() + timedelta(minutes=minutes))

    assert await store.file(report("bundled-0000", "console:ann", "key is B", 0)) is False
    assert await store.file(report("bundled-0000", "console:ann", "key is C", 1)) is True  # rewritten, not counted twice
    assert await store.file(report("bundled-0000", "console:bob", "typo", 2)) is False
    assert await store.file(report("own-0000", "console:ann", "unclear", 3)) is False
    assert await store.file(report("gone-0000", "console:bob", "vanished", 4)) is False

    opened = await store.open("console:club")
    assert [(r.question_id, r.origin, r.notes, r.members) for r in opened] == [
        ("gone-0000", "gone", ("vanished",), 1), ("own-0000", "community", ("unclear",), 1),
        ("bundled-0000", "bundled", ("typo", "key is C"), 2)]
    assert opened[2].latest == clock.now() + timedelta(minutes=2)
    assert await store.open("console:elsewhere") == []

    assert await store.resolve("console:club", "bundled-0000", clock.now()) == 2
    assert await store.resolve("console:club", "bundled-0000", clock.now()) == 0
    assert await store.file(report("bundled-0000", "console:ann", "still B", 5)) is False  # a new report after resolving
    assert [r.notes for r in await store.open("console:club") if r.question_id == "bundled-0000"] == [("still B",)]


async def test_a_read_on_a_connection_the_server_dropped_is_asked_again(pg_database: str, clock: FrozenClock):
    """Reads skip the ping before each checkout (a hop per read): a connection the server closed meanwhile (a
    restart, an idle timeout) makes the read ask again on a fresh one, never fail the command."""
    db = await Database(pg_database).open()
    try:
        await CommunityStore(db, clock).get("console:one")
        assert len(await db.fetchall(select(communities.c.id))) == 1  # a pooled reader connection now exists
        await db.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
        assert [row["id"] for row in await db.fetchall(select(communities.c.id))] == ["console:one"]
    finally:
        await db.close()
