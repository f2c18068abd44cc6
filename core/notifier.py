"""The port through which scheduled work reaches a channel. Each adapter provides one."""

from __future__ import annotations

from typing import Protocol

from core.replies import Reply


class Notifier(Protocol):
    async def post(self, community_id: str, channel_id: str, reply: Reply) -> None:
        """Deliver a public message; raise if it could not be delivered, so the claim is given back."""


class CollectingNotifier:
    """Keeps what would have been posted: the console prints from it and tests read it."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, str, Reply]] = []

    async def post(self, community_id: str, channel_id: str, reply: Reply) -> None:
        self.posts.append((community_id, channel_id, reply))
