"""The question bank: bundled questions plus each community's own, indexed in memory.

Questions are small and read on every /qotd and answer, so they live in memory; the database keeps them so a
community's imports survive restarts and past posts keep pointing at the question they showed.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import content
from core.clock import Clock, iso
from core.db import Database, Row
from core.errors import UserError
from core.questions import Problem, Question, parse_file
from core.tags import TagFilter
from core.taxonomy import Taxonomy


class QuestionBank:
    def __init__(self, db: Database, clock: Clock, taxonomy: Taxonomy) -> None:
        self._db = db
        self._clock = clock
        self.taxonomy = taxonomy
        self._questions: dict[str, Question] = {}
        self._owner: dict[str, str | None] = {}

    async def load(self) -> None:
        """Sync the bundled files into the database, then index everything the database holds."""
        bundled = load_bundled(self.taxonomy)
        await self._store(bundled, community_id=None)
        self._index(await self._db.fetchall("SELECT id, community_id, body FROM questions"))

    async def refresh(self, community_id: str) -> None:
        """Pick up a community's questions imported by another process (`rounds content import` while the bot runs)."""
        self._index(await self._db.fetchall("SELECT id, community_id, body FROM questions WHERE community_id = ?", (community_id,)))

    def _index(self, rows: list[Row]) -> None:
        for row in rows:
            self._questions[row["id"]] = Question.from_dict(json.loads(row["body"]))
            self._owner[row["id"]] = row["community_id"]

    async def import_questions(self, questions: list[Question], community_id: str) -> int:
        """A community's questions, stored under ids namespaced by the community; all or nothing."""
        scoped = [_scoped(q, community_id) for q in questions]
        await self._store(scoped, community_id)
        for question in scoped:
            self._questions[question.id] = question
            self._owner[question.id] = community_id
        return len(scoped)

    async def _store(self, questions: list[Question], community_id: str | None) -> None:
        now = iso(self._clock.now())
        await self._db.executemany(
            """INSERT INTO questions (id, community_id, step, system, disciplines, competency, body, imported_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (id) DO UPDATE SET step = excluded.step, system = excluded.system,
                   disciplines = excluded.disciplines, competency = excluded.competency, body = excluded.body""",
            [(q.id, community_id, q.step, q.system, " ".join(q.disciplines), q.competency, json.dumps(q.to_dict()), now)
             for q in questions],
        )

    def get(self, question_id: str) -> Question:
        return self._questions[question_id]

    def available(self, community_id: str, tag_filter: TagFilter) -> list[Question]:
        """Questions a community can be given: bundled and its own, within its tag filter, in a stable order."""
        return [
            q for qid, q in sorted(self._questions.items())
            if self._owner[qid] in (None, community_id) and tag_filter.matches(q, self.taxonomy)
        ]

    def require_available(self, community_id: str, tag_filter: TagFilter) -> list[Question]:
        questions = self.available(community_id, tag_filter)
        if not questions:
            raise UserError(f"No questions match the filter ({tag_filter.describe(self.taxonomy)}). Widen it, or set it to `all`.")
        return questions


def load_bundled(taxonomy: Taxonomy) -> list[Question]:
    """Every bundled question; a broken bundled file is a bug, so it fails loudly."""
    questions: list[Question] = []
    problems: list[Problem] = []
    for file in content.question_files():
        found, wrong = parse_file(Path(str(file)), taxonomy)
        questions += found
        problems += [Problem(f"{file.name}: {p.where}", p.message) for p in wrong]
    ids = [q.id for q in questions]
    problems += [Problem("bundle", f"duplicate id {qid}") for qid in sorted({i for i in ids if ids.count(i) > 1})]
    if problems:
        raise ValueError("bundled content is invalid:\n" + "\n".join(map(str, problems)))
    return questions


def _scoped(question: Question, community_id: str) -> Question:
    return replace(question, id=f"{community_id}/{question.id}")
