"""Daily posting: exactly once per community per local date, across DST nights and restarts, through the duty
runner and the real store.

The fire times come from APScheduler's own CronTrigger, so a trigger that fires twice on a DST night is exercised;
the one duty row per (community, local date) is what keeps the post single.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import text

from commands.notifier import CollectingNotifier
from commands.runtime import bind_duties
from core.bootstrap import Services, build
from core.clock import FrozenClock
from core.qotd.daily import ANNOUNCE
from core.settings import Settings
from testkit.hanging import stopped_mid_delivery

UTC = UTC


async def configure(services, zone: str, at: time, community_id: str = "console:dst"):
    community = await services.communities.get(community_id)
    return await services.communities.update(community, channel_id="study-hall", timezone=zone, post_time=at)


async def serving(db_path: str, clock: FrozenClock, notifier: CollectingNotifier) -> Services:
    """A process that runs the console's duties when told to (`runner.run_due()`)."""
    services = await build(Settings(db_path=db_path), clock=clock)
    services.runner.serve(*bind_duties(services, [notifier]))
    return services


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


async def stopped_mid_post(services: Services) -> None:
    """Run what is due against a platform that hangs, and stop the runner while the post is under way."""
    await stopped_mid_delivery(services)


def titles(notifier: CollectingNotifier) -> list[str]:
    return [reply.cards[0].title for _, reply in notifier.posts]


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
    await configure(services, zone, at)  # the day before: its time has passed, so it is due at once
    await services.runner.run_due()

    for fire in fire_times(zone, at, start, end):
        for attempt in (fire, fire + timedelta(seconds=30)):  # a retry or a second process waking too
            clock.set(attempt)
            await services.runner.run_due()

    rows = await services.db.fetchall(text("SELECT local_date, announced_at FROM daily_posts ORDER BY local_date"))
    dates = [r["local_date"] for r in rows]
    assert day in dates
    questions = [t for t in titles(notifier) if t.startswith("Question of the day")]
    assert len(dates) == len(set(dates)) == len(questions) == 4
    assert all(r["announced_at"] for r in rows)


async def test_the_post_waits_for_the_local_time(services, clock, notifier):
    clock.set(datetime(2026, 11, 24, 14, 59, tzinfo=UTC))
    await configure(services, "Asia/Karachi", time(20, 0))  # 15:00 UTC
    assert await services.runner.run_due() == 0
    assert await services.runner.next_due() == datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
    clock.set(datetime(2026, 11, 24, 15, 0, tzinfo=UTC))
    assert await services.runner.run_due() == 1
    channel, channel_reply = notifier.posts[-1]
    assert channel == "study-hall"
    assert [b.label for b in channel_reply.buttons] == ["A", "B", "C", "D", "E"]
    assert not channel_reply.private
    assert await services.runner.next_due() == datetime(2026, 11, 25, 3, 0, tzinfo=UTC)  # its reveal, 12 h later


async def test_restart_catch_up_posts_a_missed_post_the_same_day(db_path):
    notifier = CollectingNotifier()
    clock = FrozenClock(datetime(2026, 11, 24, 6, 0, tzinfo=UTC))
    first = await serving(db_path, clock, notifier)
    await configure(first, "Europe/Berlin", time(9, 0))  # 08:00 UTC
    await first.close()  # the bot is down from 06:00 UTC …

    clock.set(datetime(2026, 11, 24, 13, 0, tzinfo=UTC))  # … and back at 14:00 Berlin, the same local day
    second = await serving(db_path, clock, notifier)
    await second.runner.run_due()
    await second.runner.run_due()  # a second sweep posts nothing more
    await second.close()
    assert len(notifier.posts) == 1

    clock.set(datetime(2026, 11, 25, 23, 30, tzinfo=UTC))  # down over the whole of 25 Nov Berlin time
    third = await serving(db_path, clock, notifier)
    await third.runner.run_due()
    rows = await third.db.fetchall(text("SELECT local_date FROM daily_posts WHERE announced_at IS NOT NULL"))
    skipped = await third.duties.outcome(ANNOUNCE, "console:dst|2026-11-25")
    next_due = await third.runner.next_due()
    await third.close()
    # At 00:30 on 26 Nov in Berlin the 09:00 post is not due yet, and 25 Nov is not posted late;
    # the 24th's overdue reveal is posted, though.
    assert [r["local_date"] for r in rows] == ["2026-11-24"]
    assert skipped is not None and skipped[0] == "skipped"
    assert next_due == datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
    assert len(titles(notifier)) == 2 and titles(notifier)[1].startswith("Answer revealed")


async def test_reveal_posts_once_after_its_time_and_after_a_restart(db_path):
    notifier = CollectingNotifier()
    clock = FrozenClock(datetime(2026, 11, 24, 9, 0, tzinfo=UTC))
    first = await serving(db_path, clock, notifier)
    await configure(first, "UTC", time(9, 0))
    assert await first.runner.run_due() == 1  # its time has come: posted, the reveal planned for 21:00
    await first.close()

    clock.set(datetime(2026, 11, 24, 22, 0, tzinfo=UTC))  # restarted after the reveal time
    second = await serving(db_path, clock, notifier)
    await second.runner.run_due()
    await second.runner.run_due()
    await second.close()
    kinds = titles(notifier)
    assert kinds[0].startswith("Question of the day") and kinds[1].startswith("Answer revealed")
    assert len(kinds) == 2


async def test_a_restart_during_the_post_gives_the_day_back(services, clock, notifier):
    clock.set(datetime(2026, 11, 24, 8, 0, tzinfo=UTC))
    await configure(services, "UTC", time(9, 0))
    clock.set(datetime(2026, 11, 24, 9, 0, tzinfo=UTC))
    await stopped_mid_post(services)  # the process is stopped mid-post
    row = await services.db.fetchone(text("SELECT announced_at FROM daily_posts"))
    assert row["announced_at"] is None
    services.runner.serve(*bind_duties(services, [notifier]))
    assert await services.runner.run_due() == 1  # the lease was given back: the post goes out now
    assert len(notifier.posts) == 1


async def test_stopping_daily_posts_forgets_the_planned_post(services, clock, notifier):
    clock.set(datetime(2026, 11, 24, 6, 0, tzinfo=UTC))
    community = await configure(services, "UTC", time(9, 0))
    assert len(await services.duties.pending(ANNOUNCE, community.id)) == 1
    await services.communities.update(community, channel_id=None)
    assert await services.duties.pending(ANNOUNCE, community.id) == []
    clock.set(datetime(2026, 11, 24, 9, 30, tzinfo=UTC))
    assert await services.runner.run_due() == 0 and notifier.posts == []


async def test_stopping_during_a_reveal_leaves_it_to_run_again(services, clock, notifier):
    clock.set(datetime(2026, 11, 24, 8, 0, tzinfo=UTC))
    await configure(services, "UTC", time(9, 0))
    clock.set(datetime(2026, 11, 24, 9, 0, tzinfo=UTC))
    assert await services.runner.run_due() == 1  # the question; its reveal is due at 21:00
    clock.set(datetime(2026, 11, 24, 21, 0, tzinfo=UTC))
    await stopped_mid_post(services)
    assert (await services.db.fetchone(text("SELECT revealed_at FROM daily_posts")))["revealed_at"] is None
    services.runner.serve(*bind_duties(services, [notifier]))
    assert await services.runner.run_due() == 1
    assert titles(notifier)[-1].startswith("Answer revealed") and len(notifier.posts) == 2
