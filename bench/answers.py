"""Answers through the full command path vs. raw aiosqlite, in one run on the same disk.

    python -m bench.answers [--n 5000] [--concurrency 500]

The full path is what a button press does: Dispatcher.press → QotdService.answer → SQLite (a real file, WAL).
The raw baseline is aiosqlite with one INSERT and one COMMIT per row, which is what the full path would cost
without group commit. Figures vary on shared machines; compare the ratio within one run.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

import aiosqlite

from commands.context import Context
from commands.dispatch import Dispatcher
from commands.registry import load_catalog
from core.bootstrap import build
from core.community.members import Member
from core.settings import Settings
from testkit.standins.latency import LatencyStats


async def raw_rate(path: Path, n: int) -> float:
    async with aiosqlite.connect(path) as conn:
        await conn.execute("PRAGMA journal_mode=WAL")
        await conn.execute("PRAGMA synchronous=NORMAL")
        await conn.execute("CREATE TABLE answers (post_id INTEGER, member_id TEXT, choice TEXT, correct INTEGER, "
                           "answered_at TEXT, PRIMARY KEY (post_id, member_id))")
        await conn.commit()
        start = time.perf_counter()
        for i in range(n):
            await conn.execute("INSERT INTO answers VALUES (?, ?, ?, ?, ?)", (1, f"raw:{i}", "A", 1, "2026-11-24T10:00:00"))
            await conn.commit()
        return n / (time.perf_counter() - start)


async def full_path_rate(path: Path, n: int, concurrency: int) -> tuple[float, list[float], int]:
    services = await build(Settings(db_path=str(path)))
    dispatcher = Dispatcher(load_catalog())
    try:
        community = await services.communities.get("console:bench")
        post, _ = await services.qotd.today(community)
        gate = asyncio.Semaphore(concurrency)
        latencies: list[float] = []
        counted = 0

        async def press(i: int) -> None:
            nonlocal counted
            ctx = Context(services, Member(f"console:user{i}", f"user{i}"), community.id, "bench")
            async with gate:
                began = time.perf_counter()
                reply = await dispatcher.press(ctx, f"rounds:qotd.answer:{post.id}:{'ABCDE'[i % 5]}")
                latencies.append(time.perf_counter() - began)
            counted += "already" not in reply.text and "wrong" not in reply.text.lower()

        start = time.perf_counter()
        await asyncio.gather(*(press(i) for i in range(n)))
        elapsed = time.perf_counter() - start
        stored = (await services.db.fetchone("SELECT COUNT(*) FROM answers"))[0]
        return n / elapsed, latencies, stored
    finally:
        await services.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=5000, help="answers to record on each path")
    parser.add_argument("--concurrency", type=int, default=500, help="simulated members pressing at once")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=Path.cwd()) as folder:
        raw = await raw_rate(Path(folder) / "raw.db", args.n)
        full, latencies, stored = await full_path_rate(Path(folder) / "full.db", args.n, args.concurrency)
    print(f"answers per path:                  {args.n} ({args.concurrency} members at once)")
    print(f"raw aiosqlite, 1 INSERT + COMMIT:  {raw:,.0f} rows/s")
    print(f"full path (dispatch→service→db):   {full:,.0f} answers/s   ({stored} rows stored)")
    print(f"ratio full/raw:                    {full / raw:.2f}x")
    print(f"full-path press latency:           {LatencyStats.from_samples(latencies).describe()}")
    if stored != args.n:
        raise SystemExit(f"expected {args.n} stored answers, found {stored}")


if __name__ == "__main__":
    asyncio.run(main())
