"""Streaks as members see them: a check-in, an answered question, the figures `/streak` and the boards show.

Every activity is stamped with the zone and rollover hour the member has at that instant (their own, else the
community's), so the day it counts for is fixed when it happens. Writes from concurrent presses share commits
(group commit), like answers do.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from core.clock import Clock
from core.community.members import Member
from core.community.people import PeopleStore
from core.community.store import CommunityStore
from core.errors import UserError
from core.storage.database import GroupCommit
from core.streaks.days import local_day
from core.streaks.rules import Standing, Streak, settle
from core.streaks.store import Activity, Metric, Spread, StreakStore, Totals, periods
from core.text import clean

NOTE_LIMIT = 500
MAX_QUESTIONS = 1000  # in one check-in
MAX_MINUTES = 24 * 60
HEATMAP_WEEKS = 12
PAGE_SIZE = 10
MILESTONES = (7, 14, 30, 50, 100, 200, 365)
Period = str  # 'week' | 'month' | 'all'
PERIOD_INDEX = {"all": 0, "week": 1, "month": 2}
NudgeListener = Callable[[str, str, bool], Awaitable[None]]  # (community, member, on)
ActivityListener = Callable[[set[str]], Awaitable[None]]  # the communities a batch of activity was recorded in
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Where:
    """The zone and day rollover a member's activity counts in right now."""

    zone: str
    rollover: int

    def today(self, clock: Clock) -> date:
        return local_day(clock.now(), self.zone, self.rollover)

    @property
    def zone_info(self) -> ZoneInfo:
        return ZoneInfo(self.zone)


@dataclass(frozen=True)
class Summary:
    member_id: str
    standing: Standing
    where: Where
    totals: dict[str, Totals]  # all time, by source
    nudge: bool
    new_day: bool = False  # the check-in that asked made a new day of the streak (else it added to one)

    @property
    def streak(self) -> Streak:
        return self.standing.streak


@dataclass(frozen=True)
class Place:
    rank: int
    member_id: str
    value: int


@dataclass(frozen=True)
class Board:
    metric: Metric
    period: Period
    key: str  # the period's tally key ('W2026-49')
    places: list[Place]
    names: dict[str, str]
    total: int
    page: int
    pages: int
    mine: Place | None  # the viewer's own place, wherever it is
    above: Place | None  # the member just above the viewer


@dataclass(frozen=True)
class Recap:
    community_id: str
    key: str
    top: list[Place]
    names: dict[str, str]
    active_members: int
    checkins: int
    answered: int
    correct: int
    milestones: list[tuple[str, int]]  # (member, milestone reached this week)
    through: date | None = None  # the community's day when it was made: a recap posted mid-week covers no later day

    @property
    def days(self) -> tuple[date, date]:
        """The Monday of the week recapped and its last day so far (its Sunday, once the week is over)."""
        monday, sunday = week_days(self.key)
        return monday, sunday if self.through is None else max(monday, min(sunday, self.through))

    @property
    def quiet(self) -> bool:
        return self.active_members == 0 and self.answered == 0


class StreakService:
    def __init__(self, store: StreakStore, people: PeopleStore, communities: CommunityStore, clock: Clock) -> None:
        self.store = store
        self._people = people
        self._communities = communities
        self._clock = clock
        self._writes: GroupCommit[Activity, Streak | None] = GroupCommit(self._flush)
        self._nudge_listeners: list[NudgeListener] = []
        self._activity_listeners: list[ActivityListener] = []

    def on_nudge(self, listener: NudgeListener) -> None:
        """Told when a member turns the nudge on or off, so its duty can be planned or dropped."""
        self._nudge_listeners.append(listener)

    def on_activity(self, listener: ActivityListener) -> None:
        """Told after activity is stored, so a live leaderboard can plan its refresh."""
        self._activity_listeners.append(listener)

    async def _flush(self, batch: list[Activity]) -> list[Streak | None]:
        changed = await self.store.record(batch)
        await self._recorded({a.community_id for a in batch})
        return [changed.get((a.community_id, a.member_id)) for a in batch]

    async def answers_recorded(self, community_id: str) -> None:
        """A first answer was stored with its activity (in the answer's own commit)."""
        await self._recorded({community_id})

    async def _recorded(self, community_ids: set[str]) -> None:
        """The activity is stored: a listener that fails (a refresh not planned) must not fail the check-in."""
        for listener in self._activity_listeners:
            try:
                await listener(community_ids)
            except Exception:
                log.exception("after recording activity in %s", sorted(community_ids))

    async def where(self, community_id: str, member_id: str) -> Where:
        mine = await self._people.settings(member_id)
        zone = mine.zone or (await self._communities.get(community_id)).timezone
        return Where(zone, mine.rollover)

    async def check_in(self, community_id: str, member: Member, *, questions: int = 0, minutes: int = 0,
                       note: str = "") -> Summary:
        note = _checked(questions, minutes, note)
        where = await self.where(community_id, member.id)
        await self._people.remember(member)
        folded = await self._writes.submit(Activity(community_id, member.id, "checkin", self._clock.now(), where.zone,
                                                    where.rollover, questions, minutes, note))
        return replace(await self.summary(community_id, member.id), new_day=folded is not None)

    async def answer_activity(self, community_id: str, member: Member, post_id: int) -> Activity:
        """What answering a question of the day counts as: once per post, for the day it was answered in. The
        answer's own commit stores it, putting in the member's own zone and rollover hour as it reads them; the
        community's zone (cached) stands in until then, so a press costs no read of its own."""
        zone = (await self._communities.get(community_id)).timezone
        return Activity(community_id, member.id, "qotd", self._clock.now(), zone, 0, questions=1, ref=f"post:{post_id}")

    async def summary(self, community_id: str, member_id: str) -> Summary:
        where = await self.where(community_id, member_id)
        kept = await self.store.kept(community_id, member_id)
        totals = await self.store.totals(community_id, member_id, "all")
        return Summary(member_id, settle(kept.streak, where.today(self._clock)), where, totals, kept.nudge)

    async def heatmap(self, community_id: str, member_id: str) -> tuple[dict[date, int], date]:
        today = (await self.where(community_id, member_id)).today(self._clock)
        last = (await self.store.kept(community_id, member_id)).streak.last_day
        today = max(today, last) if last is not None else today  # after flying west, the last day still shows
        since = today - timedelta(days=today.weekday() + 7 * (HEATMAP_WEEKS - 1))
        return await self.store.day_counts(community_id, member_id, since), today

    async def is_known(self, community_id: str, member_id: str) -> bool:
        return await self.store.is_known(community_id, member_id)

    async def set_nudge(self, community_id: str, member: Member, on: bool) -> None:
        await self._people.remember(member)
        await self.store.set_nudge(community_id, member.id, on)
        for listener in self._nudge_listeners:
            await listener(community_id, member.id, on)

    async def board(self, community_id: str, metric: Metric, period: Period, page: int,
                    viewer: str | None) -> Board:
        """A page of a board; with a `viewer`, their own place and the one just above (a live board has none)."""
        community = await self._communities.get(community_id)
        key = periods(community.local_date(self._clock.now()))[PERIOD_INDEX[period]]
        ranking = self.store.ranking(community_id, metric, key)
        spread = await self.store.spread(ranking)  # the size and every rank below, from one read
        total = spread.size
        pages = max(1, math.ceil(total / PAGE_SIZE))
        page = min(max(page, 1), pages)
        rows = await self.store.page(ranking, PAGE_SIZE, (page - 1) * PAGE_SIZE, spread)
        places = _ranked(spread, rows, (page - 1) * PAGE_SIZE)
        mine = above = None
        standing = None if viewer is None else await self.store.standing(ranking, viewer)
        if viewer is not None and standing is not None:
            value, ahead = standing
            mine = Place(spread.rank_of(value), viewer, value)
            if ahead is not None:
                above = Place(spread.rank_of(ahead[1]), *ahead)
        shown = [p.member_id for p in places] + [p.member_id for p in (mine, above) if p is not None]
        return Board(metric, period, key, places, await self._people.names(shown), total, page, pages, mine, above)

    async def recap(self, community_id: str, key: str | None = None) -> Recap:
        """The figures of a week (its key, 'W2026-48'; by default the community's current week)."""
        today = (await self._communities.get(community_id)).local_date(self._clock.now())
        if key is None:
            key = periods(today)[1]
        ranking = self.store.ranking(community_id, "streak", key)
        top = _ranked(await self.store.spread(ranking), await self.store.page(ranking, 3, 0))
        sums = await self.store.sums(community_id, key)
        reached = [(m, _milestone(current, days)) for m, current, days
                   in await self.store.milestones(community_id, key, MILESTONES[0])]
        milestones = [(m, n) for m, n in reached if n is not None]
        names = await self._people.names([p.member_id for p in top] + [m for m, _ in milestones])
        answered, correct = await self.store.answer_counts(community_id, week_days(key))
        return Recap(community_id, key, top, names, sums.get("day", (0, 0, 0))[0], sums.get("checkin", (0, 0, 0))[2],
                     answered, correct, milestones, today)


def _ranked(spread: Spread, rows: list[tuple[str, int]], offset: int = 0) -> list[Place]:
    """Competition ranks for a page: the first row's from the board's buckets (it may tie with the page before);
    after it, a new value's rank is its position, since every member before it has more."""
    places: list[Place] = []
    for index, (member_id, value) in enumerate(rows):
        if places and places[-1].value == value:
            rank = places[-1].rank
        elif places:
            rank = offset + index + 1
        else:
            rank = spread.rank_of(value)
        places.append(Place(rank, member_id, value))
    return places


def week_days(key: str) -> tuple[date, date]:
    """The Monday and Sunday of a week key ('W2026-49')."""
    year, week = key[1:].split("-")
    return date.fromisocalendar(int(year), int(week), 1), date.fromisocalendar(int(year), int(week), 7)


def _milestone(current: int, days_this_week: int) -> int | None:
    """The highest milestone crossed this week: reached now, not yet before this week's active days."""
    before = current - days_this_week
    crossed = [m for m in MILESTONES if before < m <= current]
    return crossed[-1] if crossed else None


def _checked(questions: int, minutes: int, note: str) -> str:
    if not 0 <= questions <= MAX_QUESTIONS:
        raise UserError(f"`questions` must be from 0 to {MAX_QUESTIONS:,}.")
    if not 0 <= minutes <= MAX_MINUTES:
        raise UserError(f"`minutes` must be from 0 to {MAX_MINUTES:,} (a whole day).")
    note = clean(note)
    if len(note) > NOTE_LIMIT:
        raise UserError(f"Your note is {len(note):,} characters long; the limit is {NOTE_LIMIT}. Nothing was saved.")
    return note
