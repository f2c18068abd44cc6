"""Daily posts and their answers in the database: the one place their SQL lives.

A (community, local date) row is claimed once, so everyone sees the same question whoever asks first; answers are
written a batch at a time (group commit), each member's first answer standing once its short change window (a
mis-tap undone) has closed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import Join, Select, and_, case, func, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.dml import Insert, ReturningInsert

from core.clock import iso, parse_iso
from core.community.members import MAX_NAME, Member
from core.review.store import Miss
from core.storage.database import Database, Row, rows
from core.storage.schema import answers, members, questions
from core.storage.schema import daily_posts as posts
from core.streaks.store import Activity

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
    activity: Activity | None = None  # what the answer counts for the member's streak (once per post), in the
    # community's zone: the member's own zone and rollover hour, read in the answer's transaction, replace it


@dataclass(frozen=True)
class Recorded:
    outcome: Outcome  # the member's first answer, a change of it, or a press that changed nothing
    choice: str  # the answer that stands after this press
    counts: Mapping[str, int]  # everyone's answers to the post as of this commit
    reveal_at: datetime  # the post's reveal time as stored now (a late post moves it)
    change_until: datetime | None = None  # the member may still change the answer until then; None: it stands
    zone: str | None = None  # the member's own time zone, read in the same transaction (None: the community's)


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


ActivitySink = Callable[[AsyncConnection, Sequence[Activity]], Awaitable[object]]
MissSink = Callable[[AsyncConnection, Sequence[Miss]], Awaitable[object]]


class PostStore:
    def __init__(self, db: Database, activity: ActivitySink | None = None, misses: MissSink | None = None) -> None:
        """`activity` records the answers' activity in the answers' own transaction: one commit for both, so an
        answer is never stored without the streak day it earned (and a batch of presses stays one commit).
        `misses` enters wrong answers in the members' review queues in that same commit, for the same reason."""
        self._db = db
        self._activity = activity
        self._misses = misses

    async def find(self, community_id: str, day: date) -> DailyPost | None:
        row = await self._db.fetchone(_the_day(community_id, day))
        return None if row is None else _post(row)

    async def claim_day(self, community_id: str, day: date, pick: PostPicker) -> DailyPost:
        """The day's post, chosen by `pick` from the community's history inside one transaction. Another task or
        process may claim the same day meanwhile: the INSERT does nothing then (on PostgreSQL it waits for the other
        claim to commit), and the row that won is read back, so everyone gets the one post."""
        async with self._db.transaction() as conn:
            found = await rows(conn, _the_day(community_id, day))
            if found:
                return _post(found[0])
            history = await rows(conn, _history(community_id))
            new = pick([(r["question_id"], r["cycle"]) for r in history])
            claimed = await rows(conn, self._db.insert(posts).values(
                community_id=community_id, local_date=day.isoformat(), question_id=new.question_id, cycle=new.cycle,
                scheduled_at=iso(new.scheduled_at), reveal_at=iso(new.reveal_at), immediate=int(new.immediate),
            ).on_conflict_do_nothing(index_elements=[posts.c.community_id, posts.c.local_date]).returning(*posts.c))
            if not claimed:
                claimed = await rows(conn, _the_day(community_id, day))
            return _post(claimed[0])

    async def history(self, community_id: str) -> list[tuple[str, int]]:
        """(question id, cycle) of every post of the community, oldest first: what the next day's pick reads."""
        return [(row["question_id"], row["cycle"]) for row in await self._db.fetchall(_history(community_id))]

    async def get(self, post_id: int) -> DailyPost | None:
        row = await self._db.fetchone(select(posts).where(posts.c.id == post_id))
        return None if row is None else _post(row)

    async def last_announced(self, community_id: str) -> date | None:
        """The latest local date whose post went out in the channel."""
        row = await self._db.fetchone(select(func.max(posts.c.local_date).label("day"))
                                      .where(posts.c.community_id == community_id, posts.c.announced_at.is_not(None)))
        return date.fromisoformat(row["day"]) if row is not None and row["day"] else None

    async def mark(self, post_id: int, what: str, at: datetime) -> None:
        """Record that the post was announced ('announced') or revealed ('revealed') in the channel."""
        column = {"announced": posts.c.announced_at, "revealed": posts.c.revealed_at}[what]
        await self._db.execute(update(posts).where(posts.c.id == post_id, column.is_(None)).values({column: iso(at)}))

    async def mark_announced(self, post_id: int, at: datetime, reveal_no_sooner: datetime) -> datetime:
        """Record the post as out in the channel, moving a timed reveal later if the post went out late, so members
        always get the community's whole delay; returns the reveal time that stands."""
        later = iso(reveal_no_sooner)
        async with self._db.transaction() as conn:
            moved = await rows(conn, update(posts).where(posts.c.id == post_id, posts.c.announced_at.is_(None)).values(
                announced_at=iso(at),
                reveal_at=case((posts.c.immediate != 0, posts.c.reveal_at), (posts.c.reveal_at > later, posts.c.reveal_at),
                               else_=later),
            ).returning(posts.c.reveal_at))
            if not moved:  # announced before: its reveal time stands as it is
                moved = await rows(conn, select(posts.c.reveal_at).where(posts.c.id == post_id))
        return parse_iso(moved[0]["reveal_at"])

    async def write_answers(self, batch: list[AnswerWrite]) -> list[Recorded]:
        """One transaction for a whole batch, so a thousand presses share a handful of commits. Each member's presses
        in the batch make one row: inserted (their first answer) or, while its window is open, updating the stored
        choice; RETURNING names the rows written, so fresh, changed and refused presses are told apart without a
        query per press. Reveal times and counts are read in the same transaction, never trusted from a cache.
        Rows go in key order, so two processes writing overlapping batches lock them in the same order (no deadlock)."""
        presses: dict[tuple[int, str], list[int]] = {}
        for index, item in enumerate(batch):
            presses.setdefault((item.post_id, item.member.id), []).append(index)
        post_ids = sorted({item.post_id for item in batch})
        pressing = sorted({item.member.id: item for item in batch}.values(), key=lambda item: item.member.id)
        async with self._db.transaction() as conn:
            await conn.execute(self._member_upsert(), [
                {"id": m.member.id, "display_name": m.member.name[:MAX_NAME], "created_at": m.at} for m in pressing])
            read = await rows(conn, select(posts.c.id, posts.c.reveal_at, posts.c.immediate, posts.c.community_id,
                                           posts.c.question_id).where(posts.c.id.in_(post_ids)))
            reveals = {row["id"]: (parse_iso(row["reveal_at"]), bool(row["immediate"])) for row in read}
            values = [_answer_row(batch[presses[key][0]], batch[presses[key][-1]], *reveals[key[0]]) for key in sorted(presses)]
            written = {(row["post_id"], row["member_id"]): (row["change_until"], row["changed_at"])
                       for row in await rows(conn, self._answer_upsert(), values)}
            own = {row["id"]: (row["timezone"], row["rollover_hour"]) for row in await rows(
                conn, select(members.c.id, members.c.timezone, members.c.rollover_hour)
                .where(members.c.id.in_([m.member.id for m in pressing])))}
            if self._activity is not None:
                await self._activity(conn, [_in_own_zone(item.activity, *own[item.member.id])
                                            for item in batch if item.activity is not None])
            if self._misses is not None:
                await self._misses(conn, _misses(values, written, {row["id"]: row for row in read}))
            refused = [key for key in presses if key not in written]
            standing: dict[tuple[int, str], tuple[str, str | None]] = {}
            if refused:
                standing = {(row["post_id"], row["member_id"]): (row["choice"], row["change_until"]) for row in await rows(
                    conn, select(answers.c.post_id, answers.c.member_id, answers.c.choice, answers.c.change_until)
                    .where(tuple_(answers.c.post_id, answers.c.member_id).in_(refused)))}
            counts = await rows(conn, select(answers.c.post_id, answers.c.choice, func.count().label("n"))
                                .where(answers.c.post_id.in_(post_ids)).group_by(answers.c.post_id, answers.c.choice))
        by_post: dict[int, dict[str, int]] = {pid: {} for pid in post_ids}
        for row in counts:
            by_post[row["post_id"]][row["choice"]] = row["n"]
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
                                          _open_until(until, item.at), own[item.member.id][0])
        return [r for r in results if r is not None]

    def _member_upsert(self) -> Insert:
        """A member's first press creates them; a new display name (never an empty one) replaces the old."""
        new = self._db.insert(members)
        return new.on_conflict_do_update(
            index_elements=[members.c.id], set_={"display_name": new.excluded.display_name},
            where=and_(new.excluded.display_name != "", members.c.display_name != new.excluded.display_name))

    def _answer_upsert(self) -> ReturningInsert[Any]:
        """A member's answer: inserted, or changed while its window is open; RETURNING names only the rows written."""
        new = self._db.insert(answers)
        return new.on_conflict_do_update(
            index_elements=[answers.c.post_id, answers.c.member_id],
            set_={"choice": new.excluded.choice, "correct": new.excluded.correct, "changed_at": new.excluded.answered_at},
            where=and_(answers.c.change_until > new.excluded.answered_at, answers.c.choice != new.excluded.choice),
        ).returning(answers.c.post_id, answers.c.member_id, answers.c.change_until, answers.c.changed_at)

    async def counts(self, post_id: int) -> dict[str, int]:
        rows_ = await self._db.fetchall(select(answers.c.choice, func.count().label("n"))
                                        .where(answers.c.post_id == post_id).group_by(answers.c.choice))
        return {row["choice"]: row["n"] for row in rows_}

    async def seen_by(self, post_id: int, member_id: str) -> tuple[DailyPost, str | None] | None:
        """The post as stored now (its reveal time may have moved) and the member's answer to it, in one read."""
        row = await self._db.fetchone(select(posts, answers.c.choice.label("mine"))
                                      .select_from(_with_answer_of(member_id)).where(posts.c.id == post_id))
        return None if row is None else (_post(row), row["mine"])

    async def attempts(self, member_id: str, community_id: str, through: date) -> list[Attempt]:
        """Every post of the community up to a local date, oldest first, with how this member did on it."""
        found = await self._db.fetchall(
            select(posts, answers.c.choice, answers.c.correct, answers.c.change_until)
            .select_from(_with_answer_of(member_id))
            .where(posts.c.community_id == community_id, posts.c.local_date <= through.isoformat())
            .order_by(posts.c.local_date))
        return [Attempt(_post(row), row["choice"], bool(row["correct"]),
                        parse_iso(row["change_until"]) if row["change_until"] else None) for row in found]

    async def graded(self, member_id: str, community_id: str) -> list[Graded]:
        """Each answer the member gave in the community, with the question's tags and whether it came in time."""
        found = await self._db.fetchall(
            select(answers.c.correct, answers.c.answered_at, posts.c.scheduled_at, posts.c.reveal_at, posts.c.immediate,
                   questions.c.system, questions.c.disciplines)
            .select_from(answers.join(posts, posts.c.id == answers.c.post_id)
                         .join(questions, questions.c.id == posts.c.question_id))
            .where(answers.c.member_id == member_id, posts.c.community_id == community_id))
        return [Graded(bool(row["correct"]), row["system"], tuple(row["disciplines"].split()),
                       parse_iso(row["answered_at"]) < _answer_window_end(row)) for row in found]


def _the_day(community_id: str, day: date) -> Select[Any]:
    return select(posts).where(posts.c.community_id == community_id, posts.c.local_date == day.isoformat())


def _history(community_id: str) -> Select[Any]:
    return select(posts.c.question_id, posts.c.cycle).where(posts.c.community_id == community_id).order_by(posts.c.local_date)


def _with_answer_of(member_id: str) -> Join:
    """Posts, each with this member's answer to it if any."""
    return posts.outerjoin(answers, and_(answers.c.post_id == posts.c.id, answers.c.member_id == member_id))


def _answer_row(first: AnswerWrite, last: AnswerWrite, reveal_at: datetime, immediate: bool) -> dict[str, object]:
    """A member's presses of one batch as one row: the last choice stands, the first press dates it. The change
    window closes at the reveal at the latest, and is shut from the start once the explanation is out (a post
    revealed on answering, a past question): a change is for a mis-tap, never for an answer just read."""
    at = parse_iso(first.at)
    until = at if immediate or at >= reveal_at else min(at + CHANGE_WINDOW, reveal_at)
    return {"post_id": last.post_id, "member_id": last.member.id, "choice": last.choice, "correct": int(last.correct),
            "answered_at": first.at, "change_until": iso(until)}


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


def _misses(values: list[dict[str, Any]], written: Mapping[tuple[int, str], tuple[str | None, str | None]],
            shown: Mapping[int, Row]) -> list[Miss]:
    """The answers this batch wrote that change a review queue: every wrong one, and a right one only when it is a
    change (a first right answer entered nothing to take back)."""
    found = []
    for value in values:
        key = (value["post_id"], value["member_id"])
        if key in written and (not value["correct"] or written[key][1] is not None):
            post = shown[value["post_id"]]
            found.append(Miss(post["community_id"], value["member_id"], post["question_id"], value["post_id"],
                              parse_iso(value["answered_at"]), not value["correct"]))
    return found


def _in_own_zone(activity: Activity, zone: str | None, rollover: int) -> Activity:
    return replace(activity, zone=zone or activity.zone, rollover=rollover)
