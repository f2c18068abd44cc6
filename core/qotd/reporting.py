"""Reporting a problem with a question of the day: the rules (a note that says something, within its limit, about a
post of the member's own community) in front of the reports store."""

from __future__ import annotations

from dataclasses import dataclass

from core.clock import Clock
from core.community.members import Member
from core.errors import UserError
from core.qotd.reports import NewReport, OpenReport, ReportStore
from core.qotd.service import QotdService
from core.text import clean, quote

NOTE_LIMIT = 500


@dataclass(frozen=True)
class Filed:
    question_id: str
    updated: bool  # the member's earlier open report on this question now says this instead


class ReportService:
    def __init__(self, store: ReportStore, qotd: QotdService, clock: Clock) -> None:
        self._store = store
        self._qotd = qotd
        self._clock = clock

    async def file(self, post_id: int, member: Member, note: str, community_id: str) -> Filed:
        text = clean(note).strip()
        if not text:
            raise UserError('Say what is wrong in the note, like `note:"B is also correct because…"`.')
        if len(text) > NOTE_LIMIT:
            raise UserError(f"The note is {len(text):,} characters long; the limit is {NOTE_LIMIT}. Shorten it and send it again.")
        post = await self._qotd.post(post_id)
        if post.community_id != community_id:
            raise UserError("That question belongs to another community. Report it where it was posted.")
        report = NewReport(community_id, post.question_id, post.id, member.id, text, self._clock.now())
        return Filed(post.question_id, await self._store.file(report))

    async def open(self, community_id: str) -> list[OpenReport]:
        return await self._store.open(community_id)

    async def resolve(self, community_id: str, question_id: str) -> int:
        closed = await self._store.resolve(community_id, question_id.strip(), self._clock.now())
        if not closed:
            raise UserError(f"There are no open reports on `{quote(question_id)}`. Type `/rounds reports` to see the "
                            "question ids that have some.")
        return closed
