"""The questions table: the bank's durable copy, so a community's imports survive restarts and past posts keep
pointing at the question they showed."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import aiosqlite

from core.clock import Clock, iso
from core.questions.model import Question
from core.storage.database import Database, Row

CHUNK = 500  # ids per IN (…) list, well under SQLite's limit on bound parameters
_UPSERT = """INSERT INTO questions (id, community_id, step, system, disciplines, competency, body, imported_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (id) DO UPDATE SET step = excluded.step, system = excluded.system,
                 disciplines = excluded.disciplines, competency = excluded.competency, body = excluded.body,
                 retired_at = NULL"""


@dataclass(frozen=True)
class Stored:
    question: Question
    owner: str | None  # None: bundled
    retired: bool = False  # removed after a post showed it: kept for that post's history, never picked again


@dataclass(frozen=True)
class Imported:
    added: int
    updated: int
    unchanged: int


@dataclass(frozen=True)
class Removed:
    deleted: list[str]
    retired: list[str]


class QuestionStore:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def save(self, questions: list[Question], community_id: str | None) -> Imported:
        """All in one transaction: an import is all or nothing. What it added, changed or found as it was is told
        from the rows the same transaction read, so a re-import says what it really did."""
        now = iso(self._clock.now())
        rows = [(q.id, community_id, q.step, q.system, " ".join(q.disciplines), q.competency, json.dumps(q.to_dict()), now)
                for q in questions]
        async with self._db.transaction() as conn:
            before = await _by_id(conn, "SELECT id, body, retired_at FROM questions WHERE id IN ({})", [q.id for q in questions])
            await conn.executemany(_UPSERT, rows)
        live = {r["id"]: r["body"] for r in before if r["retired_at"] is None}  # a retired one re-imported is back
        unchanged = sum(1 for row in rows if live.get(row[0]) == row[6])
        updated = sum(1 for row in rows if row[0] in live) - unchanged
        return Imported(len(rows) - updated - unchanged, updated, unchanged)

    async def all(self, community_id: str | None = None) -> list[Stored]:
        """Every question with its owner, or only one community's own."""
        if community_id is None:
            rows = await self._db.fetchall("SELECT community_id, body, retired_at FROM questions")
        else:
            rows = await self._db.fetchall("SELECT community_id, body, retired_at FROM questions WHERE community_id = ?",
                                           (community_id,))
        return [_stored(row) for row in rows]

    async def one(self, question_id: str) -> Stored | None:
        row = await self._db.fetchone("SELECT community_id, body, retired_at FROM questions WHERE id = ?", (question_id,))
        return None if row is None else _stored(row)

    async def remove(self, question_ids: list[str]) -> Removed:
        """In one transaction: a question no post has shown is deleted; one a post showed is retired, because the
        post and its answers point at it."""
        async with self._db.transaction() as conn:
            used = {r["question_id"] for r in await _by_id(
                conn, "SELECT DISTINCT question_id FROM daily_posts WHERE question_id IN ({})", question_ids)}
            deleted = [qid for qid in question_ids if qid not in used]
            retired = [qid for qid in question_ids if qid in used]
            await conn.executemany("DELETE FROM questions WHERE id = ?", [(qid,) for qid in deleted])
            now = iso(self._clock.now())
            await conn.executemany("UPDATE questions SET retired_at = ? WHERE id = ?", [(now, qid) for qid in retired])
        return Removed(deleted, retired)


async def _by_id(conn: aiosqlite.Connection, sql: str, ids: Sequence[str]) -> list[Row]:
    """`sql` with its `IN ({})` filled for every id, a chunk at a time."""
    rows: list[Row] = []
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        rows += list(await conn.execute_fetchall(sql.format(", ".join("?" * len(chunk))), chunk))
    return rows


def _stored(row: Row) -> Stored:
    return Stored(Question.from_dict(json.loads(row["body"])), row["community_id"], row["retired_at"] is not None)
