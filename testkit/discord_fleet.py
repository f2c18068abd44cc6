"""Several `rounds discord` processes on one database, for the many-processes test and the fan-out benchmark.

One stand-in of Discord serves every process (the same bot token, as several processes of one bot have), with one
guild and one text channel per community. The communities' posting times coincide, and every process runs on one
shared timeline (ROUNDS_CLOCK_START with ROUNDS_CLOCK_EPOCH) that reaches that time a few seconds after they start,
so all of them wake for the same posts at the same moment. The database tells which process holds which duty: a
runner's lease owner is `host:pid:…`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO

from sqlalchemy import func, select

from core.bootstrap import build
from core.clock import FrozenClock, shifted_environment
from core.qotd.daily import ANNOUNCE
from core.settings import Settings
from core.storage.database import Database
from core.storage.schema import duties
from testkit.standins.discord_standin import (
    ADMIN_USER_ID,
    EVERYONE_PERMISSIONS,
    ChannelSpec,
    DiscordStandIn,
    GuildSpec,
    RoleSpec,
)

ROOT = Path(__file__).resolve().parents[1]
NINE = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # every community posts at 09:00 UTC (the default) on this day
FIRST_GUILD = 1300000000000000000


def guild_id(n: int) -> int:
    return FIRST_GUILD + 10 * n


def channel_id(n: int) -> int:
    return guild_id(n) + 1


def community_ids(count: int) -> list[str]:
    return [f"discord:{guild_id(n)}" for n in range(count)]


def guilds(count: int) -> list[GuildSpec]:
    """One small guild a community: an @everyone role and the channel its daily post goes to."""
    return [GuildSpec(id=guild_id(n), name=f"Study group {n}", owner_id=ADMIN_USER_ID,
                      channels=[ChannelSpec(channel_id(n), "qotd", 0, 0)],
                      roles=[RoleSpec(guild_id(n), "@everyone", EVERYONE_PERMISSIONS, 0)], members=[])
            for n in range(count)]


async def prepare(database: str, count: int) -> None:
    """The communities, each with its channel, their posts planned for 09:00 (set up an hour before)."""
    services = await build(Settings(db_path=database), clock=FrozenClock(NINE - timedelta(hours=1)))
    try:
        for n, community_id in enumerate(community_ids(count)):
            community = await services.communities.get(community_id, f"Study group {n}")
            await services.communities.update(community, channel_id=str(channel_id(n)))
    finally:
        await services.close()


def bot_env(standin: DiscordStandIn, database: str, lead: float) -> dict[str, str]:
    """What every process gets: the stand-in, the database, and one timeline that reaches 09:00 in `lead` seconds."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "ROUNDS_"))}
    env.update(DISCORD_TOKEN=standin.token or "", DISCORD_API_BASE_URL=standin.rest_base,
               DISCORD_GATEWAY_URL=standin.gateway_url, DISCORD_SYNC="off", DATABASE_URL=database,
               PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1", **shifted_environment(NINE - timedelta(seconds=lead)))
    return env


@dataclass
class Fleet:
    """The running processes and where each one's stderr goes."""

    processes: list[asyncio.subprocess.Process] = field(default_factory=list)
    logs: list[Path] = field(default_factory=list)

    def by_pid(self, pid: int) -> asyncio.subprocess.Process | None:
        return next((p for p in self.processes if p.pid == pid), None)

    def log(self, process: asyncio.subprocess.Process) -> str:
        return self.logs[self.processes.index(process)].read_text(errors="replace")


@contextlib.asynccontextmanager
async def fleet(standin: DiscordStandIn, env: dict[str, str], count: int, logs: Path,
                timeout: float = 30.0) -> AsyncIterator[Fleet]:
    """`count` processes of `rounds discord`, once every one is connected; all stopped at the end (SIGTERM, then
    SIGKILL for any that does not stop)."""
    running = Fleet()
    files: list[IO[bytes]] = []
    try:
        for n in range(count):
            path = logs / f"bot{n}.log"
            files.append(path.open("wb"))
            running.logs.append(path)
            running.processes.append(await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bots.cli", "discord", cwd=ROOT, env=env, stdout=asyncio.subprocess.DEVNULL,
                stderr=files[-1]))
        await until(lambda: len(standin.connected_sessions()) >= count, timeout, "every process connected")
        yield running
    finally:
        for process in running.processes:
            if process.returncode is None:
                process.terminate()
        for process in running.processes:
            try:
                await asyncio.wait_for(process.wait(), timeout=10)
            except TimeoutError:
                process.kill()
                await process.wait()
        for file in files:
            file.close()


async def until(condition: Callable[[], bool], timeout: float, what: str) -> float:
    began = time.monotonic()
    while not condition():
        if time.monotonic() - began > timeout:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        await asyncio.sleep(0.05)
    return time.monotonic() - began


def posted(standin: DiscordStandIn, count: int) -> Counter[int]:
    """Daily questions in each community's channel (a community with none is counted as 0); beside them a channel
    may hold the admins' notice that the bot may not open the question's thread."""
    return Counter({n: sum("Question of the day" in str(m.get("embeds")) for m in standin.channel_messages(channel_id(n)))
                    for n in range(count)})


async def today(db: Database) -> list[dict[str, object]]:
    """Today's announce duties: who holds each (owner), whether it is done, and its attempts."""
    found = await db.fetchall(select(duties.c.scope, duties.c.claimed_by, duties.c.done_at, duties.c.outcome,
                                     duties.c.attempts).where(duties.c.kind == ANNOUNCE,
                                                              duties.c.key.like(f"%|{NINE.date().isoformat()}")))
    return [dict(row) for row in found]


async def done_count(db: Database) -> int:
    row = await db.fetchone(select(func.count().label("n")).where(
        duties.c.kind == ANNOUNCE, duties.c.key.like(f"%|{NINE.date().isoformat()}"), duties.c.done_at.is_not(None)))
    return int(row["n"]) if row is not None else 0


def holder_pid(owner: object) -> int | None:
    """The pid in a runner's lease owner (`host:pid:random`)."""
    parts = str(owner or "").split(":")
    return int(parts[-2]) if len(parts) >= 3 and parts[-2].isdigit() else None


def unanswered(rows: list[dict[str, object]], standin: DiscordStandIn) -> Counter[int]:
    """For each process (pid), the duties it holds whose message Discord created but whose answer is still on its
    way back (held by the stand-in): what it would post a second time if it died now and nothing stopped the retry."""
    held = {call.path for call in standin.held if call.method == "POST" and call.status == 200
            and "Question of the day" in str(call.json)}  # the question itself, not a notice after it
    channel_of = {community: channel_id(n) for n, community in enumerate(community_ids(len(standin.guilds)))}
    return Counter(pid for row in rows if row["done_at"] is None and (pid := holder_pid(row["claimed_by"]))
                   and f"/channels/{channel_of[str(row['scope'])]}/messages" in held)



async def watch(db: Database, timeout: float, each: Callable[[list[dict[str, object]]], None] | None = None,
                interval: float = 0.1) -> list[dict[str, object]]:
    """Today's duties, read again and again (each reading shown to `each`) until every one is done."""
    began = time.monotonic()
    while True:
        rows = await today(db)
        if each is not None:
            each(rows)
        if rows and all(row["done_at"] is not None for row in rows):
            return rows
        if time.monotonic() - began > timeout:
            raise TimeoutError(f"{sum(row['done_at'] is None for row in rows)} of {len(rows)} posts not done after "
                               f"{timeout:.0f} s")
        await asyncio.sleep(interval)
