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

from sqlalchemy import text

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

    async def post(self, channel_id, reply, **once):
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
        async def post(self, channel_id, reply, **once):
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

    clock = FrozenClock(datetime(2026, 11, 24, 9, 0, 10, tzinfo=UTC))
    notifier = CollectingNotifier()
    survivor = await build(Settings(db_path=db_path), clock=clock)
    try:
        survivor.runner.serve(*bind_duties(survivor, [notifier]))
        assert await survivor.runner.run_due() == 0  # the dead process's lease has not expired yet
        clock.advance(seconds=survivor.runner.lease.total_seconds())
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


class Slow(CollectingNotifier):
    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.seconds = seconds

    async def post(self, channel_id, reply, **once):
        await asyncio.sleep(self.seconds)
        await super().post(channel_id, reply)


async def test_a_delivery_in_flight_at_shutdown_gets_its_grace_and_waiting_ones_give_their_lease_back(db_path):
    clock = FrozenClock(NINE - timedelta(hours=1))
    services = await build(Settings(db_path=db_path), clock=clock)
    for i in range(6):
        await daily_at_nine(services, f"console:g{i}", f"hall{i}")
    clock.set(NINE)
    slow = Slow(0.3)
    services.runner._slots = asyncio.Semaphore(1)  # one delivery at a time: five wait for the slot
    services.runner.serve(*bind_duties(services, [slow]))
    running = asyncio.create_task(services.runner.run_due())
    await asyncio.sleep(0.1)  # the first delivery is under way
    await services.alarm.shutdown(grace=2.0)
    await asyncio.wait({running}, timeout=2)
    leased = await services.db.fetchall(text("SELECT key FROM duties WHERE claimed_by IS NOT NULL"))
    await services.close()
    assert len(slow.posts) == 1  # the one in flight finished …
    assert leased == []  # … and the others are free to run at the next start, not after a 10-minute lease


async def test_a_hung_delivery_counts_as_a_failed_attempt_after_the_deadline(services, clock):
    clock.set(NINE - timedelta(hours=1))
    community = await daily_at_nine(services)
    services.runner.deadline = 0.2
    services.runner.serve(*bind_duties(services, [Slow(30)]))
    clock.set(NINE)
    assert await services.runner.run_due() == 1
    outcome, attempts, error = await services.duties.outcome(ANNOUNCE, f"{community.id}|2026-11-24")
    assert (outcome, attempts) == (None, 1) and "TimeoutError" in error  # retried after its backoff


async def test_a_post_the_platform_accepted_is_not_posted_again_when_recording_it_fails(services, clock, notifier):
    clock.set(NINE - timedelta(hours=1))
    community = await daily_at_nine(services)
    clock.set(NINE)

    async def locked(*args):
        raise RuntimeError("database is locked")

    services.daily.posts.mark = locked
    for _ in range(3):
        await services.runner.run_due()
        clock.advance(minutes=40)
    assert len(notifier.posts) == 1
    assert (await services.duties.outcome(ANNOUNCE, f"{community.id}|2026-11-24"))[0] == "done"


async def test_moving_the_zone_westwards_after_the_post_never_posts_yesterday(services, clock, notifier):
    clock.set(datetime(2026, 11, 24, 9, 30, tzinfo=UTC))
    community = await daily_at_nine(services)  # Tue 24 Nov 09:00 UTC has passed: posted at once
    assert await services.runner.run_due() == 1
    await services.communities.update(community, timezone="Pacific/Honolulu")  # 23:30 on Mon 23 Nov there
    assert await services.runner.run_due() == 0
    assert [d.key for d in await services.duties.pending(ANNOUNCE, community.id)] == [f"{community.id}|2026-11-25"]
    assert len(notifier.posts) == 1


async def test_a_community_that_cannot_be_planned_does_not_hold_up_the_others(services, clock):
    clock.set(NINE - timedelta(hours=1))
    for name in ("a", "b"):
        await daily_at_nine(services, f"console:{name}")
    await services.db.execute(text("UPDATE communities SET timezone = 'Mars/Olympus' WHERE id = 'console:a'"))
    await services.db.execute(text("DELETE FROM duties"))  # as on a database from before duties
    await services.daily.plan_missing(frozenset({"console"}))
    assert len(await services.duties.pending(ANNOUNCE, "console:b")) == 1


async def test_a_bot_starts_without_waiting_for_its_overdue_duties(db_path):
    clock = FrozenClock(NINE - timedelta(hours=1))
    services = await build(Settings(db_path=db_path), clock=clock)
    try:
        await daily_at_nine(services)
        clock.set(NINE)
        slow = Slow(0.5)
        await start_duties(services, [slow], catch_up=False)
        assert slow.posts == []  # start-up returned at once …
        for _ in range(100):
            if slow.posts:
                break
            await asyncio.sleep(0.02)
        assert len(slow.posts) == 1  # … and the overdue post went out in the background
    finally:
        await services.close()


async def test_duties_planned_due_now_during_a_wake_up_get_one_more_wake_up_not_one_each(db_path):
    """A sweep that plans hundreds of duties due now (sessions' occurrences) arms the alarm once, after its wake-up,
    and those duties still run without waiting for the next sweep."""
    clock = FrozenClock(NINE)
    notifier = CollectingNotifier()
    services = await build(Settings(db_path=db_path), clock=clock)
    try:
        await start_duties(services, [notifier])
        planned = asyncio.Event()

        async def plan_many() -> None:
            if not planned.is_set():
                planned.set()
                for i in range(20):
                    await daily_at_nine(services, f"console:s{i}", f"room{i}")
        services.alarm.every_sweep(plan_many)
        services.alarm.arm(clock.now())
        for _ in range(300):
            if len(notifier.posts) == 20:
                break
            await asyncio.sleep(0.02)
        assert sorted(channel for channel, _ in notifier.posts) == sorted(f"room{i}" for i in range(20))
        assert [job.id for job in services.alarm.aps.get_jobs()] == [JOB_ID]
    finally:
        await services.close()
