"""Scheduled posts (the daily question, reveals) into a Discord channel.

A partial messageable needs no cache and no extra fetch: one REST call per post. discord.py waits out a 429 and
retries by itself; any other failure is raised, so the caller gives its claim back and the sweep tries again.
"""

from __future__ import annotations

import discord

from bots.discord.render import render
from core.replies import Reply


class DiscordNotifier:
    def __init__(self, client: discord.Client | None = None) -> None:
        self.client = client  # set once the client exists: services are built before it

    async def post(self, community_id: str, channel_id: str, reply: Reply) -> None:
        if self.client is None:
            raise RuntimeError("the Discord notifier has no client yet")
        channel = self.client.get_partial_messageable(int(channel_id))
        await channel.send(**render(reply).kwargs())
