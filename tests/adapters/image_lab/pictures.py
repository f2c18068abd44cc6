"""`/pics now` (public, at once), `/pics mine` (private, slow) and `/pics slow` (public, slow): one PNG each."""

from __future__ import annotations

import asyncio

from commands.context import Context
from commands.registry import Group, command
from commands.replies import Image, Reply
from testkit.images import tiny_png

GROUP = Group("pics", "Test-only replies with an image")
PNG = tiny_png(4, 3)
ALT = "Answers by weekday: Monday busiest"
FILENAME = "heatmap.png"
SLOW_SECONDS = 0.4  # past the adapter's defer_after in the tests, so the reply arrives late


def picture(text: str, *, private: bool = False) -> Reply:
    return Reply(text=text, image=Image(PNG, ALT, FILENAME), private=private)


@command("pics now", "A public reply with a picture")
async def now(ctx: Context) -> Reply:
    return picture("Here is the heatmap")


@command("pics mine", "A private reply with a picture, after a while")
async def mine(ctx: Context) -> Reply:
    await asyncio.sleep(SLOW_SECONDS)
    return picture("Your own heatmap", private=True)


@command("pics slow", "A public reply with a picture, after a while")
async def slow(ctx: Context) -> Reply:
    await asyncio.sleep(SLOW_SECONDS)
    return picture("Everyone's heatmap")
