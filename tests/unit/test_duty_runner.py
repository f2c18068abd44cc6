"""The duty runner: retries with backoff, gives up, leases that outlive a killed process, and one alarm job for
every community."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

from commands.notifier import CollectingNotifier
from commands.runtime import bind_duties, start_duties
from core.bootstrap import build
from core.clock import FrozenClock
from core.engine.alarm import JOB_ID
from core.engine.duties import Plan
from core.engine.errors import Undeliverable
from core.engine.runner import MAX_ATTEMPTS, backoff
from core.qotd.daily import ANNOUNCE
from core.settings import Settings

UTC = UTC
NINE = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[2]


async def daily_at_nine(services, community_id: str = "console:runner", channel: str = "hall"):
    community = await services.communities.get(community_id)
    return await services.communities.update(community, channel_id=channel, post_time=time(9, 0))


class Failing(CollectingNotifier):
    def __init__(self, error: Exception, platform: str = "console") -> None:
        super().__init__(platform)
        self.error = error
        self.calls = 0

    async def post(self, channel_id, reply):
        self.calls += 1
        raise self.error


async def test_a_failed_delivery_is_retried_with_backoff_then_given_up(services, clock):
    clock.set(NINE - timedelta(hours=1))
    community = await daily_at_nine(services)
    key = f"{community.id}|2026-11-24"
    down = Failing(ConnectionError("platform unreachable"))
    services.runner.serve(*bind_duties(services, [down]))
    clock.set(NINE)
    for attempt in range(1, MAX_ATTEMPTS + 1):
        assert await services.runner.run_due() == 1
        outcome, attempts, error = await services.duties.outcome(ANNOUNCE, key)
        assert attempts == attempt and "platform unreachable" in error
        if attempt < MAX_ATTEMPTS:
            assert outcome is None
            assert await services.runner.run_due() == 0  # not before its backoff
            clock.advance(seconds=backoff(attempt).total_seconds())
    assert outcome == "failed" and down.calls == MAX_ATTEMPTS
    clock.advance(hours=3)
    assert await services.runner.run_due() == 0  # given up: never again …
    tomorrow = await services.duties.pending(ANNOUNCE, community.id)
    assert [d.key for d in tomorrow] == [f"{community.id}|2026-11-25"]  # … but tomorrow's post still comes


async def test_a_channel_the_bot_was_removed_from_is_given_up_at_once(services, clock):
    clock.set(NINE - timedelta(hours=1))
    community = await daily_at_nine(services)
    removed = Failing(Undeliverable("Missing Access (50001)"))
    services.runner.serve(*bind_duties(services, [removed]))
    clock.set(NINE)
    await services.runner.run_due()
    clock.advance(hours=2)
    await services.runner.run_due()
    outcome, attempts, error = await services.duties.outcome(ANNOUNCE, f"{community.id}|2026-11-24")
    assert (outcome, attempts, removed.calls) == ("failed", 1, 1)
    assert "50001" in error


async def test_a_lease_held_by_a_dead_process_expires_and_the_duty_runs_once(services, clock, notifier):
    clock.set(NINE - timedelta(hours=1))
    community = await daily_at_nine(services)
    clock.set(NINE)
    taken = await services.duties.claim("dead-process", frozenset({ANNOUNCE}), frozenset({"console"}),
                                        services.runner.lease, 10)
    assert [d.scope for d in taken] == [community.id]  # … and that process is never heard of again
    assert await services.runner.run_due() == 0  # the lease holds
    clock.advance(seconds=services.runner.lease.total_seconds())
    assert await services.runner.run_due() == 1
    assert await services.runner.run_due() == 0
    assert len(notifier.posts) == 1


KILLED_MID_POST = textwrap.dedent("""
    import asyncio, sys
    from datetime import datetime, time, timezone
    from commands.notifier import CollectingNotifier
    from commands.runtime import bind_duties
    from core.bootstrap import build
    from core.clock import FrozenClock
    from core.settings import Settings

    class Stuck(CollectingNotifier):
        async def post(self, channel_id, reply):
            print("delivering", flush=True)
            await asyncio.sleep(60)

    async def main():
        clock = FrozenClock(datetime(2026, 11, 24, 8, 0, tzinfo=timezone.utc))
        services = await build(Settings(db_path=sys.argv[1]), clock=clock)
        community = await services.communities.get("console:killed")
        await services.communities.update(community, channel_id="hall", post_time=time(9, 0))
        clock.set(datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc))
        services.runner.serve(*bind_duties(services, [Stuck()]))
        await services.runner.run_due()

    asyncio.run(main())
""")


async def test_a_process_killed_mid_post_leaves_the_day_to_another_process(db_path):
    child = subprocess.Popen([sys.executable, "-c", KILLED_MID_POST, db_path], cwd=ROOT, stdout=subprocess.PIPE,
                             env={**os.environ, "PYTHONPATH": str(ROOT)}, text=True)
    try:
        line = await asyncio.wait_for(asyncio.to_thread(child.stdout.readline), timeout=30)
        assert line.strip() == "delivering"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
        child.stdout.close()

    clock = FrozenClock(datetime(2026, 11, 24, 9, 5, tzinfo=UTC))
    notifier = CollectingNotifier()
    survivor = await build(Settings(db_path=db_path), clock=clock)
    try:
        survivor.runner.serve(*bind_duties(survivor, [notifier]))
        assert await survivor.runner.run_due() == 0  # the dead process's lease has not expired yet
        clock.advance(minutes=10)
        assert await survivor.runner.run_due() == 1
        outcome, attempts, _ = await survivor.duties.outcome(ANNOUNCE, "console:killed|2026-11-24")
    finally:
        await survivor.close()
    assert [channel for channel, _ in notifier.posts] == ["hall"]
    assert (outcome, attempts) == ("done", 2)


async def test_a_process_runs_only_the_duties_of_its_own_platforms(db_path, clock):
    clock.set(NINE - timedelta(hours=1))
    console_side, discord_side = CollectingNotifier("console"), CollectingNotifier("discord")
    setup = await build(Settings(db_path=db_path), clock=clock)
    await daily_at_nine(setup, "console:group", "general")
    await daily_at_nine(setup, "discord:1234", "5678")
    await setup.close()
    clock.set(NINE)

    console = await build(Settings(db_path=db_path), clock=clock)
    discord = await build(Settings(db_path=db_path), clock=clock)
    try:
        console.runner.serve(*bind_duties(console, [console_side]))
        discord.runner.serve(*bind_duties(discord, [discord_side]))
        assert await console.runner.run_due() == 1  # the console's own community, not the Discord one
        assert await discord.runner.run_due() == 1
        assert await console.runner.run_due() == await discord.runner.run_due() == 0
    finally:
        await console.close()
        await discord.close()
    assert [channel for channel, _ in console_side.posts] == ["general"]
    assert [channel for channel, _ in discord_side.posts] == ["5678"]


async def test_a_process_that_serves_no_platform_takes_no_post(db_path, clock):
    """A tool (a content import, a settings change from another process) plans duties but never runs them."""
    clock.set(NINE)
    tool = await build(Settings(db_path=db_path), clock=clock)
    try:
        await daily_at_nine(tool, "discord:1234", "5678")
        assert await tool.runner.run_due() == 0
        assert len(await tool.duties.pending(ANNOUNCE, "discord:1234")) == 1
    finally:
        await tool.close()


async def test_one_alarm_job_wakes_the_runner_whatever_the_number_of_communities(db_path):
    clock = FrozenClock(NINE - timedelta(hours=1))
    notifier = CollectingNotifier()
    services = await build(Settings(db_path=db_path), clock=clock)
    try:
        for i in range(30):
            await daily_at_nine(services, f"console:c{i}", f"hall{i}")
        await start_duties(services, [notifier])
        assert [job.id for job in services.alarm.aps.get_jobs()] == [JOB_ID]
        assert notifier.posts == []  # 08:00: nothing is due
        clock.set(NINE)
        await services.duties.plan(Plan("qotd.announce", "console:c0|2026-11-24", "console:c0", NINE,
                                        {"date": "2026-11-24"}))  # a plan due now wakes the real scheduler
        for _ in range(200):
            if len(notifier.posts) == 30:
                break
            await asyncio.sleep(0.02)
        assert sorted(channel for channel, _ in notifier.posts) == sorted(f"hall{i}" for i in range(30))
        assert [job.id for job in services.alarm.aps.get_jobs()] == [JOB_ID]
    finally:
        await services.close()
