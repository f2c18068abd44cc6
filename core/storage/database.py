"""The database, SQLite or PostgreSQL, through SQLAlchemy Core's async engine (aiosqlite or asyncpg underneath).

Stores write each statement once, as SQLAlchemy Core; the engine renders it for the database it talks to. What
differs between the two lives here and only here:
- SQLite has one writer at a time. Its writes go through one connection whose transactions begin IMMEDIATE (so two
  processes on one file queue instead of failing on a lock upgrade) and are serialised in this process; reads use
  other connections, which WAL lets read while the writer writes.
- PostgreSQL takes concurrent writers; its transactions run side by side on a pool of connections, and a migration
  holds an advisory lock so that processes starting together upgrade once.
Every transaction's COMMIT or ROLLBACK runs to its end even when the caller is cancelled meanwhile, so a connection is
never left inside a transaction.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any, Generic, TypeVar
from urllib.parse import quote

from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, Executable, event, exc, make_url, pool, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from core.storage.migrations import MIGRATIONS

log = logging.getLogger(__name__)

Row = RowMapping
MAX_ROW_ID = 2**63 - 1  # the largest integer key either database stores
CONNECT_TIMEOUT = 10  # seconds: a server that does not answer is an error, never a hang
FINISH_GRACE = 10  # seconds a cancelled caller waits for its statement to end (a COMMIT sent runs on regardless)
MIGRATION_LOCK = 0x526F756E6473  # "Rounds": the advisory lock key processes upgrade under
T = TypeVar("T")
R = TypeVar("R")


class StorageError(Exception):
    """The database cannot be used at all (not a database, no such folder, no server there, made by a newer Rounds):
    the message is the one line a person needs (never a password), and every connection opened on the way is closed."""


def database_url(target: str) -> URL:
    """`postgresql://…` (or `sqlite://…`) with the async driver filled in; anything else is a SQLite file path (or
    ':memory:'). A URL that cannot be read, or names a database Rounds does not speak, is a StorageError here, before
    anything connects; the message never repeats the text given, since it may hold a password."""
    if "://" not in target:
        return URL.create("sqlite+aiosqlite", database=target)
    try:
        url = make_url(target)
    except (exc.ArgumentError, ValueError):
        raise StorageError("DATABASE_URL is not a URL Rounds can read: write it as "
                           "postgresql://USER:PASSWORD@HOST:PORT/DATABASE.") from None
    driver = {"postgresql": "postgresql+asyncpg", "postgres": "postgresql+asyncpg", "sqlite": "sqlite+aiosqlite"}
    if url.drivername.split("+")[0] not in driver:
        raise StorageError(f"DATABASE_URL names a {url.get_backend_name()} database; Rounds runs on PostgreSQL "
                           "(postgresql://…) or, with DATABASE_URL unset, on the SQLite file ROUNDS_DB.")
    return url.set(drivername=driver[url.drivername.split("+")[0]])


class Database:
    def __init__(self, target: str) -> None:
        self.url = database_url(target)
        self.dialect = self.url.get_backend_name()
        self.path = self.url.database or "" if self.dialect == "sqlite" else self.shown
        self._writer: AsyncEngine | None = None
        self._reader: AsyncEngine | None = None
        self._write_lock = asyncio.Lock() if self.dialect == "sqlite" else None
        self._inline: sqlite3.Connection | None = None  # `quick_read`'s connection, opened on first use

    @property
    def shown(self) -> str:
        """The URL as it may be printed or logged: the password hidden."""
        return self.url.render_as_string(hide_password=True)

    async def open(self) -> Database:
        """Connect and migrate; on any failure every engine is disposed and one StorageError says what is wrong."""
        try:
            if self.dialect == "sqlite":
                self._probe()
            self._writer, self._reader = self._engines()
            await self._migrate()
        except (TimeoutError, exc.SQLAlchemyError, sqlite3.Error, OSError, ValueError) as error:
            await self.close()
            raise StorageError(self._failure(error)) from None
        except BaseException:
            await self.close()
            raise
        return self

    def _failure(self, error: BaseException) -> str:
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        if isinstance(error, TimeoutError):
            reason = f"the server did not answer within {CONNECT_TIMEOUT} s"
        if self.dialect == "sqlite":
            return (f"{self.path} cannot be used as the Rounds database: {reason}. Point ROUNDS_DB at a Rounds database "
                    "file, or at a new file in a folder that exists.")
        return (f"The database at {self.shown} cannot be used: {reason}. Check DATABASE_URL and that the server is "
                "running and reachable.")

    def _probe(self) -> None:
        """Open the file once on this thread first: aiosqlite's worker thread, when its own connect fails, reports
        back to an event loop that may be gone by then, so a file that cannot be opened never reaches it."""
        probe = sqlite3.connect(self.path)
        try:
            probe.execute("PRAGMA user_version").fetchone()
        finally:
            probe.close()

    def _engines(self) -> tuple[AsyncEngine, AsyncEngine]:
        if self.dialect != "sqlite":
            # Writes and reads share the 30 connections a process had when they shared one pool.
            engine = create_async_engine(self.url, pool_size=5, max_overflow=10, pool_pre_ping=True,
                                         connect_args={"timeout": CONNECT_TIMEOUT})
            # Reads outside a transaction need no BEGIN and ROLLBACK around them, and no ping before each: a read
            # cut off by a dropped connection is asked again (`fetchall`). Three hops fewer a read.
            reader = create_async_engine(self.url, pool_size=5, max_overflow=10, isolation_level="AUTOCOMMIT",
                                         connect_args={"timeout": CONNECT_TIMEOUT})
            return engine, reader
        if self.path in ("", ":memory:"):  # private to its connection: everyone shares the one connection
            engine = _sqlite_engine(self.url, pool.StaticPool, immediate=True)
            return engine, engine
        return (_sqlite_engine(self.url, pool.AsyncAdaptedQueuePool, immediate=True, pool_size=1, max_overflow=0),
                _sqlite_engine(self.url, pool.AsyncAdaptedQueuePool, immediate=None, pool_size=4, max_overflow=4,
                               pool_reset_on_return=None))

    async def _migrate(self) -> None:
        """Every pending migration and its version bump in one transaction, under the migration lock."""
        async with self.transaction() as conn:
            if self.dialect == "postgresql":
                await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
            await conn.run_sync(self._upgrade)

    def _upgrade(self, conn: Connection) -> None:
        version = _read_version(conn)
        if version > len(MIGRATIONS):
            raise ValueError(f"it was made by a newer Rounds (schema {version}; this one knows {len(MIGRATIONS)})")
        operations = Operations(MigrationContext.configure(conn))
        for number, migration in enumerate(MIGRATIONS[version:], start=version + 1):
            migration(operations)
            _write_version(conn, number)
            log.info("database %s migrated to version %d", self.path, number)

    async def close(self) -> None:
        if self._inline is not None:
            self._inline.close()
            self._inline = None
        for engine in {id(e): e for e in (self._reader, self._writer) if e is not None}.values():
            await engine.dispose()
        self._reader = self._writer = None

    def insert(self, table: Any) -> postgresql.Insert | sqlite.Insert:
        """An INSERT that can say ON CONFLICT …: the one construct SQLAlchemy spells per dialect."""
        return (postgresql.insert if self.dialect == "postgresql" else sqlite.insert)(table)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """All or nothing: the body's statements commit together or not at all (on SQLite, no other write of this
        process interleaves). A COMMIT already sent runs to its end even when the caller is cancelled meanwhile: the
        caller learns of the cancellation only once the database is in a known state, never half-way."""
        if self._writer is None:
            raise RuntimeError("database is not open")
        async with self._serialised(), self._writer.connect() as conn:
            try:
                await _finish(conn.begin())
                yield conn
                await _finish(conn.commit())
            except BaseException:
                await asyncio.shield(_rollback(conn))
                raise

    @asynccontextmanager
    async def _serialised(self) -> AsyncIterator[None]:
        if self._write_lock is None:
            yield
            return
        async with self._write_lock:
            yield

    async def ping(self) -> bool:
        """Whether the database answers a trivial query: what a health check asks."""
        try:
            await self.fetchone(text("SELECT 1"))
        except (exc.SQLAlchemyError, sqlite3.Error, OSError, RuntimeError, ValueError):
            return False
        return True

    async def fetchall(self, statement: Executable, params: Mapping[str, Any] | None = None) -> list[Row]:
        if self._reader is None:
            raise RuntimeError("database is not open")
        try:
            async with self._reader.connect() as conn:
                return list((await conn.execute(statement, params)).mappings().all())
        except exc.DBAPIError as error:
            if not error.connection_invalidated:
                raise
        async with self._reader.connect() as conn:  # a read changes nothing: once more, on a fresh connection
            return list((await conn.execute(statement, params)).mappings().all())

    async def quick_read(self, sql: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        """A short, bounded read (a search with a LIMIT over an index) on SQLite runs right here on the event loop,
        on a read-only connection of its own: the two thread hops and the statement's compilation around a
        millisecond's work cost as much again (`python -m bench.resources`). It never waits on the loop: a read WAL
        cannot answer at once (a lock, the file busy) goes the usual way, as does every read on PostgreSQL and on a
        private in-memory database."""
        inline = self._inline_connection()
        if inline is not None:
            try:
                return [dict(row) for row in inline.execute(sql, params).fetchall()]
            except sqlite3.OperationalError as error:
                log.debug("quick read of %s went the usual way: %s", self.path, error)
        return [dict(row) for row in await self.fetchall(text(sql), params)]

    @property
    def reads_inline(self) -> bool:
        """Whether `quick_read` runs on the event loop's own thread (a SQLite file), so that reads asked for at once
        would only run one after the other anyway."""
        return self.dialect == "sqlite" and self.path not in ("", ":memory:")

    def _inline_connection(self) -> sqlite3.Connection | None:
        if self._inline is None and self._reader is not None and self.reads_inline:
            inline = sqlite3.connect(f"file:{quote(self.path)}?mode=ro", uri=True, timeout=0, check_same_thread=False,
                                     isolation_level=None)
            inline.row_factory = sqlite3.Row
            inline.execute("PRAGMA query_only=ON")
            self._inline = inline
        return self._inline

    async def fetchone(self, statement: Executable, params: Mapping[str, Any] | None = None) -> Row | None:
        rows = await self.fetchall(statement, params)
        return rows[0] if rows else None

    async def execute(self, statement: Executable, params: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None) -> int:
        """One statement (or one statement over many rows) in its own transaction; returns the rows it changed."""
        async with self.transaction() as conn:
            return (await conn.execute(statement, params)).rowcount


async def rows(conn: AsyncConnection, statement: Executable, params: Any = None) -> list[Row]:
    """What a statement returns inside a transaction, each row readable by column name."""
    return list((await conn.execute(statement, params)).mappings().all())


def _sqlite_engine(url: URL, poolclass: type[pool.Pool], *, immediate: bool | None, **options: Any) -> AsyncEngine:
    """`immediate`: writes begin IMMEDIATE (True), DEFERRED (False), or never begin at all (None: a reader whose
    every SELECT is its own snapshot, with no BEGIN and ROLLBACK hops around it)."""
    engine = create_async_engine(url, poolclass=poolclass, **options)

    @event.listens_for(engine.sync_engine, "connect")
    def configure(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # transactions begin when we say, as we say (below)
        cursor = dbapi_connection.cursor()
        for pragma in ("busy_timeout=5000", "journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    if immediate is not None:
        @event.listens_for(engine.sync_engine, "begin")
        def begin(conn: Connection) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _read_version(conn: Connection) -> int:
    if conn.dialect.name == "sqlite":
        return int(conn.exec_driver_sql("PRAGMA user_version").scalar() or 0)
    conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS rounds_schema (version INTEGER NOT NULL)")
    return int(conn.exec_driver_sql("SELECT MAX(version) FROM rounds_schema").scalar() or 0)


def _write_version(conn: Connection, number: int) -> None:
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(f"PRAGMA user_version={int(number)}")
    else:
        conn.execute(text("INSERT INTO rounds_schema (version) VALUES (:v)"), {"v": number})


async def _finish(step: Awaitable[object]) -> None:
    """Await a statement to its end even if the caller is cancelled meanwhile, then let the cancellation through.
    The wait is bounded: a step whose connection was closed under it (a shutdown closing the pool) never ends, and
    waiting for it would hang the shutdown instead."""
    task = asyncio.ensure_future(step)
    try:
        await asyncio.shield(task)
    except asyncio.CancelledError:
        await asyncio.wait({task}, timeout=FINISH_GRACE)
        raise


async def _rollback(conn: AsyncConnection) -> None:
    """Roll back whatever is open; a transaction that already ended makes it a no-op, and a connection the driver
    lost is invalidated so the pool never hands it out again."""
    try:
        await conn.rollback()
    except (exc.SQLAlchemyError, sqlite3.Error, OSError):
        await conn.invalidate()


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
