"""Session reminders: 10,000 sessions with 20 members going to each, all starting in the same minute, reminded
through the real discord.py client against the Discord stand-in with Discord's global rate limit enforced.

    python -m bench.sessions [--sessions 10000] [--members 20] [--communities 100] [--limit 50] [--seconds 30]
                             [--pace 0.96]

The sessions, their RSVPs and every member's reminder duty (planned by `SessionService.occurrence_plans`, as an
occurrence's start plans them) are seeded into a SQLite file; every member is a distinct Discord user in their
community's guild. The stand-in then limits the bot to `--limit` REST requests a second (Discord's global limit is
50), the clock is set to the reminders' due minute, and the bot starts: its duty runner claims the reminders and its
notifier (paced at `--pace` of the limit) opens each member's DM channel and sends into it. Measured for
`--seconds` from the first request: reminders delivered a second, requests a second against the limit (the share
must be at least 90%), and the 429s answered (must be 0). A reminder to a member whose DM channel discord.py has not
cached costs two requests (open the DM, send), so the reminders a second are the requests a second over that.
Draining all 200,000 reminders at Discord's own limit takes over two hours, so the run measures a window of the
backlog; `--sessions 500 --seconds 600` drains a small one whole. Figures vary on shared machines.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from bench.servers import exit_with
from core.bootstrap import build
from core.clock import FrozenClock, iso
from core.engine.duties import Plan
from core.sessions.model import Session
from core.sessions.service import REMIND
from core.settings import Settings
from core.storage.schema import communities, members, rsvps
from testkit.discord_harness import running_bot
from testkit.standins.discord_standin import (
    EVERYONE_PERMISSIONS,
    ChannelSpec,
    DiscordStandIn,
    GuildSpec,
    MemberSpec,
    RoleSpec,
    UserSpec,
)

STARTS = datetime(2026, 12, 8, 19, 0, tzinfo=UTC)  # every session starts at this minute
REMINDED = STARTS - timedelta(minutes=15)  # the default lead: every reminder is due now
GUILD_BASE, CHANNEL_BASE, USER_BASE = 1_300_000_000_000_000_000, 1_310_000_000_000_000_000, 1_320_000_000_000_000_000
CHUNK = 5000


def guilds(count: int, members_each: int) -> list[GuildSpec]:
    return [GuildSpec(id=GUILD_BASE + g, name=f"Study group {g}", owner_id=USER_BASE,
                      channels=[ChannelSpec(CHANNEL_BASE + g, "study-hall")],
                      roles=[RoleSpec(GUILD_BASE + g, "@everyone", EVERYONE_PERMISSIONS)],
                      members=[MemberSpec(UserSpec(user, f"img{user - USER_BASE}"))
                               for user in _users(g, members_each)])
            for g in range(count)]


def _users(guild: int, members_each: int) -> range:
    return range(USER_BASE + 1 + guild * members_each, USER_BASE + 1 + (guild + 1) * members_each)


async def seed(database: str, sessions_n: int, members: int, communities_n: int) -> int:
    """The sessions, their RSVPs and the reminders due now; returns the reminders planned."""
    clock = FrozenClock(REMINDED - timedelta(days=1))
    services = await build(Settings(db_path=database), clock=clock)
    per = sessions_n // communities_n
    try:
        await services.db.execute(insert(communities), [
            {"id": f"discord:{GUILD_BASE + g}", "name": f"Study group {g}", "timezone": "UTC",
             "created_at": iso(clock.now())} for g in range(communities_n)])
        await _rows(services, members_table_rows(communities_n, per * members))
        made: list[Session] = []
        for g in range(communities_n):
            for s in range(per):
                made.append(await services.sessions.store.add(Session(
                    f"discord:{GUILD_BASE + g}", f"discord:{USER_BASE}", str(CHANNEL_BASE + g), f"Block review {s}",
                    STARTS, STARTS.replace(tzinfo=None), "UTC", 60, next_at=STARTS, created_at=clock.now())))
        going = [{"session_id": session.id, "member_id": f"discord:{user}", "status": "going",
                  "answered_at": iso(clock.now())}
                 for n, session in enumerate(made)
                 for user in _users(n // per, per * members)[(n % per) * members:(n % per + 1) * members]]
        await _rows(services, [(rsvps, going)])
        plans: list[Plan] = []
        for session in made:
            plans += await services.sessions.occurrence_plans(session, STARTS)  # its start and end, and reminders
        for start in range(0, len(plans), CHUNK):
            await services.duties.plan(*plans[start:start + CHUNK])
        return sum(p.kind == REMIND for p in plans)
    finally:
        await services.close()


def members_table_rows(communities_n: int, members_each: int) -> list[tuple[object, list[dict[str, object]]]]:
    now = iso(REMINDED)
    return [(members, [{"id": f"discord:{user}", "display_name": f"img{user - USER_BASE}", "created_at": now}
                       for g in range(communities_n) for user in _users(g, members_each)])]


async def _rows(services: object, batches: list[tuple[object, list[dict[str, object]]]]) -> None:
    for table, values in batches:
        for start in range(0, len(values), CHUNK):
            await services.db.execute(insert(table), values[start:start + CHUNK])  # type: ignore[attr-defined]


async def measure(database: str, args: argparse.Namespace) -> int:
    per_guild = args.sessions // args.communities * args.members
    clock = FrozenClock(REMINDED)
    async with DiscordStandIn(guilds=guilds(args.communities, per_guild), clock=clock.now) as standin:
        standin.enforce_rate_limits(args.limit, channel_messages=(5, 5.0))
        with standin.patch_discord():
            async with running_bot(standin, database, clock=clock, rest_rate=args.limit * args.pace) as bot:
                began = time.monotonic()
                stats = standin.rate_stats()
                while time.monotonic() - began < args.seconds + 30 and (
                        (first := _first_reminder(standin)) is None or time.monotonic() - first < args.seconds + 1):
                    await asyncio.sleep(0.25)
                await bot.services.alarm.shutdown()  # no new reminders while the bot stops
    first = _first_reminder(standin)
    window = [t for t in stats.accepted if first is not None and first <= t <= first + args.seconds]
    sent = _reminders_sent(standin, window)
    span = (window[-1] - window[0]) if len(window) > 1 else 0.0
    rate = (len(window) - 1) / span if span else 0.0
    per_reminder = len(window) / sent if sent else 0.0
    print(f"window: {span:.1f} s from the first reminder's first request")
    print(f"reminders sent: {sent:,} ({sent / span if span else 0:.1f}/s), {per_reminder:.2f} requests each "
          "(open the DM, send)")
    print(f"requests: {len(window):,} at {rate:.1f}/s against the enforced limit of {args.limit:g}/s "
          f"= {100 * rate / args.limit:.1f}% (target: at least 90%)")
    print(f"429s: {len(stats.limited)} ({stats.global_429s} global, {stats.route_429s} per route) (target: 0)")
    return 0 if stats.limited == [] and rate >= 0.9 * args.limit else 1


def _first_reminder(standin: DiscordStandIn) -> float | None:
    """When the first reminder's first request (opening a DM) arrived: the window starts there, after the bot's
    own start-up calls (login, command sync)."""
    return next((c.received_at for c in standin.calls if c.path == "/users/@me/channels"), None)


def _reminders_sent(standin: DiscordStandIn, window: list[float]) -> int:
    """Reminders the stand-in accepted in the window: messages posted into a DM channel."""
    if not window:
        return 0
    last = window[-1]
    dm_ids = {str(c.id) for c in standin._dm_channels.values()}
    return sum(1 for call in standin.calls if call.method == "POST" and call.status == 200
               and call.path.startswith("/channels/") and call.path.endswith("/messages")
               and call.path.split("/")[2] in dm_ids and call.received_at <= last)


async def run(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="rounds-bench-sessions-") as directory:
        database = str(Path(directory) / "sessions.db")
        seeded = time.perf_counter()
        planned = await seed(database, args.sessions, args.members, args.communities)
        print(f"seeded: {args.sessions:,} sessions x {args.members} members = {planned:,} reminders due at "
              f"{REMINDED:%H:%M} UTC, in {time.perf_counter() - seeded:.1f} s")
        return await measure(database, args)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--members", type=int, default=20)
    parser.add_argument("--communities", type=int, default=100)
    parser.add_argument("--limit", type=float, default=50.0, help="the stand-in's global limit, requests a second")
    parser.add_argument("--pace", type=float, default=0.96, help="the notifier's pace, as a share of the limit")
    parser.add_argument("--seconds", type=float, default=30.0, help="how long to measure")
    args = parser.parse_args()
    if args.sessions % args.communities:
        parser.error("--sessions must be a multiple of --communities")
    exit_with(run(args))


if __name__ == "__main__":
    main()
