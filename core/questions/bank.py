"""The question bank: bundled questions plus each community's own."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import content
from core.errors import UserError
from core.questions.model import Problem, Question, parse_file
from core.questions.store import Imported, QuestionStore, Removed, Stored
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
        self._retired: set[str] = set()

    async def load(self) -> None:
        """Sync the bundled files into the database, then index everything the database holds."""
        await self._store.save(load_bundled(self.taxonomy), community_id=None)
        self._index(await self._store.all())

    async def refresh(self, community_id: str) -> None:
        """Pick up a community's questions imported, retired or removed by another process (`rounds content` while
        the bot runs)."""
        found = await self._store.all(community_id)
        kept = {stored.question.id for stored in found}
        for qid in [q for q, owner in self._owner.items() if owner == community_id and q not in kept]:
            del self._questions[qid], self._owner[qid]
            self._retired.discard(qid)
        self._index(found)

    def _index(self, found: list[Stored]) -> None:
        for stored in found:
            self._questions[stored.question.id] = stored.question
            self._owner[stored.question.id] = stored.owner
            (self._retired.add if stored.retired else self._retired.discard)(stored.question.id)

    async def import_questions(self, questions: list[Question], community_id: str) -> Imported:
        """A community's questions, stored under ids namespaced by the community; all or nothing."""
        scoped = [_scoped(q, community_id) for q in questions]
        imported = await self._store.save(scoped, community_id)
        self._index([Stored(q, community_id) for q in scoped])
        return imported

    async def own(self, community_id: str) -> list[Question]:
        """The community's imported questions that can still be picked, read from the database (the source of truth
        another process may have changed), in id order."""
        await self.refresh(community_id)
        return sorted((self._questions[q] for q, owner in self._owner.items()
                       if owner == community_id and q not in self._retired), key=lambda q: q.id)

    async def for_export(self, community_id: str, *, include_bundled: bool = False) -> list[Question]:
        """The community's own live questions as its file has them (ids without the community prefix), so an export
        imports back as the same questions; with `include_bundled`, the bundled ones after them."""
        own = [replace(q, id=q.id.removeprefix(f"{community_id}/")) for q in await self.own(community_id)]
        if not include_bundled:
            return own
        bundled = sorted((q for qid, q in self._questions.items() if self._owner[qid] is None and qid not in self._retired),
                         key=lambda q: q.id)
        clash = sorted({q.id for q in own} & {q.id for q in bundled})
        if clash:
            raise UserError(f"{', '.join(clash)} is both one of {community_id}'s questions and a bundled one, so the "
                            "file could not tell them apart: export without --include-bundled, or rename the community's "
                            "question and import it again.")
        return own + bundled

    async def remove(self, question_ids: list[str], community_id: str) -> Removed:
        """All or nothing: every id must be one of the community's own live questions, or nothing is removed."""
        own = {q.id for q in await self.own(community_id)}
        resolved = {qid: qid if qid in own else _scoped_id(qid, community_id) for qid in question_ids}
        wrong = [qid for qid, full in resolved.items() if full not in own]
        if wrong:
            raise UserError("Nothing was removed. " + " ".join(self._why_not(qid, community_id) for qid in wrong)
                            + f" `rounds content list --community {community_id}` shows the ids you can remove.")
        removed = await self._store.remove(list(dict.fromkeys(resolved.values())))
        await self.refresh(community_id)
        return removed

    def _why_not(self, question_id: str, community_id: str) -> str:
        full = question_id if question_id in self._owner else _scoped_id(question_id, community_id)
        if full not in self._owner:
            return f"{question_id} is not one of {community_id}'s questions."
        if self._owner[full] is None:
            return f"{question_id} is a bundled question, which no community can remove."
        if self._owner[full] != community_id:
            return f"{question_id} belongs to another community."
        return f"{question_id} was removed already."

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
            if self._owner[qid] in (None, community_id) and qid not in self._retired and tag_filter.matches(q, self.taxonomy)
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
    return replace(question, id=_scoped_id(question.id, community_id))


def _scoped_id(question_id: str, community_id: str) -> str:
    """The id a community's question is stored under; `content remove` accepts it with or without the prefix."""
    return f"{community_id}/{question_id}"
