"""The alarm clock: one APScheduler job that wakes the duty runner at the next due instant, whatever the number of
communities. The database holds every duty; APScheduler holds one date.

Duties are due on the injected clock, while APScheduler sleeps on the wall clock, so a due instant is turned into a
wait from now (`Clock.wall_after`). The alarm never sleeps longer than `SWEEP`: a duty another process planned, a
lease that expired or a clock that jumped is picked up within it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger

from core.clock import Clock
from core.engine.runner import DutyRunner

log = logging.getLogger(__name__)
SWEEP = timedelta(seconds=60)
JOB_ID = "duties"
Chore = Callable[[], Awaitable[None]]


class Alarm:
    def __init__(self, runner: DutyRunner, clock: Clock, aps: AsyncIOScheduler | None = None,
                 sweep: timedelta = SWEEP) -> None:
        self.runner = runner
        self.clock = clock
        self.aps = aps or AsyncIOScheduler(timezone=UTC)
        self.sweep = sweep
        self._chores: list[Chore] = []
        self._armed_for: datetime | None = None
        self._tick_lock = asyncio.Lock()
        self._again = False  # a duty due now was planned during a tick: wake again right after it
        self._closing = False

    def every_sweep(self, chore: Chore) -> None:
        """Work each wake-up does before running duties (planning recurring duties that lost track)."""
        self._chores.append(chore)

    @property
    def running(self) -> bool:
        return self.aps.running

    async def start(self, *, catch_up: bool = True) -> None:
        """Inside the running event loop. With `catch_up`, the duties due now run before this returns (the
        console); without, they run in the background at once, so a bot with thousands of overdue posts after
        an outage answers its members meanwhile."""
        if not self.aps.running:
            self.aps.start()
        if catch_up:
            await self.tick()
        else:
            self.arm(self.clock.now())

    async def shutdown(self, grace: float = 5.0) -> None:
        """Deliveries in flight get `grace` to finish before the scheduler (and the wake-up running them) stops."""
        self._closing = True
        await self.runner.drain(grace)
        if self.aps.running:
            self.aps.shutdown(wait=False)

    async def tick(self) -> None:
        """One wake-up: chores, every duty due, then the alarm set for the next one. A wake-up cut short by the
        shutdown ends quietly: its duties gave their leases back and run at the next start."""
        try:
            await self._tick()
        except asyncio.CancelledError:
            if not self._closing:
                raise

    async def _tick(self) -> None:
        if self._closing:
            return
        async with self._tick_lock:
            self._armed_for = None
            for chore in self._chores:
                try:
                    await chore()
                except Exception:
                    log.exception("a duty-planning chore failed")
            try:
                await self.runner.run_due()
            except Exception:
                log.exception("running due duties failed")
            self._armed_for = None  # whatever was armed meanwhile may have fired already: arm afresh
            await self._arm_next()
            again, self._again = self._again, False  # no await from here to the release: none is missed
        if again:  # outside the lock: inside it, this would only ask again
            self.arm(self.clock.now())

    async def _arm_next(self) -> None:
        try:
            due = await self.runner.next_due()
        except Exception:
            log.exception("reading the next due duty failed")
            due = None
        self.arm(due)

    def arm(self, due: datetime | None) -> None:
        """Wake at `due` (or at the next sweep, if sooner); never later than an alarm already set."""
        if not self.aps.running:
            return
        now = self.clock.now()
        if due is not None and due <= now and self._tick_lock.locked():
            self._again = True  # one wake after this tick, not a wake for each duty a sweep plans (500 of them)
            return
        at = now + self.sweep if due is None else min(due, now + self.sweep)
        if self._armed_for is not None and now < self._armed_for <= at:
            return
        self._armed_for = at
        self.aps.add_job(self.tick, DateTrigger(self.clock.wall_after(at)), id=JOB_ID, replace_existing=True,
                         misfire_grace_time=None, coalesce=True, max_instances=2)  # a wake during a tick waits for it
