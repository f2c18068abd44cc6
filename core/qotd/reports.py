"""Members' reports of a problem with a question (a wrong key, a typo) in the database: the one place their SQL lives.

A member has at most one open report on a question in a community, so reporting it again rewrites the note instead of
counting twice. Resolving closes every open report on the question; a later report opens a new one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from core.clock import iso, parse_iso
from core.storage.database import Database

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
        key = (report.community_id, report.question_id, report.member_id)
        async with self._db.transaction() as conn:
            found = list(await conn.execute_fetchall(
                "SELECT 1 FROM question_reports WHERE community_id = ? AND question_id = ? AND member_id = ? "
                "AND resolved_at IS NULL", key))
            await conn.execute(
                """INSERT INTO question_reports (community_id, question_id, post_id, member_id, note, reported_at)
                   VALUES (?, ?, ?, ?, ?, ?)
                   ON CONFLICT (community_id, question_id, member_id) WHERE resolved_at IS NULL
                   DO UPDATE SET note = excluded.note, post_id = excluded.post_id, reported_at = excluded.reported_at""",
                (*key[:2], report.post_id, report.member_id, report.note, iso(report.at)))
        return bool(found)

    async def open(self, community_id: str) -> list[OpenReport]:
        """The community's open reports by question, the most recently reported question first."""
        rows = await self._db.fetchall(
            """SELECT r.question_id, r.note, r.reported_at, q.id IS NOT NULL AS known, q.community_id AS owner
               FROM question_reports r LEFT JOIN questions q ON q.id = r.question_id
               WHERE r.community_id = ? AND r.resolved_at IS NULL
               ORDER BY r.reported_at DESC, r.id DESC""", (community_id,))
        grouped: dict[str, list[str]] = {}
        first: dict[str, tuple[Origin, datetime]] = {}
        for row in rows:
            grouped.setdefault(row["question_id"], []).append(row["note"])
            origin: Origin = "gone" if not row["known"] else "bundled" if row["owner"] is None else "community"
            first.setdefault(row["question_id"], (origin, parse_iso(row["reported_at"])))
        return [OpenReport(qid, first[qid][0], tuple(notes), first[qid][1]) for qid, notes in grouped.items()]

    async def resolve(self, community_id: str, question_id: str, at: datetime) -> int:
        """Close the question's open reports; how many there were."""
        return await self._db.execute(
            "UPDATE question_reports SET resolved_at = ? WHERE community_id = ? AND question_id = ? AND resolved_at IS NULL",
            (iso(at), community_id, question_id))
