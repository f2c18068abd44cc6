"""Review cards in the database: the one place their SQL lives.

A card is keyed by (community, member, question), so entering a question twice (a wrong answer, then Review later;
two presses at once in two processes) keeps one card. A wrong answer to a daily post enters its card in the answer's
own commit (`enter_missed`, which the post store calls), so no crash between the two can lose it. A review's rating
is a compare-and-set on the card's `reviews` count, which the review's buttons carry: of two presses of the same
buttons one rates the card and the other finds it moved on, and the streak activity the rating earns commits with it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Select, and_, bindparam, case, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from core.clock import iso, parse_iso
from core.review.rules import Schedule, missed
from core.storage.database import Database, Row, rows
from core.storage.schema import review_cards as cards
from core.streaks.store import Activity

Origin = Literal["missed", "asked"]
ActivitySink = Callable[[AsyncConnection, Sequence[Activity]], Awaitable[object]]


@dataclass(frozen=True)
class Miss:
    """What an answer to a daily post, as it stands after a press, means for the member's queue: `wrong`, the
    question enters it; right after a change (a mis-tap undone), the card that mis-tap entered leaves it again."""

    community_id: str
    member_id: str
    question_id: str
    post_id: int
    at: datetime
    wrong: bool


@dataclass(frozen=True)
class ReviewCard:
    id: int
    community_id: str
    member_id: str
    question_id: str
    origin: Origin
    post_id: int | None
    schedule: Schedule
    reviews: int  # answers given in /review: the version a review's buttons carry
    lapses: int
    added_at: datetime


@dataclass(frozen=True)
class Queue:
    due: int  # cards due before the instant asked about (the end of the member's day)
    queued: int  # every card of theirs in the community
    next_due: datetime | None  # the soonest due, whenever it is


class ReviewStore:
    def __init__(self, db: Database, activity: ActivitySink | None = None) -> None:
        """`activity` records a review's streak activity in the rating's own transaction."""
        self._db = db
        self._activity = activity

    async def enter_missed(self, conn: AsyncConnection, misses: Sequence[Miss]) -> None:
        """Inside the answers' transaction: wrong answers enter their questions (a card already there stays as it
        is); a mis-tap changed to the right answer takes back the card it entered, unless it was reviewed since."""
        wrong = [_row(m.community_id, m.member_id, m.question_id, "missed", m.post_id, missed(m.at), m.at)
                 for m in misses if m.wrong]
        if wrong:
            await conn.execute(self._db.insert(cards).on_conflict_do_nothing(
                index_elements=[cards.c.community_id, cards.c.member_id, cards.c.question_id]), wrong)
        undone = [{"c": m.community_id, "m": m.member_id, "q": m.question_id, "p": m.post_id} for m in misses if not m.wrong]
        if undone:
            await conn.execute(delete(cards).where(
                cards.c.community_id == bindparam("c"), cards.c.member_id == bindparam("m"),
                cards.c.question_id == bindparam("q"), cards.c.post_id == bindparam("p"),
                cards.c.origin == "missed", cards.c.reviews == 0), undone)

    async def ask(self, community_id: str, member_id: str, question_id: str, post_id: int, schedule: Schedule,
                  at: datetime) -> bool:
        """Review later: True when the question entered the queue now; False when it was there already (it is then
        marked as asked for, so undoing a mis-tap no longer takes it back)."""
        async with self._db.transaction() as conn:
            added = await rows(conn, self._db.insert(cards).values(
                _row(community_id, member_id, question_id, "asked", post_id, schedule, at),
            ).on_conflict_do_nothing(index_elements=[cards.c.community_id, cards.c.member_id, cards.c.question_id])
                .returning(cards.c.id))
            if not added:
                await conn.execute(update(cards).where(_key(community_id, member_id, question_id),
                                                       cards.c.origin != "asked").values(origin="asked"))
        return bool(added)

    async def card(self, card_id: int) -> ReviewCard | None:
        row = await self._db.fetchone(select(cards).where(cards.c.id == card_id))
        return None if row is None else _card(row)

    async def find(self, community_id: str, member_id: str, question_id: str) -> ReviewCard | None:
        row = await self._db.fetchone(select(cards).where(_key(community_id, member_id, question_id)))
        return None if row is None else _card(row)

    async def next_due(self, community_id: str, member_id: str, before: datetime) -> ReviewCard | None:
        """The card due soonest, if it is due before `before`."""
        row = await self._db.fetchone(_mine(select(cards), community_id, member_id)
                                      .where(cards.c.due_at < iso(before))
                                      .order_by(cards.c.due_at, cards.c.id).limit(1))
        return None if row is None else _card(row)

    async def queue(self, community_id: str, member_id: str, before: datetime) -> Queue:
        """How many are due before `before`, how many are queued, and the soonest due: one read of the index."""
        row = await self._db.fetchone(_mine(select(
            func.coalesce(func.sum(case((cards.c.due_at < iso(before), 1), else_=0)), 0).label("due"),
            func.count().label("queued"), func.min(cards.c.due_at).label("next")), community_id, member_id))
        if row is None or not row["queued"]:
            return Queue(0, 0, None)
        return Queue(int(row["due"]), int(row["queued"]), parse_iso(row["next"]))

    async def rate(self, card: ReviewCard, after: Schedule, correct: bool, activity: Activity) -> bool:
        """Store a review's outcome if the card is still as it was read (`card.reviews`), with the activity it
        earns; False when another press rated it first, and then nothing is written."""
        async with self._db.transaction() as conn:
            moved = await rows(conn, update(cards).where(cards.c.id == card.id, cards.c.reviews == card.reviews).values(
                **_schedule(after), reviews=cards.c.reviews + 1, lapses=cards.c.lapses + (0 if correct else 1),
            ).returning(cards.c.id))
            if moved and self._activity is not None:
                await self._activity(conn, [activity])
        return bool(moved)


def _mine(statement: Select[Any], community_id: str, member_id: str) -> Select[Any]:
    return statement.where(cards.c.community_id == community_id, cards.c.member_id == member_id)


def _key(community_id: str, member_id: str, question_id: str) -> Any:
    return and_(cards.c.community_id == community_id, cards.c.member_id == member_id, cards.c.question_id == question_id)


def _schedule(schedule: Schedule) -> dict[str, Any]:
    return {"state": schedule.state, "step": schedule.step, "stability": schedule.stability,
            "difficulty": schedule.difficulty, "due_at": iso(schedule.due),
            "last_review_at": iso(schedule.last_review) if schedule.last_review else None}


def _row(community_id: str, member_id: str, question_id: str, origin: Origin, post_id: int | None, schedule: Schedule,
         at: datetime) -> dict[str, Any]:
    return {"community_id": community_id, "member_id": member_id, "question_id": question_id, "origin": origin,
            "post_id": post_id, **_schedule(schedule), "reviews": 0, "lapses": 0, "added_at": iso(at)}


def _card(row: Row) -> ReviewCard:
    schedule = Schedule(row["state"], row["step"], row["stability"], row["difficulty"], parse_iso(row["due_at"]),
                        parse_iso(row["last_review_at"]) if row["last_review_at"] else None)
    return ReviewCard(row["id"], row["community_id"], row["member_id"], row["question_id"], row["origin"],
                      row["post_id"], schedule, row["reviews"], row["lapses"], parse_iso(row["added_at"]))
