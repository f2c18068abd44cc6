"""Start-up with many communities, and one busy minute, through the real duty runner and store.

    python -m bench.startup [--communities 70000] [--minute 10000]

1. Seeds a database with N communities that have a channel and a planned daily post (the posts are planned through
   `DutyStore.plan`, as settings changes plan them; the community rows themselves are written in bulk by this script,
   one executemany INSERT through the database layer).
2. Starts a fresh process on it that serves those communities' platform: `build` + `start_duties` (the catch-up
   sweep, then the alarm armed for the next due instant), and prints the time to ready and its resident memory.
3. On a database of M such communities, plans their M posts (again) for one minute, then claims all of them as the runner does at that minute (leases taken in
   batches), and runs them through the real handlers with a notifier that accepts at once.

Figures vary on shared machines; quote them from one run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, update

from commands.notifier import CollectingNotifier
from commands.runtime import bind_duties, start_duties
from core.bootstrap import build
from core.clock import FrozenClock
from core.community.model import Community
from core.engine.duties import Plan
from core.qotd.daily import ANNOUNCE
from core.settings import Settings
from core.storage.schema import communities, duties

PLATFORM = "discord"
BEFORE_NINE = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)  # nothing is due yet at start-up
NINE = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
DAY = date(2026, 11, 24)


def community_id(i: int) -> str:
    return f"{PLATFORM}:{100_000_000 + i}"


async def seed(path: Path, n: int) -> float:
    """N communities with a channel, each with today's 09:00 post planned; returns seconds taken."""
    start = time.perf_counter()
    services = await build(Settings(db_path=str(path)), clock=FrozenClock(BEFORE_NINE))
    try:
        await services.db.execute(insert(communities), [
            {"id": community_id(i), "name": f"server {i}", "channel_id": str(500_000 + i),
             "created_at": BEFORE_NINE.isoformat()} for i in range(n)])
        plans = [Plan(ANNOUNCE, f"{community_id(i)}|{DAY}", community_id(i), Community(community_id(i)).scheduled_at(DAY),
                      {"date": DAY.isoformat()}) for i in range(n)]
        for offset in range(0, n, 5000):
            await services.duties.plan(*plans[offset:offset + 5000])
    finally:
        await services.close()
    return time.perf_counter() - start


async def start_once(path: str) -> dict[str, float]:
    """What a restarted bot process does before it is ready: measured inside that process."""
    began = time.perf_counter()
    services = await build(Settings(db_path=path), clock=FrozenClock(BEFORE_NINE))
    await start_duties(services, [CollectingNotifier(PLATFORM)])
    ready = time.perf_counter() - began
    jobs = len(services.alarm.aps.get_jobs())
    await services.close()
    return {"ready_s": ready, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "jobs": jobs}


async def busy_minute(path: Path, m: int) -> dict[str, float]:
    clock = FrozenClock(NINE - timedelta(minutes=5))
    services = await build(Settings(db_path=str(path)), clock=clock)
    notifier = CollectingNotifier(PLATFORM)
    try:
        plans = [Plan(ANNOUNCE, f"{community_id(i)}|{DAY}", community_id(i), NINE, {"date": DAY.isoformat()})
                 for i in range(m)]
        began = time.perf_counter()
        await services.duties.plan(*plans)
        planned = time.perf_counter() - began
        clock.set(NINE)
        kinds, platforms = frozenset({ANNOUNCE}), frozenset({PLATFORM})
        began = time.perf_counter()
        claimed = 0
        while batch := await services.duties.claim("bench", kinds, platforms, timedelta(minutes=10), 500):
            claimed += len(batch)
        claim_s = time.perf_counter() - began
        await services.db.execute(update(duties).values(claimed_by=None, claimed_until=None))  # give them back
        services.runner.serve(*bind_duties(services, [notifier]))
        began = time.perf_counter()
        ran = await services.runner.run_due()
        run_s = time.perf_counter() - began
    finally:
        await services.close()
    return {"plan_s": planned, "claimed": claimed, "claim_s": claim_s, "ran": ran, "posted": len(notifier.posts),
            "run_s": run_s}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--communities", type=int, default=70_000)
    parser.add_argument("--minute", type=int, default=10_000, help="posts due in the one busy minute")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(asyncio.run(start_once(args.child))))
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "startup.db"
        seeded = asyncio.run(seed(path, args.communities))
        print(f"seeded {args.communities:,} communities with a channel and a planned post in {seeded:.1f} s")
        out = subprocess.run([sys.executable, "-m", "bench.startup", "--child", str(path)], check=True,
                             capture_output=True, text=True).stdout
        child = json.loads(out.strip().splitlines()[-1])
        print(f"start-up to ready: {child['ready_s']:.2f} s, resident memory {child['rss_mb']:.0f} MB, "
              f"APScheduler jobs {child['jobs']:.0f}")
        asyncio.run(seed(Path(tmp) / "minute.db", args.minute))
        minute = asyncio.run(busy_minute(Path(tmp) / "minute.db", args.minute))
        print(f"one minute holding {args.minute:,} posts: planned in {minute['plan_s']:.2f} s, "
              f"claimed {minute['claimed']:,} in {minute['claim_s']:.2f} s, "
              f"ran {minute['ran']:,} ({minute['posted']:,} posted) in {minute['run_s']:.1f} s "
              f"({minute['ran'] / minute['run_s']:.0f} a second)")


if __name__ == "__main__":
    main()
