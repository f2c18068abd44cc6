"""SQLite through aiosqlite: one writer connection whose transactions are serialised, one reader (WAL lets it read
while the writer writes), and migrations applied at open.

Every await on aiosqlite is a hop to its thread, which costs more than the disk on these machines, so reads use
`execute_fetchall` (one hop) and many small writes are folded into one transaction by `GroupCommit`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from typing import Any, Generic, TypeVar

import aiosqlite

from core.storage.migrations import MIGRATIONS

log = logging.getLogger(__name__)

Row = sqlite3.Row
MAX_ROW_ID = 2**63 - 1  # the largest integer key either database stores
T = TypeVar("T")
R = TypeVar("R")


class StorageError(Exception):
    """The database cannot be used at all (not a database, no such folder, made by a newer Rounds): the message is
    the one line a person needs, and every connection opened on the way has been closed again."""


class Database:
    def __init__(self, path: str) -> None:
        self.path = path
        self._writer: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        self._write_lock = asyncio.Lock()

    async def open(self) -> Database:
        """Connect and migrate; on any failure the worker threads are stopped (an open aiosqlite thread keeps the
        process alive forever) and one StorageError says what is wrong."""
        try:
            self._probe()
            self._writer = await self._connect()
            await self._writer.execute("PRAGMA journal_mode=WAL")
            await self._migrate(self._writer)
            # An in-memory database is private to its connection, so it has to read through the writer.
            self._reader = self._writer if self.path == ":memory:" else await self._connect()
        except (sqlite3.Error, OSError, ValueError) as error:
            await self.close()
            raise StorageError(f"{self.path} cannot be used as the Rounds database: {error}. Point ROUNDS_DB at a "
                               "Rounds database file, or at a new file in a folder that exists.") from None
        except BaseException:
            await self.close()
            raise
        return self

    def _probe(self) -> None:
        """Open the file once on this thread first: aiosqlite's worker thread, when its own connect fails, reports
        back to an event loop that may be gone by then, so a file that cannot be opened never reaches it."""
        probe = sqlite3.connect(self.path)
        try:
            probe.execute("PRAGMA user_version").fetchone()
        finally:
            probe.close()

    async def _connect(self) -> aiosqlite.Connection:
        conn = await aiosqlite.connect(self.path, isolation_level=None)
        try:
            conn.row_factory = sqlite3.Row
            await conn.executescript("PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=5000;")
        except BaseException:
            await conn.close()
            raise
        return conn

    async def _migrate(self, conn: aiosqlite.Connection) -> None:
        row = await (await conn.execute("PRAGMA user_version")).fetchone()
        version = int(row[0]) if row is not None else 0
        if version > len(MIGRATIONS):
            raise ValueError(f"it was made by a newer Rounds (schema {version}; this one knows {len(MIGRATIONS)})")
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            # executescript commits first, so the script and its version bump are wrapped explicitly.
            try:
                await conn.executescript(f"BEGIN IMMEDIATE; {script}; PRAGMA user_version={number}; COMMIT;")
            except sqlite3.Error:
                if conn.in_transaction:
                    await conn.execute("ROLLBACK")
                raise
            log.info("database %s migrated to version %d", self.path, number)

    async def close(self) -> None:
        if self._reader is not None and self._reader is not self._writer:
            await self._reader.close()
        if self._writer is not None:
            await self._writer.close()
        self._reader = self._writer = None

    @property
    def writer(self) -> aiosqlite.Connection:
        if self._writer is None:
            raise RuntimeError("database is not open")
        return self._writer

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """All or nothing: the body's statements commit together or not at all, and no other write interleaves.

        A cancelled caller or a failed COMMIT must not leave the shared writer inside a transaction (every later
        write would fail), so the rollback runs shielded whatever interrupted us, BEGIN included. A COMMIT already
        sent to SQLite's thread runs to its end even when the caller is cancelled meanwhile: the caller learns of the
        cancellation only once the database is in a known state (committed), never half-way."""
        async with self._write_lock:
            conn = self.writer
            try:
                await _finish(conn.execute("BEGIN IMMEDIATE"))
                yield conn
                await _finish(conn.execute("COMMIT"))
            except BaseException:
                await asyncio.shield(self._rollback(conn))
                raise

    @staticmethod
    async def _rollback(conn: aiosqlite.Connection) -> None:
        """Roll back whatever is open. The ROLLBACK queues behind any statement still running on SQLite's thread,
        so it is sent whatever `in_transaction` says now; a transaction that already ended (its COMMIT ran) makes it
        a harmless "no transaction is active"."""
        with contextlib.suppress(sqlite3.OperationalError):
            await conn.execute("ROLLBACK")

    async def ping(self) -> bool:
        """Whether the database answers a trivial query: what a health check asks."""
        try:
            await self.fetchone("SELECT 1")
        except (sqlite3.Error, RuntimeError, ValueError):
            return False
        return True

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        if self._reader is None:
            raise RuntimeError("database is not open")
        return list(await self._reader.execute_fetchall(sql, params))

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """One statement in its own transaction; returns the number of rows it changed."""
        async with self.transaction() as conn:
            cursor = await conn.execute(sql, params)
            return cursor.rowcount

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        async with self.transaction() as conn:
            await conn.executemany(sql, rows)


async def _finish(step: Awaitable[object]) -> None:
    """Await a statement to its end even if the caller is cancelled meanwhile, then let the cancellation through."""
    task = asyncio.ensure_future(step)
    try:
        await asyncio.shield(task)
    except asyncio.CancelledError:
        await asyncio.wait({task})
        raise


class GroupCommit(Generic[T, R]):
    """Folds writes that arrive while a transaction is in flight into the next one (group commit).

    One caller waits for one commit; a thousand concurrent callers share a handful. `flush` receives the batch in
    arrival order and returns one result per item; if it raises, every caller in that batch sees the error and
    nothing of the batch was written.
    """

    def __init__(self, flush: Callable[[list[T]], Awaitable[list[R]]], max_batch: int = 500) -> None:
        self._flush = flush
        self._max_batch = max_batch
        self._pending: list[tuple[T, asyncio.Future[R]]] = []
        self._worker: asyncio.Task[None] | None = None

    async def submit(self, item: T) -> R:
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        if self._worker is None:
            self._worker = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        try:
            while self._pending:
                batch, self._pending = self._pending[: self._max_batch], self._pending[self._max_batch :]
                try:
                    results = await self._flush([item for item, _ in batch])
                except Exception as error:  # every waiter of the batch learns of the failure; the worker goes on
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(error)
                    continue
                except BaseException:  # cancelled (shutting down): nobody will flush what is left
                    for _, future in batch + self._pending:
                        future.cancel()
                    self._pending = []
                    raise
                for (_, future), result in zip(batch, results, strict=True):
                    if not future.done():
                        future.set_result(result)
        finally:
            self._worker = None
