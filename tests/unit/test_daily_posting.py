"""Daily posting: exactly once per community per local date, across DST nights and restarts.

The fire times come from APScheduler's own CronTrigger, so a trigger that fires twice on a DST night is exercised;
the claim in the database is what keeps the post single.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from apscheduler.triggers.cron import CronTrigger

from core.bootstrap import build
from core.clock import FrozenClock
from core.notifier import CollectingNotifier
from core.settings import Settings

UTC = timezone.utc


async def configure(services, zone: str, at: time, community_id: str = "console:dst"):
    community = await services.communities.get(community_id)
    return await services.communities.update(community, channel_id="study-hall", timezone=zone, post_time=at)


def fire_times(zone: str, at: time, start: datetime, end: datetime) -> list[datetime]:
    """Every instant APScheduler's cron trigger would fire between start and end."""
    trigger = CronTrigger(hour=at.hour, minute=at.minute, timezone=ZoneInfo(zone))
    fires, previous, now = [], None, start
    while True:
        nxt = trigger.get_next_fire_time(previous, now)
        if nxt is None or nxt > end:
            return fires
        fires.append(nxt.astimezone(UTC))
        previous, now = nxt, nxt.astimezone(UTC) + timedelta(microseconds=1)  # aware + timedelta drops fold


@pytest.mark.parametrize("zone, day, at", [
    ("America/New_York", "2026-11-01", time(1, 30)),   # fall back: 01:30 happens twice
    ("America/New_York", "2026-11-01", time(9, 0)),
    ("America/New_York", "2026-03-08", time(2, 30)),   # spring forward: 02:30 never happens
    ("Europe/Berlin", "2026-03-29", time(2, 30)),      # spring forward
    ("Europe/Berlin", "2026-03-29", time(9, 0)),
    ("Europe/Berlin", "2026-10-25", time(2, 30)),      # fall back: 02:30 happens twice
])
async def test_dst_days_post_exactly_once(services, clock, notifier, zone, day, at):
    local_day = datetime.fromisoformat(day).date()
    start = datetime.combine(local_day - timedelta(days=1), time(12), tzinfo=ZoneInfo(zone)).astimezone(UTC)
    end = start + timedelta(days=3)
    clock.set(start)
    community = await configure(services, zone, at)  # posts the day before at once: its time has passed

    for fire in fire_times(zone, at, start, end):
        for attempt in (fire, fire + timedelta(seconds=30)):  # a retry or a second process firing too
            clock.set(attempt)
            await services.duties.announce(community.id)

    rows = await services.db.fetchall("SELECT local_date, announced_at FROM daily_posts ORDER BY local_date")
    dates = [r["local_date"] for r in rows]
    assert day in dates
    assert len(dates) == len(set(dates)) == len(notifier.posts)
    assert all(r["announced_at"] for r in rows)


async def test_the_post_waits_for_the_local_time(services, clock, notifier):
    clock.set(datetime(2026, 11, 24, 14, 59, tzinfo=UTC))
    community = await configure(services, "Asia/Karachi", time(20, 0))  # 15:00 UTC
    assert await services.duties.announce(community.id) is None
    clock.set(datetime(2026, 11, 24, 15, 0, tzinfo=UTC))
    announced = await services.duties.announce(community.id)
    assert announced is not None and announced.local_date.isoformat() == "2026-11-24"
    _, channel, channel_reply = notifier.posts[-1]
    assert channel == "study-hall"
    assert [b.label for b in channel_reply.buttons] == ["A", "B", "C", "D", "E"]
    assert not channel_reply.private


async def test_a_failed_delivery_gives_the_claim_back(services, clock):
    community = await configure(services, "UTC", time(11, 0))
    clock.set(datetime(2026, 11, 24, 11, 0, tzinfo=UTC))

    class Down:
        async def post(self, *args):
            raise ConnectionError("platform unreachable")

    working = services.duties.notifier
    services.duties.notifier = Down()
    with pytest.raises(ConnectionError):
        await services.duties.announce(community.id)
    services.duties.notifier = working
    assert await services.duties.announce(community.id) is not None


async def test_restart_catch_up_posts_a_missed_post_the_same_day(db_path):
    notifier = CollectingNotifier()
    clock = FrozenClock(datetime(2026, 11, 24, 6, 0, tzinfo=UTC))
    first = await build(Settings(db_path=db_path), clock=clock, notifier=notifier)
    await configure(first, "Europe/Berlin", time(9, 0))  # 08:00 UTC
    await first.close()  # the bot is down from 06:00 UTC …

    clock.set(datetime(2026, 11, 24, 13, 0, tzinfo=UTC))  # … and back at 14:00 Berlin, the same local day
    second = await build(Settings(db_path=db_path), clock=clock, notifier=notifier)
    await second.duties.catch_up()
    await second.duties.catch_up()  # a second catch-up (the sweep) posts nothing more
    await second.close()
    assert len(notifier.posts) == 1

    clock.set(datetime(2026, 11, 25, 23, 30, tzinfo=UTC))  # down over the whole of 25 Nov Berlin time
    third = await build(Settings(db_path=db_path), clock=clock, notifier=notifier)
    await third.duties.catch_up()
    rows = await third.db.fetchall("SELECT local_date FROM daily_posts WHERE announced_at IS NOT NULL")
    await third.close()
    # At 00:30 on 26 Nov in Berlin the 09:00 post is not due yet, and 25 Nov is not posted late;
    # the 24th's overdue reveal is posted, though.
    assert [r["local_date"] for r in rows] == ["2026-11-24"]
    titles = [reply.cards[0].title for _, _, reply in notifier.posts]
    assert len(titles) == 2 and titles[1].startswith("Answer revealed")


async def test_reveal_posts_once_after_its_time_and_after_a_restart(db_path):
    notifier = CollectingNotifier()
    clock = FrozenClock(datetime(2026, 11, 24, 9, 0, tzinfo=UTC))
    first = await build(Settings(db_path=db_path), clock=clock, notifier=notifier)
    await configure(first, "UTC", time(9, 0))  # its time has come: posted at once
    post_id = (await first.db.fetchone("SELECT id FROM daily_posts WHERE announced_at IS NOT NULL"))["id"]
    assert await first.duties.reveal(post_id) is False  # 12 h have not passed
    await first.close()

    clock.set(datetime(2026, 11, 24, 22, 0, tzinfo=UTC))  # restarted after the reveal time
    second = await build(Settings(db_path=db_path), clock=clock, notifier=notifier)
    waiting = await second.duties.catch_up()
    assert waiting == []
    assert await second.duties.reveal(post_id) is False  # claimed already
    await second.close()
    kinds = [reply.cards[0].title for _, _, reply in notifier.posts]
    assert kinds[0].startswith("Question of the day") and kinds[1].startswith("Answer revealed")
    assert len(kinds) == 2


async def test_a_restart_during_the_post_gives_the_day_back(services, clock, notifier):
    clock.set(datetime(2026, 11, 24, 8, 0, tzinfo=UTC))
    community = await configure(services, "UTC", time(9, 0))
    clock.set(datetime(2026, 11, 24, 9, 0, tzinfo=UTC))
    delivering = asyncio.Event()

    class Hanging:
        async def post(self, *args):
            delivering.set()
            await asyncio.sleep(30)

    services.duties.notifier = Hanging()
    task = asyncio.create_task(services.scheduler.announce(community.id))
    await delivering.wait()
    task.cancel()  # the process is stopped mid-post
    with pytest.raises(asyncio.CancelledError):
        await task
    row = await services.db.fetchone("SELECT announced_at FROM daily_posts")
    assert row["announced_at"] is None  # the claim was given back …
    services.duties.notifier = notifier
    assert await services.duties.announce(community.id) is not None  # … so the catch-up posts it
    assert len(notifier.posts) == 1
