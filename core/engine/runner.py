"""The duty runner: claims due duties with a lease, runs each through the handler declared for its kind, and
records the outcome only after the handler returned.

A failure is retried with backoff and given up after `MAX_ATTEMPTS`; `Undeliverable` (the bot was removed from the
channel) is given up at once, so a dead channel costs a handful of calls, not one every sweep forever. A process runs
only the duties of the platforms it serves: the console never posts a Discord community's question.

Leases are short and renewed by a heartbeat while the process holds them: a process that dies (SIGKILL, a lost
machine) stops renewing, and its duties run again elsewhere within `LEASE`, not after the longest a delivery may take.
The retry of an attempt that may have reached the platform (`Duty.attempts` > 1) is made harmless at the platform
by the notifier (the occurrence's key: see commands/notifier.py), so exactly one message arrives.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from datetime import datetime, timedelta

from core.clock import Clock
from core.engine.duties import Duty, DutyStore
from core.engine.errors import Postpone, Undeliverable

log = logging.getLogger(__name__)

DutyHandler = Callable[[Duty], Awaitable[str | None]]  # returns the outcome: None or 'done', or 'skipped'
MAX_ATTEMPTS = 5
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2))
LEASE = timedelta(seconds=30)  # how soon another process takes over the duties of one that died
HEARTBEATS_PER_LEASE = 3  # renewals a lease gets before it would run out: two may be late or lost
DEADLINE = 120.0  # seconds one duty may take (a platform's 429 waits included) before it counts as failed
INTERRUPTED = "interrupted: the process stopped while it was delivering"
CONCURRENCY = 16
BATCH = 2 * CONCURRENCY  # leased at once by one process: enough to keep its slots busy, and no more


def backoff(attempts: int) -> timedelta:
    """The wait before the next attempt, after `attempts` failed ones."""
    return BACKOFF[min(attempts, len(BACKOFF)) - 1]


class DutyRunner:
    def __init__(self, store: DutyStore, clock: Clock, *, lease: timedelta = LEASE, batch: int = BATCH,
                 concurrency: int = CONCURRENCY, owner: str | None = None) -> None:
        self.store = store
        self.clock = clock
        self.lease = lease
        self.batch = max(batch, concurrency)
        self.concurrency = concurrency
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._handlers: dict[str, DutyHandler] = {}
        self._platforms: frozenset[str] = frozenset()
        self.deadline = DEADLINE
        self._slots = asyncio.Semaphore(concurrency)
        self._tasks: set[asyncio.Task[None]] = set()  # every claimed duty of this process, waiting or delivering
        self._delivering: set[asyncio.Task[None]] = set()
        self._stopping = False

    def serve(self, handlers: Mapping[str, DutyHandler], platforms: frozenset[str]) -> None:
        """Which duty kinds this process runs, and for which platforms (those its notifiers deliver to)."""
        self._handlers = dict(handlers)
        self._platforms = frozenset(platforms)

    @property
    def platforms(self) -> frozenset[str]:
        return self._platforms

    async def next_due(self) -> datetime | None:
        return await self.store.next_due(frozenset(self._handlers), self._platforms)

    async def run_due(self) -> int:
        """Run every duty due now; returns how many ran. A process holds at most `batch` leases (twice the deliveries
        it makes at once), topped up as its deliveries end: processes waking together for the same thousand posts
        share them, instead of the first one awake leasing them all and the others idling."""
        total = 0
        running: set[asyncio.Task[None]] = set()
        async with self._heartbeat():
            try:
                while not self._stopping:
                    claimed = await self.store.claim(self.owner, frozenset(self._handlers), self._platforms,
                                                     self.lease, self.batch - len(running))
                    total += len(claimed)
                    running |= {asyncio.create_task(self._guarded(duty)) for duty in claimed}
                    if not running:
                        break
                    if not claimed:  # nothing more due: the last deliveries end, then one more look
                        await asyncio.wait(running)
                        running = set()
                    while len(running) > self.batch - self.concurrency:
                        _, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            except BaseException:  # cancelled: every claimed duty stops and gives its lease back, as with gather
                for task in running:
                    task.cancel()
                if running:
                    await asyncio.wait(running)
                raise
            if running:  # stopping: what was claimed still runs (or gives its lease back) before this returns
                await asyncio.wait(running)
        return total

    @contextlib.asynccontextmanager
    async def _heartbeat(self) -> AsyncIterator[None]:
        """While duties are claimed, their leases are renewed well before they run out."""
        beating = asyncio.create_task(self._beat())
        try:
            yield
        finally:
            beating.cancel()
            await asyncio.wait({beating})

    async def _beat(self) -> None:
        interval = self.lease.total_seconds() / HEARTBEATS_PER_LEASE
        while True:
            await asyncio.sleep(interval)
            if not self._tasks:
                continue
            try:
                await self.store.renew(self.owner, self.lease)
            except Exception as error:  # the next beat tries again; the lease has two more beats to go
                log.warning("could not renew the leases of %s: %s", self.owner, error)

    async def _guarded(self, duty: Duty) -> None:
        """One claimed duty: it waits for a slot, then runs. A duty the process stops before it ran gives its lease
        back at once, so it runs again at the next start (here or in another process), not after the lease."""
        task = asyncio.current_task()
        if task is None:  # pragma: no cover - always inside a task (gather)
            return
        self._tasks.add(task)
        try:
            async with self._slots:
                if self._stopping:
                    await self.store.release(duty, self.owner)
                    return
                self._delivering.add(task)
                await self._run(duty)
        except asyncio.CancelledError:
            await asyncio.shield(self.store.release(duty, self.owner))
            raise
        finally:
            self._tasks.discard(task)
            self._delivering.discard(task)

    async def _run(self, duty: Duty) -> None:
        try:
            outcome = await asyncio.wait_for(self._handlers[duty.kind](duty), self.deadline) or "done"
        except asyncio.CancelledError:  # stopping mid-delivery: it runs again at once after the restart, as a retry
            await asyncio.shield(self.store.retry(duty, self.owner, duty.due_at, INTERRUPTED))
            raise
        except Postpone as error:
            await self.store.retry(duty, self.owner, error.at, str(error), count=False)
            return
        except Undeliverable as error:
            log.warning("gave up %s %s: %s", duty.kind, duty.key, error)
            await self.store.finish(duty, self.owner, "failed", f"undeliverable: {error}")
            return
        except Exception as error:
            await self._failed(duty, error)
            return
        if not await self.store.finish(duty, self.owner, outcome):
            log.warning("the lease on %s %s expired while it ran; it may run again", duty.kind, duty.key)

    async def _failed(self, duty: Duty, error: Exception) -> None:
        why = f"{type(error).__name__}: {error}"
        if duty.attempts >= MAX_ATTEMPTS:
            log.error("gave up %s %s after %d attempts: %s", duty.kind, duty.key, duty.attempts, why)
            await self.store.finish(duty, self.owner, "failed", why)
            return
        log.warning("%s %s failed (attempt %d), retrying: %s", duty.kind, duty.key, duty.attempts, why, exc_info=error)
        await self.store.retry(duty, self.owner, self.clock.now() + backoff(duty.attempts), why)

    async def drain(self, grace: float) -> None:
        """Stop claiming; let deliveries in flight finish for a moment (cutting one off mid-request is what can post
        twice); duties still waiting for a slot give their leases back; what is left then is cancelled."""
        self._stopping = True
        if self._delivering:
            await asyncio.wait(set(self._delivering), timeout=grace)
        late = {task for task in self._tasks if not task.done()}
        for task in late:
            task.cancel()
        if late:
            await asyncio.wait(late, timeout=1.0)
