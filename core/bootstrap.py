"""The one composition root: settings in, a wired application out. Nothing is created at import time, and tests
inject fakes (clock, notifier, scheduler) through the same door."""

from __future__ import annotations

from dataclasses import dataclass

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from core.bank import QuestionBank
from core.clock import Clock, SystemClock
from core.community import CommunityStore
from core.daily import DailyDuties
from core.db import Database
from core.notifier import CollectingNotifier, Notifier
from core.qotd import QotdService
from core.scheduler import Scheduler
from core.settings import Settings
from core.taxonomy import Taxonomy, load_taxonomy


@dataclass
class Services:
    settings: Settings
    clock: Clock
    db: Database
    taxonomy: Taxonomy
    bank: QuestionBank
    communities: CommunityStore
    qotd: QotdService
    duties: DailyDuties
    scheduler: Scheduler

    async def start_scheduler(self) -> None:
        await self.scheduler.start()

    async def close(self) -> None:
        await self.scheduler.shutdown()
        await self.db.close()


async def build(settings: Settings, *, clock: Clock | None = None, notifier: Notifier | None = None,
                aps: AsyncIOScheduler | None = None) -> Services:
    """Open the database (migrating it), load the bank and wire the services. The scheduler is built but not
    started: the caller starts it inside its event loop once the adapter can deliver posts."""
    clock = clock or SystemClock()
    db = await Database(settings.db_path).open()
    taxonomy = load_taxonomy()
    bank = QuestionBank(db, clock, taxonomy)
    await bank.load()
    communities = CommunityStore(db, clock)
    qotd = QotdService(db, clock, bank, communities)
    duties = DailyDuties(qotd, communities, notifier or CollectingNotifier(), clock)
    scheduler = Scheduler(duties, aps)
    communities.subscribe(scheduler.on_settings_changed)
    return Services(settings, clock, db, taxonomy, bank, communities, qotd, duties, scheduler)
