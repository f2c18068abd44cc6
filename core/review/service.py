"""A member's spaced review: what is due in their day, the next question to review, rating an answer, Review later.

"Due" is counted in the member's own day, the one their streak counts in (their zone and rollover hour, from the
streaks capability): a card is due today if it falls due before that day ends. So a member in Kolkata and one in Los
Angeles see the same card due on different days, and `/review` shows exactly what the count said.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from core.clock import Clock
from core.community.members import Member
from core.errors import UserError
from core.qotd.service import QotdService
from core.questions.bank import QuestionBank
from core.questions.model import LETTERS, Question
from core.review.rules import fresh, rated
from core.review.store import Queue, ReviewCard, ReviewStore
from core.streaks.days import day_end
from core.streaks.service import StreakService, Where
from core.streaks.store import Activity

SOURCE = "review"  # the streak activity a review answer records


@dataclass(frozen=True)
class Due:
    """A member's queue as their day stands: `count` due before it ends, `queue.queued` in all."""

    queue: Queue
    where: Where  # the zone (and rollover) times are shown and the day is counted in
    day_ends: datetime

    @property
    def count(self) -> int:
        return self.queue.due


@dataclass(frozen=True)
class Next:
    """`/review`: the card due soonest and its question, or None when nothing is due today."""

    card: ReviewCard | None
    question: Question | None
    due: Due


@dataclass(frozen=True)
class Reviewed:
    card: ReviewCard  # as it stands after the answer (or after the press that rated it first)
    question: Question
    choice: str
    correct: bool
    already: bool  # another press rated this review first: this one counted nothing
    due: Due  # what is left today, after this answer


@dataclass(frozen=True)
class Added:
    added: bool  # False: it was in the queue already
    due_at: datetime
    where: Where


class ReviewService:
    def __init__(self, store: ReviewStore, bank: QuestionBank, qotd: QotdService, streaks: StreakService,
                 clock: Clock) -> None:
        self._store = store
        self._bank = bank
        self._qotd = qotd
        self._streaks = streaks
        self._clock = clock

    async def due(self, community_id: str, member_id: str) -> Due:
        where = await self._streaks.where(community_id, member_id)
        ends = day_end(where.today(self._clock), where.zone, where.rollover)
        return Due(await self._store.queue(community_id, member_id, ends), where, ends)

    async def next(self, community_id: str, member_id: str) -> Next:
        due = await self.due(community_id, member_id)
        card = await self._store.next_due(community_id, member_id, due.day_ends) if due.count else None
        question = await self._bank.get(card.question_id) if card is not None else None
        return Next(card, question, due)

    async def answer(self, card_id: int, reviews: int, member: Member, choice: str, community_id: str) -> Reviewed:
        """Rate the card with the answer given to its review number `reviews` (the buttons' version): a press of
        buttons the card has moved on from (a double click, an old message) rates nothing and says so."""
        if choice not in LETTERS:
            raise UserError("Answer with one of the buttons A–E.")
        card = await self._mine(card_id, member, community_id)
        question = await self._bank.get(card.question_id)
        if card.reviews != reviews:
            return Reviewed(card, question, choice, choice == question.answer, True, await self.due(community_id, member.id))
        now, correct = self._clock.now(), choice == question.answer
        where = await self._streaks.where(community_id, member.id)
        activity = Activity(community_id, member.id, SOURCE, now, where.zone, where.rollover, questions=1,
                            ref=f"card:{card.id}:{card.reviews}")
        after = rated(card.schedule, correct, now)
        if await self._store.rate(card, after, correct, activity):
            await self._streaks.answers_recorded(community_id)
            card = replace(card, schedule=after, reviews=card.reviews + 1, lapses=card.lapses + (not correct))
            return Reviewed(card, question, choice, correct, False, await self.due(community_id, member.id))
        # another press rated it first: say what that one did
        return Reviewed(await self._mine(card_id, member, community_id), question, choice, correct, True,
                        await self.due(community_id, member.id))

    async def later(self, post_id: int, member: Member, community_id: str) -> Added:
        """Review later: the post's question enters the member's queue, due when their next day begins (they have
        just read its explanation). Pressed again, or for a question already queued, it changes nothing."""
        post = await self._qotd.post(post_id)
        if post.community_id != community_id:
            raise UserError("That question belongs to another community. Type `/qotd` for yours.")
        where = await self._streaks.where(community_id, member.id)
        tomorrow = day_end(where.today(self._clock), where.zone, where.rollover)
        added = await self._store.ask(community_id, member.id, post.question_id, post.id, fresh(tomorrow),
                                      self._clock.now())
        card = await self._store.find(community_id, member.id, post.question_id)
        return Added(added, card.schedule.due if card is not None else tomorrow, where)

    async def _mine(self, card_id: int, member: Member, community_id: str) -> ReviewCard:
        card = await self._store.card(card_id)
        if card is None or card.member_id != member.id or card.community_id != community_id:
            raise UserError("That review is not in your queue. Type `/review` for your next one.")
        return card
