"""Fan-out: 1,000 daily posts due at the same moment, across three `rounds discord` processes on one PostgreSQL.

    python -m bench.fanout [--communities 1000] [--processes 3] [--hold 0.2] [--database-url postgresql://…]

Each run starts the processes against the Discord stand-in (testkit/standins/discord_standin.py) on a fresh database
whose communities all post at 09:00 on the processes' shared timeline, a few seconds after they start. The first run
lets them work; the second SIGKILLs one of them once a third of the posts are recorded, choosing the one with the
most posts that Discord accepted and has not yet answered (each answer is held `--hold` seconds on its way back, as
a slow network would), so its retries are the ones that would post twice. Printed for each: posts/s (from 09:00
until the last post was created), how the processes shared the posts, and the duplicates, which must be 0 (a
community posted twice, or never). Without --database-url a throwaway PostgreSQL server is started and removed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from core.storage.database import Database
from testkit.discord_fleet import bot_env, fleet, guilds, holder_pid, posted, prepare, unanswered, watch
from testkit.postgres import start as start_postgres
from testkit.standins.discord_standin import DiscordStandIn

LEAD = 8.0  # seconds from starting the processes to 09:00 on their timeline


@contextlib.contextmanager
def databases(url: str | None) -> Iterator[list[str]]:
    """Two fresh databases (one a run): on the server given, else on a throwaway one."""
    if url:
        yield [url.rsplit("/", 1)[0] + f"/{name}" for name in _created(url, 2)]
        return
    directory = Path(tempfile.mkdtemp(prefix="rounds-fanout-"))  # not 0700: the server's own user reads it
    try:
        cluster = start_postgres(directory)
        try:
            yield [cluster.create_database(f"fanout_{n}") for n in range(2)]
        finally:
            cluster.stop()
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _created(url: str, count: int) -> list[str]:
    import asyncpg  # only for a server of the caller's own

    async def create() -> list[str]:
        names = [f"rounds_fanout_{int(time.time())}_{n}" for n in range(count)]
        conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
        try:
            for name in names:
                await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        return names

    return asyncio.run(create())


async def run(database: str, communities: int, processes: int, *, kill: bool, hold: float) -> None:
    await prepare(database, communities)
    db = await Database(database).open()
    shares: dict[int, set[str]] = {}
    killed: dict[str, int] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="rounds-fanout-logs-") as logs:
            async with DiscordStandIn(guilds=guilds(communities)) as standin:
                if hold:
                    standin.hold_answers("/channels/", hold, method="POST", times=10 * communities)
                env = bot_env(standin, database, LEAD)
                nine = time.monotonic() + LEAD  # when the shared timeline reaches 09:00
                async with fleet(standin, env, processes, Path(logs), timeout=60) as bots:

                    def look(rows: list[dict[str, object]]) -> None:
                        for row in rows:
                            pid = holder_pid(row["claimed_by"])
                            if pid is not None:
                                shares.setdefault(pid, set()).add(str(row["scope"]))
                        if not kill or killed or 3 * sum(r["done_at"] is not None for r in rows) < communities:
                            return
                        victim = next((pid for pid, n in unanswered(rows, standin).most_common(1) if n), None)
                        process = bots.by_pid(victim) if victim is not None else None
                        if process is not None and process.returncode is None:
                            process.kill()
                            killed.update(pid=process.pid, at=int(time.monotonic() - nine),
                                          done=sum(r["done_at"] is not None for r in rows))

                    rows = await watch(db, LEAD + 180, look, interval=0.05)
                creates = [c for c in standin.calls if c.method == "POST" and c.path.endswith("/messages")
                           and c.status == 200]
                counts = posted(standin, communities)
                repeats = len(standin.nonce_repeats)
    finally:
        await db.close()
    took = max(c.received_at for c in creates) - nine
    twice = sum(1 for n in counts.values() if n > 1)
    never = sum(1 for n in counts.values() if n == 0)
    outcomes = {o: sum(1 for r in rows if r["outcome"] == o) for o in sorted({str(r["outcome"]) for r in rows})}
    title = "with one process SIGKILLed mid-run" if kill else "all processes running"
    print(f"{communities} posts due at 09:00, {processes} processes, {title}:")
    print(f"  {communities / took:.0f} posts/s ({took:.2f} s from 09:00 to the last post created)")
    print(f"  leased by process: {sorted(len(s) for s in shares.values())} (a post retried elsewhere counts twice)")
    if kill:
        print(f"  killed pid {killed.get('pid')} {killed.get('at')} s after 09:00 with {killed.get('done')} posts "
              f"recorded; retries answered by Discord with the message already there (nonce): {repeats}")
    print(f"  duty outcomes: {outcomes}")
    print(f"  duplicates: {twice + never} ({twice} posted twice, {never} never)")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--communities", type=int, default=1000)
    parser.add_argument("--processes", type=int, default=3)
    parser.add_argument("--hold", type=float, default=0.2,
                        help="seconds each post's answer is held in the SIGKILL run (default 0.2)")
    parser.add_argument("--database-url", help="a PostgreSQL server of your own (databases are created on it)")
    args = parser.parse_args()
    with databases(args.database_url) as (plain, with_kill):
        asyncio.run(run(plain, args.communities, args.processes, kill=False, hold=0.0))
        asyncio.run(run(with_kill, args.communities, args.processes, kill=True, hold=args.hold))


if __name__ == "__main__":
    main()
