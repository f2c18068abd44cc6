"""Daily posts and their answers in the database: the one place their SQL lives.

A (community, local date) row is claimed once, so everyone sees the same question whoever asks first; answers are
written a batch at a time (group commit), each member's first answer standing once its short change window (a
mis-tap undone) has closed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from core.clock import iso, parse_iso
from core.community.members import MAX_NAME, Member
from core.storage.database import Database, Row

PostPicker = Callable[[list[tuple[str, int]]], "NewPost"]  # history (question id, cycle) → the day's new post
CHANGE_WINDOW = timedelta(seconds=10)  # how long after the first press a member may still change their answer
Outcome = Literal["fresh", "changed", "already"]


@dataclass(frozen=True)
class DailyPost:
    id: int
    community_id: str
    local_date: date
    question_id: str
    scheduled_at: datetime
    reveal_at: datetime
    immediate: bool
    announced: bool = False
    revealed_in_channel: bool = False

    def revealed(self, now: datetime) -> bool:
        return self.immediate or now >= self.reveal_at


@dataclass(frozen=True)
class NewPost:
    question_id: str
    cycle: int
    scheduled_at: datetime
    reveal_at: datetime
    immediate: bool


@dataclass(frozen=True)
class AnswerWrite:
    post_id: int
    member: Member
    choice: str
    correct: bool
    at: str


@dataclass(frozen=True)
class Recorded:
    outcome: Outcome  # the member's first answer, a change of it, or a press that changed nothing
    choice: str  # the answer that stands after this press
    counts: Mapping[str, int]  # everyone's answers to the post as of this commit
    reveal_at: datetime  # the post's reveal time as stored now (a late post moves it)
    change_until: datetime | None = None  # the member may still change the answer until then; None: it stands


@dataclass(frozen=True)
class Graded:
    correct: bool
    system: str
    disciplines: tuple[str, ...]
    first_attempt: bool  # answered before the explanation was out (else it was a review)


@dataclass(frozen=True)
class Attempt:
    """A post of the community and how one member did on it."""

    post: DailyPost
    choice: str | None  # None: never answered
    correct: bool
    change_until: datetime | None = None  # the answer may still be changed (a mis-tap) until then


class PostStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def find(self, community_id: str, day: date) -> DailyPost | None:
        row = await self._db.fetchone("SELECT * FROM daily_posts WHERE community_id = ? AND local_date = ?",
                                      (community_id, day.isoformat()))
        return None if row is None else _post(row)

    async def claim_day(self, community_id: str, day: date, pick: PostPicker) -> DailyPost:
        """The day's post, chosen by `pick` from the community's history inside one transaction; a racing claim
        (another task or process) finds the row and uses it."""
        async with self._db.transaction() as conn:
            found = list(await conn.execute_fetchall(
                "SELECT * FROM daily_posts WHERE community_id = ? AND local_date = ?", (community_id, day.isoformat())))
            if found:
                return _post(found[0])
            history = await conn.execute_fetchall(
                "SELECT question_id, cycle FROM daily_posts WHERE community_id = ? ORDER BY local_date", (community_id,))
            new = pick([(r["question_id"], r["cycle"]) for r in history])
            rows = await conn.execute_fetchall(
                """INSERT INTO daily_posts (community_id, local_date, question_id, cycle, scheduled_at, reveal_at, immediate)
                   VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *""",
                (community_id, day.isoformat(), new.question_id, new.cycle, iso(new.scheduled_at), iso(new.reveal_at),
                 int(new.immediate)))
            return _post(list(rows)[0])

    async def history(self, community_id: str) -> list[tuple[str, int]]:
        """(question id, cycle) of every post of the community, oldest first: what the next day's pick reads."""
        rows = await self._db.fetchall(
            "SELECT question_id, cycle FROM daily_posts WHERE community_id = ? ORDER BY local_date", (community_id,))
        return [(row["question_id"], row["cycle"]) for row in rows]

    async def get(self, post_id: int) -> DailyPost | None:
        row = await self._db.fetchone("SELECT * FROM daily_posts WHERE id = ?", (post_id,))
        return None if row is None else _post(row)

    async def last_announced(self, community_id: str) -> date | None:
        """The latest local date whose post went out in the channel."""
        row = await self._db.fetchone("SELECT MAX(local_date) AS day FROM daily_posts WHERE community_id = ? "
                                      "AND announced_at IS NOT NULL", (community_id,))
        return date.fromisoformat(row["day"]) if row is not None and row["day"] else None

    async def mark(self, post_id: int, what: str, at: datetime) -> None:
        """Record that the post was announced ('announced') or revealed ('revealed') in the channel."""
        column = {"announced": "announced_at", "revealed": "revealed_at"}[what]  # a fixed list: never input in SQL
        await self._db.execute(f"UPDATE daily_posts SET {column} = ? WHERE id = ? AND {column} IS NULL", (iso(at), post_id))

    async def mark_announced(self, post_id: int, at: datetime, reveal_no_sooner: datetime) -> datetime:
        """Record the post as out in the channel, moving a timed reveal later if the post went out late, so members
        always get the community's whole delay; returns the reveal time that stands."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE daily_posts SET announced_at = ?, reveal_at = CASE WHEN immediate THEN reveal_at "
                "ELSE MAX(reveal_at, ?) END WHERE id = ? AND announced_at IS NULL", (iso(at), iso(reveal_no_sooner), post_id))
            rows = list(await conn.execute_fetchall("SELECT reveal_at FROM daily_posts WHERE id = ?", (post_id,)))
        return parse_iso(rows[0]["reveal_at"])

    async def write_answers(self, batch: list[AnswerWrite]) -> list[Recorded]:
        """One transaction for a whole batch, so a thousand presses share a handful of commits. Each member's presses
        in the batch make one row: inserted (their first answer) or, while its window is open, updating the stored
        choice; RETURNING names the rows written, so fresh, changed and refused presses are told apart without a
        query per press. Reveal times and counts are read in the same transaction, never trusted from a cache."""
        presses: dict[tuple[int, str], list[int]] = {}
        for index, item in enumerate(batch):
            presses.setdefault((item.post_id, item.member.id), []).append(index)
        post_ids = sorted({item.post_id for item in batch})
        members = {item.member.id: item for item in batch}.values()
        async with self._db.transaction() as conn:
            await conn.executemany(
                """INSERT INTO members (id, display_name, created_at) VALUES (?, ?, ?)
                   ON CONFLICT (id) DO UPDATE SET display_name = excluded.display_name
                   WHERE excluded.display_name != '' AND members.display_name != excluded.display_name""",
                [(m.member.id, m.member.name[:MAX_NAME], m.at) for m in members],
            )
            marks = ", ".join("?" * len(post_ids))
            reveals = {row[0]: (parse_iso(row[1]), bool(row[2])) for row in await conn.execute_fetchall(
                f"SELECT id, reveal_at, immediate FROM daily_posts WHERE id IN ({marks})", post_ids)}
            rows = [_answer_row(batch[indexes[0]], batch[indexes[-1]], *reveals[key[0]]) for key, indexes in presses.items()]
            written = {(row[0], row[1]): (row[2], row[3]) for row in await conn.execute_fetchall(
                f"""INSERT INTO answers (post_id, member_id, choice, correct, answered_at, change_until)
                    VALUES {", ".join(["(?, ?, ?, ?, ?, ?)"] * len(rows))}
                    ON CONFLICT (post_id, member_id) DO UPDATE
                    SET choice = excluded.choice, correct = excluded.correct, changed_at = excluded.answered_at
                    WHERE answers.change_until > excluded.answered_at AND answers.choice != excluded.choice
                    RETURNING post_id, member_id, change_until, changed_at""", [v for row in rows for v in row])}
            refused = [key for key in presses if key not in written]
            standing: dict[tuple[int, str], tuple[str, str | None]] = {}
            if refused:
                pairs = ", ".join(["(?, ?)"] * len(refused))
                standing = {(row[0], row[1]): (row[2], row[3]) for row in await conn.execute_fetchall(
                    f"SELECT post_id, member_id, choice, change_until FROM answers "
                    f"WHERE (post_id, member_id) IN (VALUES {pairs})", [v for key in refused for v in key])}
            counts = await conn.execute_fetchall(
                f"SELECT post_id, choice, COUNT(*) FROM answers WHERE post_id IN ({marks}) GROUP BY post_id, choice",
                post_ids)
        by_post: dict[int, dict[str, int]] = {pid: {} for pid in post_ids}
        for post_id, letter, count in counts:
            by_post[post_id][letter] = count
        results: list[Recorded | None] = [None] * len(batch)
        for key, indexes in presses.items():
            for place, index in enumerate(indexes):
                item = batch[index]
                if key in written:
                    until, changed_at = written[key]
                    outcome: Outcome = "fresh" if place == 0 and changed_at is None else "changed"
                    choice = item.choice
                else:
                    outcome, (choice, until) = "already", standing.get(key, (item.choice, None))
                results[index] = Recorded(outcome, choice, by_post[item.post_id], reveals[item.post_id][0],
                                          _open_until(until, item.at))
        return [r for r in results if r is not None]

    async def counts(self, post_id: int) -> dict[str, int]:
        rows = await self._db.fetchall("SELECT choice, COUNT(*) AS n FROM answers WHERE post_id = ? GROUP BY choice", (post_id,))
        return {row["choice"]: row["n"] for row in rows}

    async def seen_by(self, post_id: int, member_id: str) -> tuple[DailyPost, str | None] | None:
        """The post as stored now (its reveal time may have moved) and the member's answer to it, in one read."""
        row = await self._db.fetchone("""SELECT p.*, a.choice AS mine FROM daily_posts p
                                         LEFT JOIN answers a ON a.post_id = p.id AND a.member_id = ? WHERE p.id = ?""",
                                      (member_id, post_id))
        return None if row is None else (_post(row), row["mine"])

    async def attempts(self, member_id: str, community_id: str, through: date) -> list[Attempt]:
        """Every post of the community up to a local date, oldest first, with how this member did on it."""
        rows = await self._db.fetchall(
            """SELECT p.*, a.choice AS choice, a.correct AS correct, a.change_until AS change_until FROM daily_posts p
               LEFT JOIN answers a ON a.post_id = p.id AND a.member_id = ?
               WHERE p.community_id = ? AND p.local_date <= ? ORDER BY p.local_date""",
            (member_id, community_id, through.isoformat()))
        return [Attempt(_post(row), row["choice"], bool(row["correct"]),
                        parse_iso(row["change_until"]) if row["change_until"] else None) for row in rows]

    async def graded(self, member_id: str, community_id: str) -> list[Graded]:
        """Each answer the member gave in the community, with the question's tags and whether it came in time."""
        rows = await self._db.fetchall(
            """SELECT a.correct, a.answered_at, p.scheduled_at, p.reveal_at, p.immediate, q.system, q.disciplines
               FROM answers a JOIN daily_posts p ON p.id = a.post_id JOIN questions q ON q.id = p.question_id
               WHERE a.member_id = ? AND p.community_id = ?""", (member_id, community_id))
        return [Graded(bool(row["correct"]), row["system"], tuple(row["disciplines"].split()),
                       parse_iso(row["answered_at"]) < _answer_window_end(row)) for row in rows]


def _answer_row(first: AnswerWrite, last: AnswerWrite, reveal_at: datetime, immediate: bool) -> tuple[object, ...]:
    """A member's presses of one batch as one row: the last choice stands, the first press dates it. The change
    window closes at the reveal at the latest, and is shut from the start once the explanation is out (a post
    revealed on answering, a past question): a change is for a mis-tap, never for an answer just read."""
    at = parse_iso(first.at)
    until = at if immediate or at >= reveal_at else min(at + CHANGE_WINDOW, reveal_at)
    return (last.post_id, last.member.id, last.choice, int(last.correct), first.at, iso(until))


def _open_until(until: str | None, at: str) -> datetime | None:
    """The end of a change window still open at `at`, else None."""
    return parse_iso(until) if until is not None and until > at else None


def _answer_window_end(row: Row) -> datetime:
    """An answer counts as a first attempt until the explanation is revealed; a post revealed on answering stays
    open for its day."""
    if row["immediate"]:
        return parse_iso(row["scheduled_at"]) + timedelta(days=1)
    return parse_iso(row["reveal_at"])


def _post(row: Row) -> DailyPost:
    return DailyPost(
        id=row["id"], community_id=row["community_id"], local_date=date.fromisoformat(row["local_date"]),
        question_id=row["question_id"], scheduled_at=parse_iso(row["scheduled_at"]),
        reveal_at=parse_iso(row["reveal_at"]), immediate=bool(row["immediate"]),
        announced=row["announced_at"] is not None, revealed_in_channel=row["revealed_at"] is not None,
    )
