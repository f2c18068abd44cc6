"""Inbound deliveries, recorded once: the inbox. Platforms redeliver (Slack's `X-Slack-Retry-Num`, a Socket Mode
retry, a reconnect), and a process can die between acknowledging a delivery and acting on it.

So an adapter records each delivery by a key unique to it, together with what it takes to run it later (its kind and
body), BEFORE the platform gets its acknowledgement; a repeat finds the key taken. Once the work is done the row is
marked done and its body dropped (a Slack body holds a response_url, a credential for 30 minutes). At start-up the
rows recorded but never done, the ones a crash interrupted, are handed back to be run again while the platform still
accepts a reply; older ones are given up. `claim` is the older form with nothing to run again: its row is done at once.

Several processes may share the database, so a row carries a lease: the process that recorded (or took) it is
presumed at work on it until then. A starting process takes only rows whose lease has run out, and only rows from
before it started, so it never runs what a live sibling, or it itself, is running; two that start together each take
a row once (one transaction).

Writes arriving together share one transaction (group commit), so a storm of presses costs a handful of commits.
Keys are namespaced by the adapter ('slack:T123:<trigger id>'); rows older than a day are pruned, long after any
platform stops retrying.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, func, or_, select, update

from core.clock import Clock, iso, parse_iso
from core.storage.database import Database, GroupCommit, rows
from core.storage.schema import deliveries as inbox

KEEP = timedelta(days=1)
MAX_KEY = 200
MAX_BATCH = 400  # at most five bound parameters a row: well under SQLite's 32,766 and PostgreSQL's 32,767
MAX_ATTEMPTS = 3  # a delivery that took the process down this often is not tried again
LEASE = timedelta(seconds=10)  # work on one delivery takes milliseconds, seconds in a storm
DONE, GIVEN_UP = "done", "given up"


@dataclass(frozen=True)
class Entry:
    """A delivery to record: its key, what kind of work it is, and the body the work reads (JSON text)."""

    key: str
    kind: str
    body: str


@dataclass(frozen=True)
class Unfinished:
    """A delivery recorded but never marked done: a crash came between its record and the end of its work."""

    key: str
    kind: str
    body: str
    received_at: datetime
    attempts: int


@dataclass(frozen=True)
class Replay:
    """What a look at the inbox found: the deliveries to run again now, how many were too old for that (or failed too
    often) and were given up, and when the next lease of an unfinished one runs out (None: nothing left to wait for)."""

    due: list[Unfinished]
    given_up: int
    next_at: datetime | None


class Deliveries:
    def __init__(self, db: Database, clock: Clock, lease: timedelta = LEASE) -> None:
        self._db = db
        self._clock = clock
        self._lease = lease
        self._claims: GroupCommit[str, bool] = GroupCommit(self._write_claims, max_batch=MAX_BATCH)
        self._records: GroupCommit[Entry, bool] = GroupCommit(self._write_records, max_batch=MAX_BATCH)
        self._finishes: GroupCommit[str, None] = GroupCommit(self._write_finishes, max_batch=MAX_BATCH)

    async def claim(self, key: str) -> bool:
        """True for the first claim of `key`, False for every repeat (across processes and restarts). Nothing is
        kept to run again: the caller acts at once."""
        return await self._claims.submit(key[:MAX_KEY])

    async def record(self, key: str, kind: str, body: str) -> bool:
        """Durably record a delivery before it is acknowledged: True the first time, False for every repeat. When
        this returns True the row is committed, so a crash after the ack loses nothing."""
        return await self._records.submit(Entry(key[:MAX_KEY], kind, body))

    async def finish(self, key: str) -> None:
        """The delivery's work is over (replied to, or refused): it is never run again, and its body is dropped."""
        await self._finishes.submit(key[:MAX_KEY])

    async def replay(self, window: timedelta, before: datetime, max_attempts: int = MAX_ATTEMPTS) -> Replay:
        """Take the unfinished deliveries received by `before` (this process's start) whose lease ran out, to run
        again now under a new lease, counting one more attempt; give up those older than `window` and those tried
        `max_attempts` times. One transaction, so two processes starting together never take the same one."""
        now = self._clock.now()
        mine = [inbox.c.done_at.is_(None), inbox.c.received_at <= iso(before)]
        async with self._db.transaction() as conn:
            given_up = (await conn.execute(update(inbox).where(
                *mine, or_(inbox.c.received_at < iso(now - window),
                           and_(inbox.c.attempts >= max_attempts, inbox.c.lease_until <= iso(now))))
                .values(done_at=iso(now), outcome=GIVEN_UP, body=None))).rowcount
            taken = await rows(conn, update(inbox).where(*mine, inbox.c.lease_until <= iso(now))
                               .values(attempts=inbox.c.attempts + 1, lease_until=iso(now + self._lease))
                               .returning(inbox.c.key, inbox.c.kind, inbox.c.body, inbox.c.received_at, inbox.c.attempts))
            waiting = await rows(conn, select(func.min(inbox.c.lease_until).label("at")).where(*mine))
        due = [Unfinished(r["key"], r["kind"] or "", r["body"] or "", parse_iso(r["received_at"]), r["attempts"]) for r in taken]
        next_at = next((parse_iso(r["at"]) for r in waiting if r["at"] is not None), None)
        return Replay(sorted(due, key=lambda u: (u.received_at, u.key)), given_up, next_at)

    async def prune(self, keep: timedelta = KEEP) -> int:
        """Forget deliveries older than `keep`; returns how many were dropped."""
        return await self._db.execute(delete(inbox).where(inbox.c.received_at < iso(self._clock.now() - keep)))

    # ------------------------------------------------------------------ the group-committed writes

    async def _write_claims(self, keys: list[str]) -> list[bool]:
        at = iso(self._clock.now())
        fresh = await self._insert_new([{"key": key, "received_at": at, "done_at": at, "outcome": DONE}
                                        for key in dict.fromkeys(keys)])
        return _first_wins(keys, fresh)

    async def _write_records(self, entries: list[Entry]) -> list[bool]:
        now = self._clock.now()
        at, lease_until = iso(now), iso(now + self._lease)
        first: dict[str, Entry] = {}
        for entry in entries:  # a key twice in one batch: its first body is the one kept
            first.setdefault(entry.key, entry)
        fresh = await self._insert_new([{"key": e.key, "received_at": at, "kind": e.kind, "body": e.body,
                                         "lease_until": lease_until} for e in first.values()])
        return _first_wins([entry.key for entry in entries], fresh)

    async def _insert_new(self, values: list[dict[str, str]]) -> set[str]:
        """One multi-row INSERT for the batch; RETURNING names the keys that were not there yet."""
        statement = self._db.insert(inbox).on_conflict_do_nothing(index_elements=[inbox.c.key]).returning(inbox.c.key)
        async with self._db.transaction() as conn:
            return {row["key"] for row in await rows(conn, statement, values)}

    async def _write_finishes(self, keys: list[str]) -> list[None]:
        await self._db.execute(update(inbox).where(inbox.c.key.in_(list(dict.fromkeys(keys))), inbox.c.done_at.is_(None))
                               .values(done_at=iso(self._clock.now()), outcome=DONE, body=None))
        return [None] * len(keys)


def _first_wins(keys: list[str], fresh: set[str]) -> list[bool]:
    """The same key twice in one batch: only its first submission is the fresh one."""
    results = []
    for key in keys:
        results.append(key in fresh)
        fresh.discard(key)
    return results
