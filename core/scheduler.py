"""APScheduler jobs, rebuilt from the database at start-up and whenever settings change.

The job store is memory only: the database is the source of truth, and APScheduler merely wakes us at the right
moment. A periodic sweep re-runs the catch-up, so a missed fire (event loop stalled, clock jump) is made good.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timezone

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from core.community import Community
from core.daily import DailyDuties
from core.qotd import DailyPost

log = logging.getLogger(__name__)
SWEEP_MINUTES = 10


class Scheduler:
    def __init__(self, duties: DailyDuties, aps: AsyncIOScheduler | None = None) -> None:
        self.duties = duties
        self.aps = aps or AsyncIOScheduler(timezone=timezone.utc)
        self._running: set[asyncio.Task[None]] = set()  # jobs in flight, so shutdown can let them give claims back

    async def start(self) -> None:
        """Must run inside the event loop the bot uses."""
        if not self.aps.running:
            self.aps.start()
        self.aps.add_job(self.sweep, IntervalTrigger(minutes=SWEEP_MINUTES), id="sweep", replace_existing=True, coalesce=True)
        for community in await self.duties.communities.with_channels():
            self.plan(community)
        await self.sweep()

    async def shutdown(self, grace: float = 5.0) -> None:
        """Stop waking jobs; jobs in flight are cancelled by APScheduler and given a moment to release their claims
        before the database closes under them."""
        if self.aps.running:
            self.aps.shutdown(wait=False)
        if self._running:
            await asyncio.wait(set(self._running), timeout=grace)

    @asynccontextmanager
    async def _tracked(self) -> AsyncIterator[None]:
        task = asyncio.current_task()
        if task is not None:
            self._running.add(task)
        try:
            yield
        finally:
            self._running.discard(task)  # type: ignore[arg-type]

    def plan(self, community: Community) -> None:
        """One cron job per community at its local posting time; CronTrigger keeps it local across DST."""
        job_id = announce_job_id(community.id)
        if community.channel_id is None:
            if self.aps.get_job(job_id):
                self.aps.remove_job(job_id)
            return
        trigger = CronTrigger(hour=community.post_time.hour, minute=community.post_time.minute, timezone=community.zone)
        self.aps.add_job(self.announce, trigger, id=job_id, args=[community.id], replace_existing=True,
                         coalesce=True, misfire_grace_time=15 * 60)

    async def on_settings_changed(self, community: Community) -> None:
        """Move the job, and post today's question now if its time already passed (announce is claimed once)."""
        self.plan(community)
        await self.announce(community.id)

    async def announce(self, community_id: str) -> None:
        async with self._tracked():
            try:
                announced = await self.duties.announce(community_id)
            except Exception:
                log.exception("posting the question of the day failed for %s", community_id)
                return
            if announced:
                self.plan_reveal(announced)

    def plan_reveal(self, post: DailyPost) -> None:
        if post.immediate:
            return
        run_at = max(post.reveal_at, datetime.now(timezone.utc))  # APScheduler runs on the wall clock, not ours
        self.aps.add_job(self.reveal, DateTrigger(run_at), id=f"reveal:{post.id}", args=[post.id],
                         replace_existing=True, misfire_grace_time=None)

    async def reveal(self, post_id: int) -> None:
        async with self._tracked():
            try:
                await self.duties.reveal(post_id)
            except Exception:
                log.exception("revealing post %s failed", post_id)

    async def sweep(self) -> None:
        async with self._tracked():
            try:
                for post in await self.duties.catch_up():
                    self.plan_reveal(post)
            except Exception:
                log.exception("catch-up sweep failed")


def announce_job_id(community_id: str) -> str:
    return f"announce:{community_id}"
