"""A platform that takes a delivery and never answers, and a runner stopped while one is under way: what tests of
"a duty cut off mid-delivery" share."""

from __future__ import annotations

import asyncio

import pytest

from commands.notifier import CollectingNotifier
from commands.replies import Reply
from commands.runtime import bind_duties
from core.bootstrap import Services


class Hanging(CollectingNotifier):
    def __init__(self) -> None:
        super().__init__()
        self.delivering = asyncio.Event()

    async def post(self, channel_id: str, reply: Reply, **once: object) -> str | None:
        self.delivering.set()
        await asyncio.sleep(30)
        return None

    async def direct(self, member_id: str, reply: Reply) -> None:
        self.delivering.set()
        await asyncio.sleep(30)


async def stopped_mid_delivery(services: Services) -> None:
    """Run what is due against a platform that hangs, and stop the runner while the delivery is under way."""
    hanging = Hanging()
    services.runner.serve(*bind_duties(services, [hanging]))
    task = asyncio.create_task(services.runner.run_due())
    await hanging.delivering.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
