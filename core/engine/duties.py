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

from core.clock import Clock, iso, parse_iso
from core.community.model import platform_of
from core.storage.database import Database, Row

MAX_ERROR = 300
KEEP_DONE = timedelta(days=14)


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
        await self._db.executemany(
            """INSERT INTO duties (kind, key, scope, platform, due_at, payload) VALUES (?, ?, ?, ?, ?, ?)
               ON CONFLICT (kind, key) DO UPDATE SET due_at = excluded.due_at, payload = excluded.payload
               WHERE duties.done_at IS NULL""",
            [(p.kind, p.key, p.scope, platform_of(p.scope), iso(p.due_at), json.dumps(dict(p.payload))) for p in plans])
        for listener in self._listeners:
            listener(min(p.due_at for p in plans))

    async def drop_pending(self, kind: str, scope: str, keep: str | None = None) -> int:
        """Forget pending, unleased occurrences of a scope's duty (a community stopped its daily post), all but `keep`."""
        now = iso(self._clock.now())
        return await self._db.execute(
            """DELETE FROM duties WHERE kind = ? AND scope = ? AND done_at IS NULL AND key != ?
               AND (claimed_until IS NULL OR claimed_until <= ?)""", (kind, scope, keep or "", now))

    async def settle(self, plan: Plan, outcome: str) -> bool:
        """Record an occurrence as done without running it (an admin skipped the day): planned first if need be, and
        never one already done or one a runner holds right now. True when it was settled here."""
        now = iso(self._clock.now())
        return await self._db.execute(
            """INSERT INTO duties (kind, key, scope, platform, due_at, payload, outcome, done_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (kind, key) DO UPDATE SET outcome = excluded.outcome, done_at = excluded.done_at
               WHERE duties.done_at IS NULL AND (duties.claimed_until IS NULL OR duties.claimed_until <= ?)""",
            (plan.kind, plan.key, plan.scope, platform_of(plan.scope), iso(plan.due_at), json.dumps(dict(plan.payload)),
             outcome, now, now)) == 1

    async def is_done(self, kind: str, key: str) -> bool:
        row = await self._db.fetchone("SELECT done_at FROM duties WHERE kind = ? AND key = ?", (kind, key))
        return row is not None and row["done_at"] is not None

    async def claim(self, owner: str, kinds: frozenset[str], platforms: frozenset[str], lease: timedelta,
                    limit: int) -> list[Duty]:
        """Lease up to `limit` due duties of these kinds and platforms to `owner`, earliest first."""
        if not kinds or not platforms:
            return []
        now = self._clock.now()
        kind_marks, platform_marks = ", ".join("?" * len(kinds)), ", ".join("?" * len(platforms))
        async with self._db.transaction() as conn:
            rows = await conn.execute_fetchall(
                f"""UPDATE duties SET claimed_by = ?, claimed_until = ?, attempts = attempts + 1
                    WHERE id IN (SELECT id FROM duties WHERE done_at IS NULL AND due_at <= ?
                                 AND (claimed_until IS NULL OR claimed_until <= ?)
                                 AND kind IN ({kind_marks}) AND platform IN ({platform_marks})
                                 ORDER BY due_at LIMIT ?)
                    RETURNING id, kind, key, scope, platform, due_at, payload, attempts""",
                (owner, iso(now + lease), iso(now), iso(now), *sorted(kinds), *sorted(platforms), limit))
        return sorted((_duty(row) for row in rows), key=lambda d: (d.due_at, d.id))

    async def finish(self, duty: Duty, owner: str, outcome: str = "done", error: str | None = None) -> bool:
        """Record the outcome ('done', 'skipped', 'failed'); False if the lease was lost to another owner meanwhile."""
        changed = await self._db.execute(
            """UPDATE duties SET done_at = ?, outcome = ?, last_error = COALESCE(?, last_error),
                   claimed_by = NULL, claimed_until = NULL WHERE id = ? AND claimed_by = ?""",
            (iso(self._clock.now()), outcome, _clip(error), duty.id, owner))
        return changed == 1

    async def retry(self, duty: Duty, owner: str, at: datetime, error: str, *, count: bool = True) -> None:
        """Give the lease back with the time of the next attempt; `count=False` takes the attempt back too."""
        await self._db.execute(
            """UPDATE duties SET due_at = ?, last_error = ?, claimed_by = NULL, claimed_until = NULL,
                   attempts = attempts - ? WHERE id = ? AND claimed_by = ?""",
            (iso(at), _clip(error), 0 if count else 1, duty.id, owner))

    async def release(self, duty: Duty, owner: str) -> None:
        """Give the lease back untouched (the process is stopping): the attempt does not count."""
        await self._db.execute(
            """UPDATE duties SET claimed_by = NULL, claimed_until = NULL, attempts = MAX(attempts - 1, 0)
               WHERE id = ? AND claimed_by = ?""", (duty.id, owner))

    async def next_due(self, kinds: frozenset[str], platforms: frozenset[str]) -> datetime | None:
        """The earliest instant a duty of these kinds may run: its due time, or the end of its lease."""
        if not kinds or not platforms:
            return None
        row = await self._db.fetchone(
            f"""SELECT MIN(MAX(due_at, COALESCE(claimed_until, due_at))) AS at FROM duties
                WHERE done_at IS NULL AND kind IN ({", ".join("?" * len(kinds))})
                AND platform IN ({", ".join("?" * len(platforms))})""", (*sorted(kinds), *sorted(platforms)))
        return parse_iso(row["at"]) if row is not None and row["at"] else None

    async def pending(self, kind: str, scope: str) -> list[Duty]:
        rows = await self._db.fetchall(
            """SELECT id, kind, key, scope, platform, due_at, payload, attempts FROM duties
               WHERE kind = ? AND scope = ? AND done_at IS NULL ORDER BY due_at""", (kind, scope))
        return [_duty(row) for row in rows]

    async def outcome(self, kind: str, key: str) -> tuple[str | None, int, str | None] | None:
        """(outcome, attempts, last error) of one occurrence, for tests and admins."""
        row = await self._db.fetchone("SELECT outcome, attempts, last_error FROM duties WHERE kind = ? AND key = ?",
                                      (kind, key))
        return None if row is None else (row["outcome"], row["attempts"], row["last_error"])

    async def prune(self, keep: timedelta = KEEP_DONE) -> int:
        return await self._db.execute("DELETE FROM duties WHERE done_at IS NOT NULL AND done_at < ?",
                                      (iso(self._clock.now() - keep),))


def _duty(row: Row) -> Duty:
    return Duty(id=row["id"], kind=row["kind"], key=row["key"], scope=row["scope"], platform=row["platform"],
                due_at=parse_iso(row["due_at"]), payload=json.loads(row["payload"]), attempts=row["attempts"])


def _clip(error: str | None) -> str | None:
    return None if error is None else error[:MAX_ERROR]
