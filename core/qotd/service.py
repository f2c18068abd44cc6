"""Question of the day: which question a community gets on a local date, answers, the member's record.

The database decides: a (community, local date) row is claimed once, so everyone sees the same question whoever
asks first, across processes and restarts.
"""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from core.clock import Clock, iso
from core.community.members import Member
from core.community.model import Community
from core.errors import UserError
from core.qotd.posts import AnswerWrite, Attempt, DailyPost, NewPost, PostStore, Recorded
from core.questions.bank import QuestionBank
from core.questions.model import LETTERS, Question
from core.storage.database import GroupCommit
from core.streaks.store import Activity


@dataclass(frozen=True)
class Distribution:
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def percent(self, letter: str) -> int:
        return self.percentages().get(letter, 0)

    def percentages(self) -> dict[str, int]:
        """Whole percentages that add up to 100 (largest remainder; ties go to the earlier letter), so three
        answers read 34/33/33, never 33/33/33."""
        total = self.total
        if not total:
            return {letter: 0 for letter in LETTERS}
        shares = {letter: divmod(100 * self.counts.get(letter, 0), total) for letter in LETTERS}
        left = 100 - sum(whole for whole, _ in shares.values())
        lucky = sorted(LETTERS, key=lambda letter: -shares[letter][1])[:left]
        return {letter: whole + (letter in lucky) for letter, (whole, _) in shares.items()}


@dataclass(frozen=True)
class AnswerResult:
    post: DailyPost
    question: Question
    choice: str
    correct: bool
    already: bool  # an earlier answer stands; this press counted nothing
    revealed: bool
    distribution: Distribution | None
    changed: bool = False  # this press changed the member's answer (within its change window)
    change_until: datetime | None = None  # the answer may still be changed until then; None: it stands
    zone: str | None = None  # the member's own zone (None: the community's), as the answer's commit read it


@dataclass(frozen=True)
class Score:
    answered: int = 0
    correct: int = 0

    @property
    def accuracy(self) -> int:
        return round(100 * self.correct / self.answered) if self.answered else 0

    def plus(self, correct: bool) -> Score:
        return Score(self.answered + 1, self.correct + int(correct))


@dataclass(frozen=True)
class MemberStats:
    """First attempts only (answered before the explanation was out); answers given after it are reviews."""

    overall: Score
    by_system: dict[str, Score]
    by_discipline: dict[str, Score]
    reviewed: Score = Score()


@dataclass(frozen=True)
class Review:
    """A question the member skipped on its day (`choice` None: still answerable) or got wrong; `distribution` is
    set once the explanation is out."""

    post: DailyPost
    question: Question
    choice: str | None
    distribution: Distribution | None = None


@dataclass(frozen=True)
class ReviewPage:
    """One question of a member's review and where it stands, so a page can be reached again from a day alone (a
    button's custom id) however the list changed meanwhile; the counts tell an empty review's reasons apart."""

    shown: Review | None
    position: int  # 1-based place of `shown` in the list
    total: int
    earlier: date | None  # the day of the question before, to page back to
    later: date | None
    past_posts: int  # posts of the community before today
    answered: int  # answers the member gave in the community


@dataclass(frozen=True)
class Seen:
    """Today's question as one member finds it: their answer, and everyone's once the explanation is out to them."""

    post: DailyPost
    question: Question
    mine: str | None
    distribution: Distribution | None  # None: not revealed yet (to this member)


ActivityOf = Callable[[str, Member, int], Awaitable[Activity]]  # (community, member, post id) → what it counts as
Counted = Callable[[str], Awaitable[None]]  # a community whose activity changed


class QotdService:
    def __init__(self, posts: PostStore, clock: Clock, bank: QuestionBank) -> None:
        self._posts = posts
        self._clock = clock
        self.bank = bank
        self._by_day: dict[tuple[str, date], DailyPost] = {}  # which question a day has never changes once chosen
        self._by_id: dict[int, DailyPost] = {}
        self._loading: dict[int, asyncio.Future[DailyPost | None]] = {}
        self._claiming: dict[tuple[str, date], asyncio.Future[DailyPost]] = {}
        self._answers: GroupCommit[AnswerWrite, Recorded] = GroupCommit(self._posts.write_answers)
        self._counts: ActivityOf | None = None
        self._counted: Counted | None = None

    def count_answers(self, activity_of: ActivityOf, counted: Counted) -> None:
        """Answers count as activity (a streak day): `activity_of` says what each answer counts as, and it is
        stored with the answer, in the same commit; `counted` is told of a first answer once it is stored."""
        self._counts, self._counted = activity_of, counted

    # -- which question -------------------------------------------------------------------------------------------
    async def today(self, community: Community) -> tuple[DailyPost, Question]:
        post = await self.post_for(community, community.local_date(self._clock.now()))
        return post, await self.bank.get(post.question_id)

    async def post_for(self, community: Community, day: date) -> DailyPost:
        """The day's post: from memory once known, else from the database, else claimed by one task that every
        concurrent asker of the same day waits on (a morning burst claims once)."""
        key = (community.id, day)
        if key not in self._by_day:
            claiming = self._claiming.get(key)
            if claiming is None:
                claiming = self._claiming[key] = asyncio.ensure_future(self._find_or_claim(community, day))
                claiming.add_done_callback(lambda _: self._claiming.pop(key, None))
            self._by_day[key] = await asyncio.shield(claiming)
        return self._by_day[key]

    async def _find_or_claim(self, community: Community, day: date) -> DailyPost:
        found = await self._posts.find(community.id, day)
        if found is not None:
            return found
        pool, now = await self._pool(community), self._clock.now()
        return await self._posts.claim_day(community.id, day, lambda history: _new_post(community, day, pool, history, now))

    async def pick(self, community: Community, day: date) -> Question:
        """The question a day has, or would get if it were claimed now, without claiming it (an admin's preview):
        the pick is deterministic given the history, so the day gets this one unless the history or settings change."""
        found = await self._posts.find(community.id, day)
        if found is not None:
            return await self.bank.get(found.question_id)
        history = await self._posts.history(community.id)
        picked = _new_post(community, day, await self._pool(community), history, self._clock.now())
        return await self.bank.get(picked.question_id)

    async def _pool(self, community: Community) -> list[Question]:
        """The questions the community's filter allows, with its own questions freshly read (another process may
        have imported or removed some)."""
        await self.bank.refresh(community.id)
        return self.bank.require_available(community.id, community.tag_filter)

    async def post(self, post_id: int) -> DailyPost:
        """A post for answering it: its question and community never change, so it is kept in memory. Its reveal
        time may move (a late post, in any process sharing the database) and whether it was announced may be stale:
        answers and views read those from the store."""
        if post_id not in self._by_id:
            loading = self._loading.get(post_id)
            if loading is None:  # a burst of presses on a post this process has not seen reads it once
                loading = self._loading[post_id] = asyncio.ensure_future(self._posts.get(post_id))
                loading.add_done_callback(lambda _: self._loading.pop(post_id, None))
            post = await asyncio.shield(loading)
            if post is None:
                raise UserError("That question is no longer available. Type `/qotd` for today's question.")
            self._by_id[post_id] = post
        return self._by_id[post_id]

    # -- answers --------------------------------------------------------------------------------------------------
    async def answer(self, post_id: int, member: Member, choice: str, community_id: str) -> AnswerResult:
        """Record a member's answer: the first press, or a change within its short window; later presses change
        nothing and are told so."""
        if choice not in LETTERS:
            raise UserError("Answer with one of the buttons A–E.")
        post = await self.post(post_id)
        if post.community_id != community_id:
            raise UserError("That question belongs to another community. Type `/qotd` for yours.")
        question = await self.bank.get(post.question_id)
        now = self._clock.now()
        activity = await self._counts(community_id, member, post.id) if self._counts is not None else None
        recorded = await self._answers.submit(AnswerWrite(post.id, member, choice, choice == question.answer, iso(now),
                                                          activity))
        if recorded.outcome == "fresh" and self._counted is not None:
            await self._counted(community_id)
        post = replace(post, reveal_at=recorded.reveal_at)
        revealed = post.revealed(now)
        return AnswerResult(post, question, recorded.choice, recorded.choice == question.answer,
                            recorded.outcome == "already", revealed,
                            Distribution(dict(recorded.counts)) if revealed else None,
                            recorded.outcome == "changed", recorded.change_until, recorded.zone)

    async def seen(self, community: Community, member_id: str) -> Seen:
        """Today's question for one member, its reveal time read from the store: after the reveal (or, revealed on
        answering, once they answered) it comes with everyone's answers."""
        post, question = await self.today(community)
        found = await self._posts.seen_by(post.id, member_id)
        post, mine = found if found is not None else (post, None)
        out = (mine is not None) if post.immediate else post.revealed(self._clock.now())
        return Seen(post, question, mine, await self.distribution(post.id) if out else None)

    async def distribution(self, post_id: int) -> Distribution:
        return Distribution(await self._posts.counts(post_id))

    async def review(self, member_id: str, community: Community, at: date | None = None) -> ReviewPage:
        """The member's review, oldest first: past questions they skipped, and any they got wrong (today's too, its
        explanation only once revealed; an answer that may still be changed is not judged yet). Shows the first
        question on or after `at`, else the last one."""
        now = self._clock.now()
        today = community.local_date(now)
        attempts = await self._posts.attempts(member_id, community.id, today)
        settled = [a for a in attempts if a.change_until is None or a.change_until <= now]
        due = [a for a in settled if not a.correct and (a.choice is not None or a.post.local_date < today)]
        past = sum(a.post.local_date < today for a in attempts)
        answered = sum(a.choice is not None for a in attempts)
        if not due:
            return ReviewPage(None, 0, 0, None, None, past, answered)
        index = next((i for i, a in enumerate(due) if at is None or a.post.local_date >= at), len(due) - 1)
        return ReviewPage(await self._review(due[index], now), index + 1, len(due),
                          due[index - 1].post.local_date if index > 0 else None,
                          due[index + 1].post.local_date if index + 1 < len(due) else None, past, answered)

    async def _review(self, attempt: Attempt, now: datetime) -> Review:
        question = await self.bank.get(attempt.post.question_id)
        out = attempt.choice is not None and attempt.post.revealed(now)
        return Review(attempt.post, question, attempt.choice, await self.distribution(attempt.post.id) if out else None)

    async def stats(self, member_id: str, community_id: str) -> MemberStats:
        overall, reviewed = Score(), Score()
        systems: defaultdict[str, Score] = defaultdict(Score)
        disciplines: defaultdict[str, Score] = defaultdict(Score)
        for answer in await self._posts.graded(member_id, community_id):
            if not answer.first_attempt:
                reviewed = reviewed.plus(answer.correct)
                continue
            overall = overall.plus(answer.correct)
            systems[answer.system] = systems[answer.system].plus(answer.correct)
            for discipline in answer.disciplines:
                disciplines[discipline] = disciplines[discipline].plus(answer.correct)
        return MemberStats(overall, dict(systems), dict(disciplines), reviewed)


def _new_post(community: Community, day: date, pool: list[Question], history: list[tuple[str, int]],
              now: datetime) -> NewPost:
    question_id, cycle = _pick(pool, history, f"{community.id}|{day}")
    scheduled = community.scheduled_at(day)
    immediate = community.reveal_delay_minutes == 0
    # "Immediately" means on answering, even when /qotd is asked for before the posting time. A timed reveal
    # counts from when the day starts for members, which is later than the posting time when the first post (or
    # the first /qotd) comes late; the announce moves it again if the channel post goes out later still.
    if immediate:
        reveal_at = min(scheduled, now)
    else:
        reveal_at = max(scheduled, now) + timedelta(minutes=community.reveal_delay_minutes)
    return NewPost(question_id, cycle, scheduled, reveal_at, immediate)


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
