"""Scheduled posts (the daily question, reveals) into a Slack channel with chat.postMessage.

The client's retry handlers wait out a 429 (`Retry-After`) and retry; any other failure raises SlackApiError, so the
caller gives its claim back and the next sweep tries again.
"""

from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient

from bots.slack.render import render
from core.replies import Reply


class SlackNotifier:
    def __init__(self, client: AsyncWebClient | None = None) -> None:
        self.client = client

    async def post(self, community_id: str, channel_id: str, reply: Reply) -> None:
        if self.client is None:
            raise RuntimeError("the Slack notifier has no client yet")
        await self.client.chat_postMessage(channel=channel_id, **render(reply).post())
