"""The questions table: the bank's durable copy, so a community's imports survive restarts and past posts keep
pointing at the question they showed."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BindParameter, Executable, Select, bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from core.clock import Clock, iso
from core.questions.model import Question
from core.storage.database import Database, Row, rows
from core.storage.schema import daily_posts, questions

CHUNK = 500  # ids per IN (…) list, well under either database's limit on bound parameters
IDS: BindParameter[list[str]] = bindparam("ids", expanding=True)  # any number of ids: compiled once, expanded per call
_STORED = (questions.c.community_id, questions.c.body, questions.c.retired_at)
_BEFORE = select(questions.c.id, questions.c.body, questions.c.retired_at).where(questions.c.id.in_(IDS))
_SHOWN = select(daily_posts.c.question_id).distinct().where(daily_posts.c.question_id.in_(IDS))


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
        # In id order, so that two processes upserting overlapping questions at once (PostgreSQL lets them) lock the
        # rows in the same order and one waits for the other instead of deadlocking.
        ordered = sorted(questions, key=lambda q: q.id)
        values = [{"id": q.id, "community_id": community_id, "step": q.step, "system": q.system,
                   "disciplines": " ".join(q.disciplines), "competency": q.competency, "body": json.dumps(q.to_dict()),
                   "imported_at": now} for q in ordered]
        if not values:
            return Imported(0, 0, 0)
        async with self._db.transaction() as conn:
            before = await _by_id(conn, _BEFORE, [q.id for q in ordered])
            await conn.execute(self._upsert(), values)
        live = {r["id"]: r["body"] for r in before if r["retired_at"] is None}  # a retired one re-imported is back
        unchanged = sum(1 for v in values if live.get(v["id"]) == v["body"])
        updated = sum(1 for v in values if v["id"] in live) - unchanged
        return Imported(len(values) - updated - unchanged, updated, unchanged)

    def _upsert(self) -> Executable:
        """A question added, or its content replaced (and brought back if it was retired); its owner and first
        import time stay."""
        upsert = self._db.insert(questions)
        return upsert.on_conflict_do_update(index_elements=[questions.c.id], set_={
            **{name: upsert.excluded[name] for name in ("step", "system", "disciplines", "competency", "body")},
            "retired_at": None})

    async def all(self, community_id: str | None = None) -> list[Stored]:
        """Every question with its owner, or only one community's own."""
        statement = select(*_STORED)
        if community_id is not None:
            statement = statement.where(questions.c.community_id == community_id)
        return [_stored(row) for row in await self._db.fetchall(statement)]

    async def one(self, question_id: str) -> Stored | None:
        row = await self._db.fetchone(select(*_STORED).where(questions.c.id == question_id))
        return None if row is None else _stored(row)

    async def remove(self, question_ids: list[str]) -> Removed:
        """In one transaction: a question no post has shown is deleted; one a post showed is retired, because the
        post and its answers point at it."""
        async with self._db.transaction() as conn:
            used = {r["question_id"] for r in await _by_id(conn, _SHOWN, question_ids)}
            deleted = [qid for qid in question_ids if qid not in used]
            retired = [qid for qid in question_ids if qid in used]
            for chunk in _chunks(sorted(deleted)):  # in id order, as in `save`
                await conn.execute(delete(questions).where(questions.c.id.in_(IDS)), {"ids": chunk})
            now = iso(self._clock.now())
            for chunk in _chunks(sorted(retired)):
                await conn.execute(update(questions).where(questions.c.id.in_(IDS)).values(retired_at=now), {"ids": chunk})
        return Removed(deleted, retired)


async def _by_id(conn: AsyncConnection, statement: Select[Any], ids: Sequence[str]) -> list[Row]:
    """What `statement` (filtered on `IDS`) returns for every id, a chunk of ids at a time."""
    found: list[Row] = []
    for chunk in _chunks(ids):
        found += await rows(conn, statement, {"ids": chunk})
    return found


def _chunks(ids: Sequence[str]) -> list[list[str]]:
    return [list(ids[start:start + CHUNK]) for start in range(0, len(ids), CHUNK)]


def _stored(row: Row) -> Stored:
    return Stored(Question.from_dict(json.loads(row["body"])), row["community_id"], row["retired_at"] is not None)
