"""The question bank: bundled questions plus each community's own."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import content
from core.errors import UserError
from core.questions.model import Problem, Question, parse_file
from core.questions.store import QuestionStore
from core.questions.tags import TagFilter
from core.questions.taxonomy import Taxonomy


class QuestionBank:
    """Questions are small and read on every /qotd and answer, so they are indexed in memory; a question another
    process imported after this one started is read from the database the first time it is asked for."""

    def __init__(self, store: QuestionStore, taxonomy: Taxonomy) -> None:
        self._store = store
        self.taxonomy = taxonomy
        self._questions: dict[str, Question] = {}
        self._owner: dict[str, str | None] = {}

    async def load(self) -> None:
        """Sync the bundled files into the database, then index everything the database holds."""
        await self._store.save(load_bundled(self.taxonomy), community_id=None)
        self._index(await self._store.all())

    async def refresh(self, community_id: str) -> None:
        """Pick up a community's questions imported by another process (`rounds content import` while the bot runs)."""
        self._index(await self._store.all(community_id))

    def _index(self, found: list[tuple[Question, str | None]]) -> None:
        for question, owner in found:
            self._questions[question.id] = question
            self._owner[question.id] = owner

    async def import_questions(self, questions: list[Question], community_id: str) -> int:
        """A community's questions, stored under ids namespaced by the community; all or nothing."""
        scoped = [_scoped(q, community_id) for q in questions]
        await self._store.save(scoped, community_id)
        self._index([(q, community_id) for q in scoped])
        return len(scoped)

    async def get(self, question_id: str) -> Question:
        """A question by id, from memory or else from the database (another process may have imported it)."""
        if question_id not in self._questions:
            found = await self._store.one(question_id)
            if found is None:
                raise UserError("That question is no longer in the bank. Type `/qotd` for today's question.")
            self._index([found])
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
