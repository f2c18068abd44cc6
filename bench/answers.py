"""Answers through the full command path vs. the raw driver, on SQLite and on PostgreSQL, in one run.

    python -m bench.answers [--n 5000] [--concurrency 500] [--database sqlite|postgresql|both] [--url URL]

The full path is what a button press does: Dispatcher.press → QotdService.answer → group commit → the database. The
raw baseline of each database is its own driver with one INSERT and one COMMIT per row (aiosqlite on a WAL file on
the same disk; asyncpg on the same server), which is what the full path would cost without group commit.

PostgreSQL is the server at --url, else ROUNDS_TEST_DATABASE_URL, else DATABASE_URL, else a throwaway one started from this machine's PostgreSQL
programs (testkit/postgres.py) and stopped at the end. Each run works in a scratch database it creates on that server
and drops afterwards, so nothing is written to the database the URL names. Without any server, only SQLite runs, and
the run says so. Figures vary on shared machines; compare the ratio within one run.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path

import aiosqlite
import asyncpg
from sqlalchemy import URL

from bench.servers import exit_with, measured_server, scratch_database
from commands.context import Context
from commands.dispatch import Dispatcher
from commands.registry import load_catalog
from core.bootstrap import build
from core.community.members import Member
from core.settings import Settings
from testkit.standins.latency import LatencyStats

RAW_TABLE = ("CREATE TABLE raw_answers (post_id INTEGER, member_id TEXT, choice TEXT, correct INTEGER, "
             "answered_at TEXT, PRIMARY KEY (post_id, member_id))")
AT = "2026-11-24T10:00:00"


@dataclass(frozen=True)
class Figures:
    database: str  # what was measured, as it may be printed (never a password)
    raw_driver: str
    raw: float  # rows/s, one INSERT + COMMIT each
    full: float  # answers/s through the full path
    latency: LatencyStats
    stored: int


async def raw_sqlite(path: Path, n: int) -> float:
    async with aiosqlite.connect(path) as conn:
        await conn.execute("PRAGMA journal_mode=WAL")
        await conn.execute("PRAGMA synchronous=NORMAL")
        await conn.execute(RAW_TABLE)
        await conn.commit()
        start = time.perf_counter()
        for i in range(n):
            await conn.execute("INSERT INTO raw_answers VALUES (?, ?, ?, ?, ?)", (1, f"raw:{i}", "A", 1, AT))
            await conn.commit()
        return n / (time.perf_counter() - start)


async def raw_postgres(url: URL, n: int) -> float:
    """asyncpg outside a transaction: each INSERT is its own commit."""
    conn = await asyncpg.connect(_dsn(url), timeout=10)
    try:
        await conn.execute(RAW_TABLE)
        insert = await conn.prepare("INSERT INTO raw_answers VALUES ($1, $2, $3, $4, $5)")
        start = time.perf_counter()
        for i in range(n):
            await insert.fetch(1, f"raw:{i}", "A", 1, AT)
        return n / (time.perf_counter() - start)
    finally:
        await conn.close()


async def full_path(target: str, n: int, concurrency: int) -> tuple[float, LatencyStats, int]:
    services = await build(Settings(db_path=target))
    dispatcher = Dispatcher(load_catalog())
    try:
        community = await services.communities.get("console:bench")
        post, _ = await services.qotd.today(community)
        gate = asyncio.Semaphore(concurrency)
        latencies: list[float] = []

        async def press(i: int) -> None:
            ctx = Context(services, Member(f"console:user{i}", f"user{i}"), community.id, "bench")
            async with gate:
                began = time.perf_counter()
                await dispatcher.press(ctx, f"rounds:qotd.answer:{post.id}:{'ABCDE'[i % 5]}")
                latencies.append(time.perf_counter() - began)

        start = time.perf_counter()
        await asyncio.gather(*(press(i) for i in range(n)))
        elapsed = time.perf_counter() - start
        stored = (await services.qotd.distribution(post.id)).total
        return n / elapsed, LatencyStats.from_samples(latencies), stored
    finally:
        await services.close()


async def sqlite_figures(n: int, concurrency: int) -> Figures:
    with tempfile.TemporaryDirectory(dir=Path.cwd()) as folder:
        raw = await raw_sqlite(Path(folder) / "raw.db", n)
        full, latency, stored = await full_path(str(Path(folder) / "full.db"), n, concurrency)
    return Figures(f"SQLite (a WAL file in {Path.cwd()}, synchronous=NORMAL)", "raw aiosqlite", raw, full, latency, stored)


async def postgres_figures(server: URL, scratch: URL, origin: str, n: int, concurrency: int) -> Figures:
    settings = await _server_settings(scratch)
    raw = await raw_postgres(scratch, n)
    full, latency, stored = await full_path(scratch.render_as_string(hide_password=False), n, concurrency)
    shown = server._replace(database=None).render_as_string(hide_password=True)
    return Figures(f"PostgreSQL at {shown} ({origin}; {settings})", "raw asyncpg", raw, full, latency, stored)


async def _server_settings(url: URL) -> str:
    """The settings that decide a commit's cost, printed beside the figures (a throwaway server runs fsync=off)."""
    conn = await asyncpg.connect(_dsn(url), timeout=10)
    try:
        version, fsync, synchronous = [await conn.fetchval(f"SHOW {name}")
                                       for name in ("server_version", "fsync", "synchronous_commit")]
    finally:
        await conn.close()
    return f"server {version.split()[0]}, fsync={fsync}, synchronous_commit={synchronous}"


def _dsn(url: URL) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def print_figures(figures: Figures, n: int) -> None:
    print(figures.database)
    print(f"  {figures.raw_driver + ', 1 INSERT + COMMIT:':<36}{figures.raw:,.0f} rows/s")
    print(f"  {'full path (dispatch→service→db):':<36}{figures.full:,.0f} answers/s   ({figures.stored} rows stored)")
    print(f"  {'ratio full/raw:':<36}{figures.full / figures.raw:.2f}x")
    print(f"  {'full-path press latency:':<36}{figures.latency.describe()}")
    if figures.stored != n:
        raise SystemExit(f"expected {n} stored answers, found {figures.stored}")


async def run(args: argparse.Namespace) -> int:
    with measured_server(args.url, args.database) as server:
        async with AsyncExitStack() as stack:
            if server.url is None and args.database == "postgresql":
                print(server.note, file=sys.stderr)
                return 2
            measured = server.url if args.database in ("postgresql", "both") else None
            scratch = await stack.enter_async_context(scratch_database(measured)) if measured is not None else None
            print(f"answers per path: {args.n} ({args.concurrency} members at once)")
            if server.note:
                print(f"note: {server.note}")
            if args.database in ("sqlite", "both"):
                print_figures(await sqlite_figures(args.n, args.concurrency), args.n)
            if measured is not None and scratch is not None:
                print_figures(await postgres_figures(measured, scratch, server.origin, args.n, args.concurrency),
                              args.n)
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=5000, help="answers to record on each path")
    parser.add_argument("--concurrency", type=int, default=500, help="simulated members pressing at once")
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both",
                        help="which databases to measure (default: both when a PostgreSQL server is available)")
    parser.add_argument("--url", help="a PostgreSQL server to measure (default: DATABASE_URL, else a throwaway one)")
    args = parser.parse_args()
    exit_with(run(args))


if __name__ == "__main__":
    main()
