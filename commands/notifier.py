"""The port through which duties (the daily post, reveals, reminders, recaps) reach people. Each adapter provides one.

A notifier serves one platform: the duty runner of a process claims only the duties of the platforms its notifiers
serve, so a console never posts a Discord community's question.
"""

from __future__ import annotations

from typing import Protocol

from commands.replies import Reply


class Notifier(Protocol):
    platform: str  # 'discord', 'slack', 'console': the prefix of the community and member ids it serves

    async def post(self, channel_id: str, reply: Reply) -> None:
        """Deliver a public message in a channel (the platform's own channel id). Raise `Undeliverable` when it can
        never succeed (the bot was removed, the channel is gone); any other exception is retried with backoff."""

    async def direct(self, member_id: str, reply: Reply) -> None:
        """Deliver a message to one member (namespaced id, 'discord:123'): a DM, a Slack IM, a console line.
        Raise `Undeliverable` when the member closed their messages."""


class CollectingNotifier:
    """Keeps what would have been delivered: tests read it."""

    def __init__(self, platform: str = "console") -> None:
        self.platform = platform
        self.posts: list[tuple[str, Reply]] = []
        self.directs: list[tuple[str, Reply]] = []

    async def post(self, channel_id: str, reply: Reply) -> None:
        self.posts.append((channel_id, reply))

    async def direct(self, member_id: str, reply: Reply) -> None:
        self.directs.append((member_id, reply))
