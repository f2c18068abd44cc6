"""The one composition root: settings in, a wired application out. Nothing is created at import time, and tests
inject fakes (clock, scheduler) through the same door.

Building opens the database, loads the bank and wires the services; it delivers nothing. Duties run only once an
adapter calls `start_duties` with the handlers for the platforms it serves, so a tool that opens the database (a
content import, a benchmark) can never take a community's daily post.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from core.clock import Clock
from core.community.people import PeopleStore
from core.community.store import CommunityStore
from core.engine.alarm import Alarm
from core.engine.duties import DutyStore
from core.engine.runner import DutyHandler, DutyRunner
from core.qotd.daily import DailySchedule
from core.qotd.posts import PostStore
from core.qotd.reporting import ReportService
from core.qotd.reports import ReportStore
from core.qotd.service import QotdService
from core.questions.bank import QuestionBank
from core.questions.store import QuestionStore
from core.questions.taxonomy import Taxonomy, load_taxonomy
from core.resources.library import Library, load_bundled
from core.resources.roadmap import RoadmapService
from core.resources.roadmap_store import RoadmapStore
from core.resources.service import ResourceService
from core.resources.store import ResourceStore
from core.review.service import ReviewService
from core.review.store import ReviewStore
from core.sessions.occurrences import SessionDuties
from core.sessions.service import SessionService
from core.sessions.store import SessionStore
from core.settings import Settings
from core.storage.database import Database
from core.streaks.live import LiveBoards
from core.streaks.nudges import NudgeSchedule
from core.streaks.recaps import RecapSchedule
from core.streaks.service import StreakService
from core.streaks.store import StreakStore


@dataclass
class Services:
    settings: Settings
    clock: Clock
    db: Database
    taxonomy: Taxonomy
    bank: QuestionBank
    communities: CommunityStore
    qotd: QotdService
    daily: DailySchedule
    duties: DutyStore
    runner: DutyRunner
    alarm: Alarm
    reports: ReportService
    people: PeopleStore
    streaks: StreakService
    recaps: RecapSchedule
    nudges: NudgeSchedule
    boards: LiveBoards
    sessions: SessionService
    occurrences: SessionDuties
    resources: ResourceService
    roadmap: RoadmapService
    review: ReviewService

    async def start_duties(self, handlers: Mapping[str, DutyHandler], platforms: frozenset[str], *,
                           catch_up: bool = True) -> None:
        """Run duties of these kinds for these platforms from now on: the catch-up (awaited, or in the background
        when `catch_up` is False), then at each due instant. Must be called inside the adapter's event loop."""
        self.runner.serve(handlers, platforms)
        self.alarm.every_sweep(lambda: self.daily.plan_missing(platforms))
        self.alarm.every_sweep(lambda: self.recaps.plan_missing(platforms))
        self.alarm.every_sweep(lambda: self.nudges.plan_missing(platforms))
        self.alarm.every_sweep(lambda: self.occurrences.plan_missing(platforms))
        self.alarm.every_sweep(self._forget_old_duties)
        await self.alarm.start(catch_up=catch_up)

    async def _forget_old_duties(self) -> None:
        await self.duties.prune()

    async def close(self) -> None:
        await self.alarm.shutdown()
        await self.db.close()


async def build(settings: Settings, *, clock: Clock | None = None, aps: AsyncIOScheduler | None = None,
                library: Library | None = None) -> Services:
    """`library`: the resource library to serve instead of the bundled one (tests)."""
    clock = clock or settings.clock()
    library = library if library is not None else load_bundled()  # a broken bundled file refuses before anything opens
    db = await Database(settings.db_path).open()
    try:
        taxonomy = load_taxonomy()
        bank = QuestionBank(QuestionStore(db, clock), taxonomy)
        await bank.load()
        resources = ResourceService(ResourceStore(db, clock), library, clock)
        await resources.load()
    except BaseException:
        await db.close()
        raise
    communities = CommunityStore(db, clock)
    streak_store = StreakStore(db, clock)
    review_store = ReviewStore(db, streak_store.record_in)
    posts = PostStore(db, streak_store.record_in, review_store.enter_missed)
    qotd = QotdService(posts, clock, bank)
    duties = DutyStore(db, clock)
    daily = DailySchedule(qotd, posts, communities, duties, clock)
    communities.subscribe(daily.replan)
    runner = DutyRunner(duties, clock)
    alarm = Alarm(runner, clock, aps)
    duties.on_planned(alarm.arm)
    reports = ReportService(ReportStore(db), qotd, clock)
    people = PeopleStore(db, clock)
    streaks = StreakService(streak_store, people, communities, clock)
    qotd.count_answers(streaks.answer_activity, streaks.answers_recorded)
    recaps = RecapSchedule(streaks, communities, duties, clock)
    communities.subscribe(recaps.replan)
    nudges = NudgeSchedule(streaks, duties, clock)
    streaks.on_nudge(nudges.changed)
    boards = LiveBoards(streaks, communities, duties, clock)
    streaks.on_activity(boards.activity)
    session_store = SessionStore(db, clock, streak_store.record_in)
    sessions = SessionService(session_store, people, streaks, duties, clock)
    occurrences = SessionDuties(sessions, session_store, duties, clock)
    roadmap = RoadmapService(RoadmapStore(db, clock), library)
    review = ReviewService(review_store, bank, qotd, streaks, clock)
    return Services(settings, clock, db, taxonomy, bank, communities, qotd, daily, duties, runner, alarm, reports,
                    people, streaks, recaps, nudges, boards, sessions, occurrences, resources, roadmap, review)
