"""Migrations: a fresh database reaches the last version on both databases and matches schema.py; an old database
upgrades in place and keeps its rows; processes starting together upgrade once; a newer database is refused."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, insert, inspect, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from core.review.rules import rated
from core.review.store import ReviewStore
from core.storage.database import Database, StorageError
from core.storage.migrations import MIGRATIONS
from core.storage.migrations import review_cards as review_cards_migration
from core.storage.schema import (
    SQLITE_SEARCH_TABLES,
    answers,
    communities,
    daily_posts,
    deliveries,
    duties,
    members,
    metadata,
    questions,
    review_cards,
)
from testkit.old_migrations import RAW_MIGRATIONS_1_TO_4

LAST = len(MIGRATIONS)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(params=["sqlite", "postgresql"])
def blank(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database with nothing in it yet: a new SQLite file, or a new PostgreSQL database not even migrated."""
    if request.param == "sqlite":
        return str(tmp_path / "blank.db")
    return request.getfixturevalue("postgres_server").blank()


async def version_of(db: Database) -> list[int]:
    """Every version the database records: one on SQLite (user_version), one row per migration on PostgreSQL."""
    if db.dialect == "sqlite":
        return [(await db.fetchone(text("PRAGMA user_version")))["user_version"]]
    return [row["version"] for row in await db.fetchall(text("SELECT version FROM rounds_schema ORDER BY version"))]


def expected_versions(dialect: str) -> list[int]:
    return [LAST] if dialect == "sqlite" else list(range(1, LAST + 1))


def _columns(conn: Connection) -> dict[str, set[str]]:
    inspector = inspect(conn)
    return {name: {column["name"] for column in inspector.get_columns(name)}
            for name in inspector.get_table_names()
            if name != "rounds_schema" and not name.startswith(SQLITE_SEARCH_TABLES)}  # FTS5's tables, SQLite only


async def test_a_fresh_database_migrates_to_the_last_version_and_matches_the_schema(blank):
    db = await Database(blank).open()
    try:
        assert await version_of(db) == expected_versions(db.dialect)
        async with db.transaction() as conn:
            tables = await conn.run_sync(_columns)
        assert tables == {name: {column.name for column in table.columns} for name, table in metadata.tables.items()}
    finally:
        await db.close()
    again = await Database(blank).open()  # opening again applies nothing
    try:
        assert await version_of(again) == expected_versions(again.dialect)
    finally:
        await again.close()


async def test_a_database_at_version_4_upgrades_in_place_and_keeps_its_rows(blank):
    """Built with the first four migrations, holding rows, then opened by this Rounds: both databases."""
    old = await _at_version_4(blank)
    try:
        async with old.transaction() as conn:
            await _old_rows(conn)
    finally:
        await old.close()
    db = await Database(blank).open()
    try:
        assert await version_of(db) == expected_versions(db.dialect)
        await _rows_kept(db)
    finally:
        await db.close()


async def _at_version_4(target: str) -> Database:
    """A database stopped at version 4: the same migration functions, applied by hand, with the version recorded."""
    db = Database(target)
    db._writer, db._reader = db._engines()

    def upgrade(conn: Connection) -> None:
        operations = Operations(MigrationContext.configure(conn))
        for migration in MIGRATIONS[:4]:
            migration(operations)
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA user_version=4")
        else:
            conn.exec_driver_sql("CREATE TABLE rounds_schema (version INTEGER NOT NULL)")
            conn.exec_driver_sql("INSERT INTO rounds_schema (version) VALUES (1), (2), (3), (4)")

    async with db.transaction() as conn:
        await conn.run_sync(upgrade)
    return db


async def _old_rows(conn: AsyncConnection) -> None:
    """Rows as Rounds at version 4 wrote them (no change window, no retirement, no ping role yet)."""
    await conn.execute(insert(communities), {"id": "discord:1", "post_time": "07:30", "created_at": "2026-01-01T00:00:00Z"})
    await conn.execute(text("INSERT INTO members (id, display_name, created_at) VALUES ('discord:9', 'Ada', 'then')"))
    await conn.execute(text("INSERT INTO questions (id, step, system, disciplines, competency, body, imported_at) "
                            "VALUES ('q1', 'step1', 'cardio', '[]', 'dx', '{}', 'then')"))
    await conn.execute(text("INSERT INTO daily_posts (id, community_id, local_date, question_id, scheduled_at, "
                            "reveal_at) VALUES (7, 'discord:1', '2026-01-02', 'q1', 'a', 'b')"))
    await conn.execute(text("INSERT INTO answers (post_id, member_id, choice, correct, answered_at) "
                            "VALUES (7, 'discord:9', 'C', 1, 'then')"))
    await conn.execute(text("INSERT INTO duties (kind, key, scope, platform, due_at) "
                            "VALUES ('qotd.announce', 'discord:1/2026-01-02', 'discord:1', 'discord', 'a')"))


async def _rows_kept(db: Database) -> None:
    community = await db.fetchone(select(communities).where(communities.c.id == "discord:1"))
    assert community is not None and community["post_time"] == "07:30" and community["ping_role"] is None
    assert (await db.fetchone(select(members.c.display_name)))["display_name"] == "Ada"
    assert dict(await db.fetchone(select(questions.c.id, questions.c.retired_at))) == {"id": "q1", "retired_at": None}
    assert (await db.fetchone(select(daily_posts.c.id)))["id"] == 7
    answer = await db.fetchone(select(answers))
    assert (answer["choice"], answer["correct"], answer["change_until"]) == ("C", 1, None)
    assert (await db.fetchone(select(duties.c.key)))["key"] == "discord:1/2026-01-02"




async def test_a_sqlite_file_made_by_the_raw_sql_migrations_upgrades_in_place_and_keeps_its_rows(tmp_path):
    path = str(tmp_path / "old.db")
    made = sqlite3.connect(path)
    made.executescript(RAW_MIGRATIONS_1_TO_4[0] + RAW_MIGRATIONS_1_TO_4[1])
    made.execute("INSERT INTO deliveries (key, received_at) VALUES ('slack:Ev1', '2026-01-01T00:00:00Z')")
    made.executescript(RAW_MIGRATIONS_1_TO_4[2] + RAW_MIGRATIONS_1_TO_4[3])  # 4 marks the earlier claim done
    made.executescript("""
        INSERT INTO communities (id, post_time, created_at) VALUES ('discord:1', '07:30', '2026-01-01T00:00:00Z');
        INSERT INTO members (id, display_name, created_at) VALUES ('discord:9', 'Ada', 'then');
        INSERT INTO questions (id, step, system, disciplines, competency, body, imported_at)
            VALUES ('q1', 'step1', 'cardio', '[]', 'dx', '{}', 'then');
        INSERT INTO daily_posts (id, community_id, local_date, question_id, scheduled_at, reveal_at)
            VALUES (7, 'discord:1', '2026-01-02', 'q1', 'a', 'b');
        INSERT INTO answers (post_id, member_id, choice, correct, answered_at) VALUES (7, 'discord:9', 'C', 1, 'then');
        INSERT INTO duties (kind, key, scope, platform, due_at)
            VALUES ('qotd.announce', 'discord:1/2026-01-02', 'discord:1', 'discord', 'a');
        PRAGMA user_version = 4;
    """)
    made.close()

    db = await Database(path).open()
    try:
        assert await version_of(db) == [LAST]
        await _rows_kept(db)
        claim = await db.fetchone(select(deliveries))
        assert (claim["key"], claim["outcome"], claim["done_at"]) == ("slack:Ev1", "done", "2026-01-01T00:00:00Z")
        await db.execute(insert(answers), {"post_id": 7, "member_id": "discord:10", "choice": "A", "correct": 0,
                                           "answered_at": "now", "change_until": "soon"})  # the new columns take rows
    finally:
        await db.close()


# One process that waits for the word, opens the database (migrating it) and says which version it found.
OPENER = """
import asyncio, sys
from core.storage.database import Database
print("ready", flush=True)
sys.stdin.readline()
async def main():
    db = await Database(sys.argv[1]).open()
    await db.close()
asyncio.run(main())
print("opened", flush=True)
"""


async def test_four_processes_starting_together_apply_each_migration_exactly_once(blank):
    """Four processes open one blank database at the same moment: on PostgreSQL the advisory lock lets one
    upgrade while the others wait and then find nothing to do (rounds_schema holds each version once); on SQLite
    BEGIN IMMEDIATE queues them the same way."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    processes = [subprocess.Popen([sys.executable, "-c", OPENER, blank], cwd=ROOT, env=env, text=True,
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                 for _ in range(4)]
    try:
        for process in processes:  # every one imported and waiting: then all go at once
            assert await asyncio.to_thread(process.stdout.readline) == "ready\n"
        for process in processes:
            process.stdin.write("go\n")
            process.stdin.flush()
        outcomes = [await asyncio.to_thread(process.communicate, timeout=60) for process in processes]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
    assert [(p.returncode, out, err) for p, (out, err) in zip(processes, outcomes, strict=True)] == [(0, "opened\n", "")] * 4
    db = await Database(blank).open()
    try:
        assert await version_of(db) == expected_versions(db.dialect)
    finally:
        await db.close()


async def test_a_database_from_a_newer_rounds_is_refused_with_one_line(blank):
    db = await Database(blank).open()
    try:
        if db.dialect == "sqlite":
            await db.execute(text(f"PRAGMA user_version={LAST + 1}"))
        else:
            await db.execute(text("INSERT INTO rounds_schema (version) VALUES (:v)"), {"v": LAST + 1})
    finally:
        await db.close()
    with pytest.raises(StorageError) as refused:
        await Database(blank).open()
    message = str(refused.value)
    assert f"made by a newer Rounds (schema {LAST + 1}; this one knows {LAST})" in message and "\n" not in message


async def test_the_wrong_answers_given_before_the_review_queue_enter_it_once_per_question(blank):
    """Upgrading to `review_cards`: each member's wrong answers become cards never rated, due from when they were
    given, one per (community, member, question) however many posts showed the question; right answers and erased
    members' answers enter nothing. Both databases."""
    before = MIGRATIONS.index(review_cards_migration)
    db = Database(blank)
    db._writer, db._reader = db._engines()

    def upgrade(conn: Connection) -> None:
        operations = Operations(MigrationContext.configure(conn))
        for migration in MIGRATIONS[:before]:
            migration(operations)
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql(f"PRAGMA user_version={before}")
        else:
            conn.exec_driver_sql("CREATE TABLE rounds_schema (version INTEGER NOT NULL)")
            conn.exec_driver_sql("INSERT INTO rounds_schema (version) VALUES "
                                 + ", ".join(f"({n})" for n in range(1, before + 1)))

    try:
        async with db.transaction() as conn:
            await conn.run_sync(upgrade)
            await conn.execute(insert(communities), {"id": "discord:1", "created_at": "then"})
            await conn.execute(insert(questions), [{"id": q, "step": "step1", "system": "cardio", "disciplines": "",
                                                    "competency": "dx", "body": "{}", "imported_at": "then"}
                                                   for q in ("q1", "q2")])
            await conn.execute(insert(daily_posts), [
                {"id": n, "community_id": "discord:1", "local_date": day, "question_id": q, "scheduled_at": "a",
                 "reveal_at": "b"} for n, day, q in ((7, "2026-01-02", "q1"), (8, "2026-03-02", "q1"), (9, "2026-01-03", "q2"))])
            await conn.execute(insert(answers), [
                {"post_id": post, "member_id": member, "choice": "A", "correct": correct, "answered_at": at}
                for post, member, correct, at in (
                    (7, "discord:9", 0, "2026-01-02T10:00:00.000000+00:00"),
                    (8, "discord:9", 0, "2026-03-02T10:00:00.000000+00:00"),  # q1 again, a new cycle: one card
                    (9, "discord:9", 1, "2026-01-03T10:00:00.000000+00:00"),
                    (9, "erased:0123456789abcdef", 0, "2026-01-03T10:00:00.000000+00:00"),
                    (7, "discord:10", 0, "2026-01-02T11:00:00.000000+00:00"))])
    finally:
        await db.close()
    db = await Database(blank).open()
    try:
        found = [dict(row) for row in await db.fetchall(
            select(review_cards.c.member_id, review_cards.c.question_id, review_cards.c.origin, review_cards.c.post_id,
                   review_cards.c.due_at, review_cards.c.reviews, review_cards.c.state).order_by(review_cards.c.member_id))]
        assert found == [
            {"member_id": "discord:10", "question_id": "q1", "origin": "missed", "post_id": 7,
             "due_at": "2026-01-02T11:00:00.000000+00:00", "reviews": 0, "state": 1},
            {"member_id": "discord:9", "question_id": "q1", "origin": "missed", "post_id": 7,
             "due_at": "2026-01-02T10:00:00.000000+00:00", "reviews": 0, "state": 1}]
        card = await ReviewStore(db).find("discord:1", "discord:9", "q1")
        assert card is not None and card.schedule.stability is None  # never rated: FSRS takes it as new
        assert rated(card.schedule, True, card.schedule.due).due > card.schedule.due
    finally:
        await db.close()
