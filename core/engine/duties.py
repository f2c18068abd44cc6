"""Duties in the database: every timed effect is a row with a due instant, a lease and an outcome.

The row is the source of truth. Planning is an upsert by (kind, key), so planning the same occurrence twice (a DST
night, a restart, two processes) makes one row. Claiming is one UPDATE … RETURNING that takes due, unleased rows and
leases them to one owner, so only one process runs a duty; a process that dies leaves a lease that expires and the
next sweep, here or elsewhere, runs the duty again. A duty is done only when its handler returned.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Update, and_, case, delete, func, or_, select, update

from core.clock import Clock, iso, parse_iso
from core.community.model import platform_of
from core.storage.database import Database, Row, rows
from core.storage.schema import duties

MAX_ERROR = 300
KEEP_DONE = timedelta(days=14)
COLUMNS = (duties.c.id, duties.c.kind, duties.c.key, duties.c.scope, duties.c.platform, duties.c.due_at, duties.c.payload,
           duties.c.attempts)


@dataclass(frozen=True)
class Plan:
    """One occurrence of a duty to run at `due_at`; `scope` is what it belongs to (a community id), whose
    platform decides which process may run it."""

    kind: str
    key: str
    scope: str
    due_at: datetime
    payload: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Duty:
    id: int
    kind: str
    key: str
    scope: str
    platform: str
    due_at: datetime
    payload: Mapping[str, Any]
    attempts: int


class DutyStore:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock
        self._listeners: list[Callable[[datetime], None]] = []

    def on_planned(self, listener: Callable[[datetime], None]) -> None:
        """Told the due instant of every duty this process plans, so a sleeping runner can wake earlier."""
        self._listeners.append(listener)

    async def plan(self, *plans: Plan) -> None:
        """Insert each occurrence, or move a pending one to its new time and payload; a done one stays done."""
        if not plans:
            return
        upsert = self._db.insert(duties)
        upsert = upsert.on_conflict_do_update(
            index_elements=[duties.c.kind, duties.c.key],
            set_={"due_at": upsert.excluded.due_at, "payload": upsert.excluded.payload},
            where=duties.c.done_at.is_(None))
        await self._db.execute(upsert, [
            {"kind": p.kind, "key": p.key, "scope": p.scope, "platform": platform_of(p.scope), "due_at": iso(p.due_at),
             "payload": json.dumps(dict(p.payload))} for p in plans])
        for listener in self._listeners:
            listener(min(p.due_at for p in plans))

    async def drop_pending(self, kind: str, scope: str, keep: str | None = None) -> int:
        """Forget pending, unleased occurrences of a scope's duty (a community stopped its daily post), all but `keep`."""
        return await self._db.execute(delete(duties).where(
            duties.c.kind == kind, duties.c.scope == scope, duties.c.done_at.is_(None), duties.c.key != (keep or ""),
            self._unleased()))

    async def drop(self, kind: str, keys: list[str]) -> int:
        """Forget these pending, unleased occurrences (a member withdrew from a session: no reminder now)."""
        if not keys:
            return 0
        return await self._db.execute(delete(duties).where(
            duties.c.kind == kind, duties.c.key.in_(keys), duties.c.done_at.is_(None), self._unleased()))

    async def settle(self, plan: Plan, outcome: str) -> bool:
        """Record an occurrence as done without running it (an admin skipped the day): planned first if need be, and
        never one already done or one a runner holds right now. True when it was settled here."""
        now = iso(self._clock.now())
        upsert = self._db.insert(duties)
        upsert = upsert.on_conflict_do_update(
            index_elements=[duties.c.kind, duties.c.key],
            set_={"outcome": upsert.excluded.outcome, "done_at": upsert.excluded.done_at},
            where=and_(duties.c.done_at.is_(None), self._unleased()))
        return await self._db.execute(upsert, {
            "kind": plan.kind, "key": plan.key, "scope": plan.scope, "platform": platform_of(plan.scope),
            "due_at": iso(plan.due_at), "payload": json.dumps(dict(plan.payload)), "outcome": outcome, "done_at": now}) == 1

    async def forget(self, kind: str, key: str) -> None:
        """Delete a settled occurrence: a claim taken with `settle` before an effect, given back when the effect
        failed, so the effect may be tried again."""
        await self._db.execute(delete(duties).where(duties.c.kind == kind, duties.c.key == key,
                                                    duties.c.done_at.is_not(None)))

    async def is_done(self, kind: str, key: str) -> bool:
        row = await self._db.fetchone(select(duties.c.done_at).where(duties.c.kind == kind, duties.c.key == key))
        return row is not None and row["done_at"] is not None

    async def claim(self, owner: str, kinds: frozenset[str], platforms: frozenset[str], lease: timedelta,
                    limit: int) -> list[Duty]:
        """Lease up to `limit` due duties of these kinds and platforms to `owner`, earliest first. On PostgreSQL the
        rows are locked as they are chosen and rows another process is choosing are skipped, so processes waking
        together share the due duties instead of queueing on each other."""
        if not kinds or not platforms:
            return []
        now = self._clock.now()
        due = (select(duties.c.id).where(duties.c.done_at.is_(None), duties.c.due_at <= iso(now), self._unleased(now),
                                         duties.c.kind.in_(sorted(kinds)), duties.c.platform.in_(sorted(platforms)))
               .order_by(duties.c.due_at).limit(limit).with_for_update(skip_locked=True))
        claim = (update(duties).where(duties.c.id.in_(due.scalar_subquery()))
                 .values(claimed_by=owner, claimed_until=iso(now + lease), attempts=duties.c.attempts + 1)
                 .returning(*COLUMNS))
        async with self._db.transaction() as conn:
            claimed = await rows(conn, claim)
        return sorted((_duty(row) for row in claimed), key=lambda d: (d.due_at, d.id))

    async def finish(self, duty: Duty, owner: str, outcome: str = "done", error: str | None = None) -> bool:
        """Record the outcome ('done', 'skipped', 'failed'); False if the lease was lost to another owner meanwhile."""
        changed = await self._db.execute(self._leased(duty, owner).values(
            done_at=iso(self._clock.now()), outcome=outcome, last_error=func.coalesce(_clip(error), duties.c.last_error),
            claimed_by=None, claimed_until=None))
        return changed == 1

    async def renew(self, owner: str, lease: timedelta) -> int:
        """Extend every lease `owner` still holds: the heartbeat of a process that is alive and at work, so a lease
        can be short (a dead process's duties run again soon) however long a delivery takes. A lease another
        process took over after it expired is no longer `owner`'s and stays untouched."""
        return await self._db.execute(update(duties).where(
            duties.c.claimed_by == owner, duties.c.done_at.is_(None)).values(
            claimed_until=iso(self._clock.now() + lease)))

    async def retry(self, duty: Duty, owner: str, at: datetime, error: str, *, count: bool = True) -> None:
        """Give the lease back with the time of the next attempt; `count=False` takes the attempt back too."""
        await self._db.execute(self._leased(duty, owner).values(
            due_at=iso(at), last_error=_clip(error), claimed_by=None, claimed_until=None,
            attempts=duties.c.attempts - (0 if count else 1)))

    async def release(self, duty: Duty, owner: str) -> None:
        """Give the lease back untouched (the process is stopping): the attempt does not count."""
        await self._db.execute(self._leased(duty, owner).values(
            claimed_by=None, claimed_until=None, attempts=case((duties.c.attempts > 0, duties.c.attempts - 1), else_=0)))

    async def next_due(self, kinds: frozenset[str], platforms: frozenset[str]) -> datetime | None:
        """The earliest instant a duty of these kinds may run: its due time, or the end of its lease."""
        if not kinds or not platforms:
            return None
        ready = case((duties.c.claimed_until > duties.c.due_at, duties.c.claimed_until), else_=duties.c.due_at)
        row = await self._db.fetchone(select(func.min(ready).label("at")).where(
            duties.c.done_at.is_(None), duties.c.kind.in_(sorted(kinds)), duties.c.platform.in_(sorted(platforms))))
        return parse_iso(row["at"]) if row is not None and row["at"] else None

    async def pending(self, kind: str, scope: str) -> list[Duty]:
        found = await self._db.fetchall(select(*COLUMNS).where(
            duties.c.kind == kind, duties.c.scope == scope, duties.c.done_at.is_(None)).order_by(duties.c.due_at))
        return [_duty(row) for row in found]

    async def outcome(self, kind: str, key: str) -> tuple[str | None, int, str | None] | None:
        """(outcome, attempts, last error) of one occurrence, for tests and admins."""
        row = await self._db.fetchone(select(duties.c.outcome, duties.c.attempts, duties.c.last_error).where(
            duties.c.kind == kind, duties.c.key == key))
        return None if row is None else (row["outcome"], row["attempts"], row["last_error"])

    async def prune(self, keep: timedelta = KEEP_DONE) -> int:
        return await self._db.execute(delete(duties).where(
            duties.c.done_at.is_not(None), duties.c.done_at < iso(self._clock.now() - keep)))

    def _unleased(self, now: datetime | None = None) -> ColumnElement[bool]:
        moment = iso(now or self._clock.now())
        return or_(duties.c.claimed_until.is_(None), duties.c.claimed_until <= moment)

    @staticmethod
    def _leased(duty: Duty, owner: str) -> Update:
        return update(duties).where(duties.c.id == duty.id, duties.c.claimed_by == owner)


def _duty(row: Row) -> Duty:
    return Duty(id=row["id"], kind=row["kind"], key=row["key"], scope=row["scope"], platform=row["platform"],
                due_at=parse_iso(row["due_at"]), payload=json.loads(row["payload"]), attempts=row["attempts"])


def _clip(error: str | None) -> str | None:
    return None if error is None else error[:MAX_ERROR]
