"""The questions table: the bank's durable copy, so a community's imports survive restarts and past posts keep
pointing at the question they showed."""

from __future__ import annotations

import json

from core.clock import Clock, iso
from core.questions.model import Question
from core.storage.database import Database


class QuestionStore:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def save(self, questions: list[Question], community_id: str | None) -> None:
        """All in one transaction: an import is all or nothing."""
        now = iso(self._clock.now())
        await self._db.executemany(
            """INSERT INTO questions (id, community_id, step, system, disciplines, competency, body, imported_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (id) DO UPDATE SET step = excluded.step, system = excluded.system,
                   disciplines = excluded.disciplines, competency = excluded.competency, body = excluded.body""",
            [(q.id, community_id, q.step, q.system, " ".join(q.disciplines), q.competency, json.dumps(q.to_dict()), now)
             for q in questions],
        )

    async def all(self, community_id: str | None = None) -> list[tuple[Question, str | None]]:
        """Every question with its owner (None: bundled), or only one community's own."""
        if community_id is None:
            rows = await self._db.fetchall("SELECT community_id, body FROM questions")
        else:
            rows = await self._db.fetchall("SELECT community_id, body FROM questions WHERE community_id = ?", (community_id,))
        return [(Question.from_dict(json.loads(row["body"])), row["community_id"]) for row in rows]

    async def one(self, question_id: str) -> tuple[Question, str | None] | None:
        row = await self._db.fetchone("SELECT community_id, body FROM questions WHERE id = ?", (question_id,))
        return None if row is None else (Question.from_dict(json.loads(row["body"])), row["community_id"])
