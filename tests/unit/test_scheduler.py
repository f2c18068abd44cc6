"""The real APScheduler: jobs rebuilt from the database at start-up, at the community's local time."""

from __future__ import annotations

import asyncio
from datetime import datetime, time, timezone
from zoneinfo import ZoneInfo

from core.bootstrap import build
from core.notifier import CollectingNotifier
from core.scheduler import announce_job_id
from core.settings import Settings


async def test_jobs_are_rebuilt_from_the_database_and_fire(db_path, clock):
    notifier = CollectingNotifier()
    clock.set(datetime(2026, 11, 24, 5, 0, tzinfo=timezone.utc))  # 14:00 in Tokyo, before its 23:15 post
    first = await build(Settings(db_path=db_path), clock=clock, notifier=notifier)
    community = await first.communities.get("console:sched")
    await first.communities.update(community, channel_id="hall", timezone="Asia/Tokyo", post_time=time(23, 15))
    await first.close()

    second = await build(Settings(db_path=db_path), clock=clock, notifier=notifier)
    try:
        await second.start_scheduler()
        job = second.scheduler.aps.get_job(announce_job_id("console:sched"))
        assert job is not None
        local = job.next_run_time.astimezone(ZoneInfo("Asia/Tokyo"))
        assert (local.hour, local.minute) == (23, 15)
        assert second.scheduler.aps.get_job("sweep") is not None
        assert notifier.posts == []  # 14:00 in Tokyo: not due yet

        clock.set(datetime(2026, 11, 24, 14, 15, tzinfo=timezone.utc))  # 23:15 in Tokyo
        job.modify(next_run_time=datetime.now(timezone.utc))  # let the real scheduler fire it now
        for _ in range(100):
            if notifier.posts:
                break
            await asyncio.sleep(0.02)
        assert len(notifier.posts) == 1 and notifier.posts[0][1] == "hall"
        reveal = [j for j in second.scheduler.aps.get_jobs() if j.id.startswith("reveal:")]
        assert len(reveal) == 1
    finally:
        await second.close()


async def test_stopping_daily_posts_removes_the_job(services, clock):
    await services.start_scheduler()
    community = await services.communities.get("console:stop")
    community = await services.communities.update(community, channel_id="hall")
    assert services.scheduler.aps.get_job(announce_job_id(community.id))
    await services.communities.update(community, channel_id=None)
    assert services.scheduler.aps.get_job(announce_job_id(community.id)) is None
