"""Daily posts and their answers in the database: the one place their SQL lives.

A (community, local date) row is claimed once, so everyone sees the same question whoever asks first; answers are
written a batch at a time (group commit), each member's first answer standing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from core.clock import iso, parse_iso
from core.community.members import MAX_NAME, Member
from core.storage.database import Database, Row

PostPicker = Callable[[list[tuple[str, int]]], "NewPost"]  # history (question id, cycle) → the day's new post


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
    fresh: bool  # this press is the member's first answer
    choice: str  # the answer that stands
    counts: Mapping[str, int]  # everyone's answers to the post as of this commit


@dataclass(frozen=True)
class Graded:
    correct: bool
    system: str
    disciplines: tuple[str, ...]
    first_attempt: bool  # answered before the explanation was out (else it was a review)


@dataclass(frozen=True)
class Missed:
    post: DailyPost
    choice: str | None  # None: never answered


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

    async def write_answers(self, batch: list[AnswerWrite]) -> list[Recorded]:
        """One transaction for a whole batch, so a thousand presses share a handful of commits. RETURNING names the
        rows that went in (each person's first answer); the standing answers and the counts are read in the same
        transaction, so no press needs a query of its own."""
        keys = [(item.post_id, item.member.id) for item in batch]
        first: dict[tuple[int, str], AnswerWrite] = {}
        for key, item in zip(keys, batch, strict=True):
            first.setdefault(key, item)
        unique = list(first.values())
        members = {item.member.id: item for item in unique}.values()
        async with self._db.transaction() as conn:
            await conn.executemany(
                """INSERT INTO members (id, display_name, created_at) VALUES (?, ?, ?)
                   ON CONFLICT (id) DO UPDATE SET display_name = excluded.display_name
                   WHERE excluded.display_name != '' AND members.display_name != excluded.display_name""",
                [(m.member.id, m.member.name[:MAX_NAME], m.at) for m in members],
            )
            rows = ", ".join(["(?, ?, ?, ?, ?)"] * len(unique))
            inserted = await conn.execute_fetchall(
                f"""INSERT INTO answers (post_id, member_id, choice, correct, answered_at) VALUES {rows}
                    ON CONFLICT (post_id, member_id) DO NOTHING RETURNING post_id, member_id""",
                [v for i in unique for v in (i.post_id, i.member.id, i.choice, int(i.correct), i.at)])
            went_in = {(row[0], row[1]) for row in inserted}
            standing = {key: first[key].choice for key in went_in}
            older = [key for key in first if key not in went_in]
            if older:
                pairs = ", ".join(["(?, ?)"] * len(older))
                found = await conn.execute_fetchall(
                    f"SELECT post_id, member_id, choice FROM answers WHERE (post_id, member_id) IN (VALUES {pairs})",
                    [v for key in older for v in key])
                standing |= {(row[0], row[1]): row[2] for row in found}
            post_ids = sorted({item.post_id for item in batch})
            counts = await conn.execute_fetchall(
                f"SELECT post_id, choice, COUNT(*) FROM answers WHERE post_id IN ({', '.join('?' * len(post_ids))}) "
                "GROUP BY post_id, choice", post_ids)
        by_post: dict[int, dict[str, int]] = {pid: {} for pid in post_ids}
        for post_id, letter, count in counts:
            by_post[post_id][letter] = count
        claimed: set[tuple[int, str]] = set()
        results = []
        for key, item in zip(keys, batch, strict=True):
            fresh = key in went_in and key not in claimed
            claimed.add(key)
            results.append(Recorded(fresh, standing.get(key, item.choice), by_post[item.post_id]))
        return results

    async def answer_of(self, post_id: int, member_id: str) -> str | None:
        row = await self._db.fetchone("SELECT choice FROM answers WHERE post_id = ? AND member_id = ?", (post_id, member_id))
        return row["choice"] if row else None

    async def counts(self, post_id: int) -> dict[str, int]:
        rows = await self._db.fetchall("SELECT choice, COUNT(*) AS n FROM answers WHERE post_id = ? GROUP BY choice", (post_id,))
        return {row["choice"]: row["n"] for row in rows}

    async def missed(self, member_id: str, community_id: str, before: date) -> list[Missed]:
        """Past posts of the community this member skipped or got wrong, oldest first."""
        rows = await self._db.fetchall(
            """SELECT p.*, a.choice AS choice FROM daily_posts p
               LEFT JOIN answers a ON a.post_id = p.id AND a.member_id = ?
               WHERE p.community_id = ? AND p.local_date < ? AND (a.choice IS NULL OR a.correct = 0)
               ORDER BY p.local_date""", (member_id, community_id, before.isoformat()))
        return [Missed(_post(row), row["choice"]) for row in rows]

    async def graded(self, member_id: str, community_id: str) -> list[Graded]:
        """Each answer the member gave in the community, with the question's tags and whether it came in time."""
        rows = await self._db.fetchall(
            """SELECT a.correct, a.answered_at, p.scheduled_at, p.reveal_at, p.immediate, q.system, q.disciplines
               FROM answers a JOIN daily_posts p ON p.id = a.post_id JOIN questions q ON q.id = p.question_id
               WHERE a.member_id = ? AND p.community_id = ?""", (member_id, community_id))
        return [Graded(bool(row["correct"]), row["system"], tuple(row["disciplines"].split()),
                       parse_iso(row["answered_at"]) < _answer_window_end(row)) for row in rows]


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
