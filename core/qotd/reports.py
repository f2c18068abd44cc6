"""Members' reports of a problem with a question (a wrong key, a typo) in the database: the one place their SQL lives.

A member has at most one open report on a question in a community, so reporting it again rewrites the note instead of
counting twice. Resolving closes every open report on the question; a later report opens a new one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import select, update

from core.clock import iso, parse_iso
from core.storage.database import Database, rows
from core.storage.schema import question_reports, questions

_OPEN = question_reports.c.resolved_at.is_(None)

Origin = Literal["bundled", "community", "gone"]  # shipped with Rounds, imported by the community, no longer in the bank


@dataclass(frozen=True)
class NewReport:
    community_id: str
    question_id: str
    post_id: int
    member_id: str
    note: str
    at: datetime


@dataclass(frozen=True)
class OpenReport:
    """Every open report on one question, newest note first."""

    question_id: str
    origin: Origin
    notes: tuple[str, ...]
    latest: datetime

    @property
    def members(self) -> int:
        return len(self.notes)  # one open report a member


class ReportStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def file(self, report: NewReport) -> bool:
        """Store the report; True when it replaced the member's open report on the same question."""
        mine = (question_reports.c.community_id == report.community_id,
                question_reports.c.question_id == report.question_id, question_reports.c.member_id == report.member_id)
        upsert = self._db.insert(question_reports).values(
            community_id=report.community_id, question_id=report.question_id, post_id=report.post_id,
            member_id=report.member_id, note=report.note, reported_at=iso(report.at))
        upsert = upsert.on_conflict_do_update(
            index_elements=[question_reports.c.community_id, question_reports.c.question_id, question_reports.c.member_id],
            index_where=_OPEN,
            set_={name: upsert.excluded[name] for name in ("note", "post_id", "reported_at")})
        async with self._db.transaction() as conn:
            found = await rows(conn, select(question_reports.c.id).where(*mine, _OPEN))
            await conn.execute(upsert)
        return bool(found)

    async def open(self, community_id: str) -> list[OpenReport]:
        """The community's open reports by question, the most recently reported question first."""
        r, q = question_reports, questions
        found = await self._db.fetchall(
            select(r.c.question_id, r.c.note, r.c.reported_at, q.c.id.is_not(None).label("known"),
                   q.c.community_id.label("owner"))
            .select_from(r.outerjoin(q, q.c.id == r.c.question_id))
            .where(r.c.community_id == community_id, _OPEN)
            .order_by(r.c.reported_at.desc(), r.c.id.desc()))
        grouped: dict[str, list[str]] = {}
        first: dict[str, tuple[Origin, datetime]] = {}
        for row in found:
            grouped.setdefault(row["question_id"], []).append(row["note"])
            origin: Origin = "gone" if not row["known"] else "bundled" if row["owner"] is None else "community"
            first.setdefault(row["question_id"], (origin, parse_iso(row["reported_at"])))
        return [OpenReport(qid, first[qid][0], tuple(notes), first[qid][1]) for qid, notes in grouped.items()]

    async def resolve(self, community_id: str, question_id: str, at: datetime) -> int:
        """Close the question's open reports; how many there were."""
        return await self._db.execute(update(question_reports).where(
            question_reports.c.community_id == community_id, question_reports.c.question_id == question_id, _OPEN,
        ).values(resolved_at=iso(at)))
