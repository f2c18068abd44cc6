"""Question of the day: which question a community gets on a local date, answers, reveals and stats.

The database decides: a (community, local date) row is claimed once, so everyone sees the same question whoever
asks first, and announcing or revealing it in the channel is claimed once too, across restarts and DST nights.
"""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from core.bank import QuestionBank
from core.clock import Clock, iso, parse_iso
from core.community import Community, CommunityStore
from core.db import Database, GroupCommit, Row
from core.errors import UserError
from core.members import Member
from core.questions import LETTERS, Question


_CLAIM_COLUMNS = {"announce": "announced_at", "reveal": "revealed_at"}  # a fixed list: never user input in SQL


@dataclass(frozen=True)
class DailyPost:
    id: int
    community_id: str
    local_date: date
    question_id: str
    scheduled_at: datetime
    reveal_at: datetime
    immediate: bool

    def revealed(self, now: datetime) -> bool:
        return self.immediate or now >= self.reveal_at

    @classmethod
    def from_row(cls, row: Row) -> "DailyPost":
        return cls(
            id=row["id"], community_id=row["community_id"], local_date=date.fromisoformat(row["local_date"]),
            question_id=row["question_id"], scheduled_at=parse_iso(row["scheduled_at"]),
            reveal_at=parse_iso(row["reveal_at"]), immediate=bool(row["immediate"]),
        )


@dataclass(frozen=True)
class Distribution:
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def percent(self, letter: str) -> int:
        return round(100 * self.counts.get(letter, 0) / self.total) if self.total else 0


@dataclass(frozen=True)
class AnswerResult:
    post: DailyPost
    question: Question
    choice: str
    correct: bool
    already: bool  # an earlier answer stands; this press counted nothing
    revealed: bool
    distribution: Distribution | None


@dataclass(frozen=True)
class Score:
    answered: int = 0
    correct: int = 0

    @property
    def accuracy(self) -> int:
        return round(100 * self.correct / self.answered) if self.answered else 0

    def plus(self, correct: bool) -> "Score":
        return Score(self.answered + 1, self.correct + int(correct))


@dataclass(frozen=True)
class MemberStats:
    overall: Score
    by_system: dict[str, Score]
    by_discipline: dict[str, Score]


@dataclass(frozen=True)
class _AnswerWrite:
    post_id: int
    member: Member
    choice: str
    correct: bool
    at: str


@dataclass(frozen=True)
class _Recorded:
    fresh: bool  # this press is the member's first answer
    choice: str  # the answer that stands
    distribution: Distribution  # everyone's answers as of this commit


class QotdService:
    def __init__(self, db: Database, clock: Clock, bank: QuestionBank, communities: CommunityStore) -> None:
        self._db = db
        self._clock = clock
        self.bank = bank
        self.communities = communities
        self._posts: dict[int, DailyPost] = {}  # posts never change once made, so they are cached
        self._by_day: dict[tuple[str, date], DailyPost] = {}
        self._claiming: dict[tuple[str, date], asyncio.Future[DailyPost]] = {}
        self._answers: GroupCommit[_AnswerWrite, _Recorded] = GroupCommit(self._write_answers)

    # -- which question -------------------------------------------------------------------------------------------
    async def today(self, community: Community) -> tuple[DailyPost, Question]:
        post = await self.post_for(community, community.local_date(self._clock.now()))
        return post, self.bank.get(post.question_id)

    async def post_for(self, community: Community, day: date) -> DailyPost:
        """The day's post: from memory once known (a day's post never changes), else from the database, else claimed
        by one task that every concurrent asker of the same day waits on (a morning burst claims once)."""
        key = (community.id, day)
        if key not in self._by_day:
            claiming = self._claiming.get(key)
            if claiming is None:
                claiming = self._claiming[key] = asyncio.ensure_future(self._find_or_claim(community, day))
                claiming.add_done_callback(lambda _: self._claiming.pop(key, None))
            self._by_day[key] = self._cache(await asyncio.shield(claiming))
        return self._by_day[key]

    async def _find_or_claim(self, community: Community, day: date) -> DailyPost:
        row = await self._db.fetchone(
            "SELECT * FROM daily_posts WHERE community_id = ? AND local_date = ?", (community.id, day.isoformat()))
        return DailyPost.from_row(row if row is not None else await self._claim_day(community, day))

    async def _claim_day(self, community: Community, day: date) -> Row:
        """Pick and store the day's question in one transaction; a racing claim finds the row and uses it."""
        await self.bank.refresh(community.id)
        pool = self.bank.require_available(community.id, community.tag_filter)
        async with self._db.transaction() as conn:
            found = await conn.execute_fetchall(
                "SELECT * FROM daily_posts WHERE community_id = ? AND local_date = ?", (community.id, day.isoformat()))
            if found:
                return list(found)[0]
            history = await conn.execute_fetchall(
                "SELECT question_id, cycle FROM daily_posts WHERE community_id = ? ORDER BY local_date", (community.id,))
            question_id, cycle = _pick(pool, [(r["question_id"], r["cycle"]) for r in history], f"{community.id}|{day}")
            scheduled = community.scheduled_at(day)
            immediate = community.reveal_delay_minutes == 0
            # "Immediately" means on answering, even when /qotd is asked for before the posting time.
            reveal_at = min(scheduled, self._clock.now()) if immediate else scheduled + timedelta(minutes=community.reveal_delay_minutes)
            rows = await conn.execute_fetchall(
                """INSERT INTO daily_posts (community_id, local_date, question_id, cycle, scheduled_at, reveal_at, immediate)
                   VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *""",
                (community.id, day.isoformat(), question_id, cycle, iso(scheduled), iso(reveal_at), int(immediate)))
            return list(rows)[0]

    def _cache(self, post: DailyPost) -> DailyPost:
        self._posts[post.id] = post
        return post

    async def post(self, post_id: int) -> DailyPost:
        if post_id not in self._posts:
            row = await self._db.fetchone("SELECT * FROM daily_posts WHERE id = ?", (post_id,))
            if row is None:
                raise UserError("That question is no longer available. Type `/qotd` for today's question.")
            self._cache(DailyPost.from_row(row))
        return self._posts[post_id]

    # -- answers --------------------------------------------------------------------------------------------------
    async def answer(self, post_id: int | str, member: Member, choice: str, community_id: str) -> AnswerResult:
        """Record a member's first answer; later presses change nothing and are told so."""
        if choice not in LETTERS or not str(post_id).isdigit():
            raise UserError("Answer with one of the buttons A–E.")
        post = await self.post(int(post_id))
        if post.community_id != community_id:
            raise UserError("That question belongs to another community. Type `/qotd` for yours.")
        question = self.bank.get(post.question_id)
        now = self._clock.now()
        recorded = await self._answers.submit(_AnswerWrite(post.id, member, choice, choice == question.answer, iso(now)))
        revealed = post.revealed(now)
        return AnswerResult(post, question, recorded.choice, recorded.choice == question.answer, not recorded.fresh,
                            revealed, recorded.distribution if revealed else None)

    async def _write_answers(self, batch: list[_AnswerWrite]) -> list[_Recorded]:
        """One transaction for a whole batch, so a thousand presses share a handful of commits. RETURNING names the
        rows that went in (each person's first answer); the standing answers and the distributions are read in the
        same transaction, so no press needs a query of its own."""
        keys = [(item.post_id, item.member.id) for item in batch]
        first: dict[tuple[int, str], _AnswerWrite] = {}
        for key, item in zip(keys, batch, strict=True):
            first.setdefault(key, item)
        unique = list(first.values())
        members = {item.member.id: item for item in unique}.values()
        async with self._db.transaction() as conn:
            await conn.executemany(
                """INSERT INTO members (id, display_name, created_at) VALUES (?, ?, ?)
                   ON CONFLICT (id) DO UPDATE SET display_name = excluded.display_name
                   WHERE excluded.display_name != '' AND members.display_name != excluded.display_name""",
                [(m.member.id, m.member.name[:80], m.at) for m in members],
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
        distributions: dict[int, dict[str, int]] = {pid: {} for pid in post_ids}
        for post_id, letter, count in counts:
            distributions[post_id][letter] = count
        claimed: set[tuple[int, str]] = set()
        results = []
        for key, item in zip(keys, batch, strict=True):
            fresh = key in went_in and key not in claimed
            claimed.add(key)
            results.append(_Recorded(fresh, standing.get(key, item.choice), Distribution(distributions[item.post_id])))
        return results

    async def answer_of(self, post_id: int, member_id: str) -> str | None:
        row = await self._db.fetchone("SELECT choice FROM answers WHERE post_id = ? AND member_id = ?", (post_id, member_id))
        return row["choice"] if row else None

    async def distribution(self, post_id: int) -> Distribution:
        rows = await self._db.fetchall("SELECT choice, COUNT(*) AS n FROM answers WHERE post_id = ? GROUP BY choice", (post_id,))
        return Distribution({row["choice"]: row["n"] for row in rows})

    async def missed(self, member_id: str, community: Community) -> list[tuple[DailyPost, str | None]]:
        """Past questions of the community this member skipped or got wrong, oldest first, with their answer."""
        today = community.local_date(self._clock.now()).isoformat()
        rows = await self._db.fetchall(
            """SELECT p.*, a.choice AS choice, a.correct AS correct FROM daily_posts p
               LEFT JOIN answers a ON a.post_id = p.id AND a.member_id = ?
               WHERE p.community_id = ? AND p.local_date < ? AND (a.choice IS NULL OR a.correct = 0)
               ORDER BY p.local_date""", (member_id, community.id, today))
        return [(self._cache(DailyPost.from_row(row)), row["choice"]) for row in rows]

    async def stats(self, member_id: str, community_id: str) -> MemberStats:
        rows = await self._db.fetchall(
            """SELECT a.correct, q.system, q.disciplines FROM answers a
               JOIN daily_posts p ON p.id = a.post_id JOIN questions q ON q.id = p.question_id
               WHERE a.member_id = ? AND p.community_id = ?""", (member_id, community_id))
        overall, systems, disciplines = Score(), defaultdict(Score), defaultdict(Score)
        for row in rows:
            correct = bool(row["correct"])
            overall = overall.plus(correct)
            systems[row["system"]] = systems[row["system"]].plus(correct)
            for discipline in row["disciplines"].split():
                disciplines[discipline] = disciplines[discipline].plus(correct)
        return MemberStats(overall, dict(systems), dict(disciplines))

    # -- channel posts (claimed once) -----------------------------------------------------------------------------
    async def claim(self, post_id: int, what: str) -> bool:
        """Claim announcing ('announced_at') or revealing ('revealed_at') a post; only one caller ever wins."""
        column = _CLAIM_COLUMNS[what]
        changed = await self._db.execute(
            f"UPDATE daily_posts SET {column} = ? WHERE id = ? AND {column} IS NULL", (iso(self._clock.now()), post_id))
        return changed == 1

    async def release(self, post_id: int, what: str) -> None:
        """Give a claim back when delivery failed, so the next attempt can post."""
        await self._db.execute(f"UPDATE daily_posts SET {_CLAIM_COLUMNS[what]} = NULL WHERE id = ?", (post_id,))

    async def pending_reveals(self) -> list[DailyPost]:
        """Announced posts whose delayed reveal has not been posted yet (due or not)."""
        rows = await self._db.fetchall(
            "SELECT * FROM daily_posts WHERE announced_at IS NOT NULL AND revealed_at IS NULL AND immediate = 0")
        return [self._cache(DailyPost.from_row(row)) for row in rows]


def _pick(pool: list[Question], history: list[tuple[str, int]], seed: str) -> tuple[str, int]:
    """No repeat within a cycle: a new cycle starts only when every question of the pool has been used."""
    cycle = max((c for _, c in history), default=0)
    used = {qid for qid, c in history if c == cycle}
    fresh = [q.id for q in pool if q.id not in used]
    if not fresh:
        cycle += 1
        last = history[-1][0] if history else None
        fresh = [q.id for q in pool if q.id != last] or [q.id for q in pool]
    return random.Random(seed).choice(fresh), cycle

