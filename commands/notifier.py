"""The port through which duties (the daily post, reveals, reminders, recaps) reach people. Each adapter provides one.

A notifier serves one platform: the duty runner of a process claims only the duties of the platforms its notifiers
serve, so a console never posts a Discord community's question.

Exactly once, across processes: a process can die after the platform accepted a post and before the duty was
recorded done; another process then runs the duty again. So a duty's post carries `key`, naming the occurrence, and
a retry also `since`, the earliest moment an earlier attempt may have posted it. Each platform uses what it has to
keep the second attempt from making a second message: Discord refuses a repeated nonce and returns the first
message; Slack's notifier looks in the channel's history for a message carrying the key; the console has one
process and prints.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from commands.replies import Reply
from core.engine.duties import Duty
from core.engine.runner import BACKOFF, DEADLINE, MAX_ATTEMPTS

#: How far before a retried duty's due time an earlier attempt may have posted: every backoff (each retry moves the
#: due time on by one) and every attempt's deadline.
LOOKBACK = sum(BACKOFF, timedelta()) + timedelta(seconds=DEADLINE) * MAX_ATTEMPTS


class Notifier(Protocol):
    platform: str  # 'discord', 'slack', 'console': the prefix of the community and member ids it serves

    async def post(self, channel_id: str, reply: Reply, *, key: str | None = None,
                   since: datetime | None = None) -> None:
        """Deliver a public message in a channel (the platform's own channel id). Raise `Undeliverable` when it can
        never succeed (the bot was removed, the channel is gone); any other exception is retried with backoff.
        `key` names the occurrence (a duty's kind and key): a message already delivered under it is not delivered
        again. `since` is given on a retry: no earlier attempt can have posted before it."""

    async def direct(self, member_id: str, reply: Reply) -> None:
        """Deliver a message to one member (namespaced id, 'discord:123'): a DM, a Slack IM, a console line.
        Raise `Undeliverable` when the member closed their messages."""


def occurrence_key(duty: Duty) -> str:
    return f"{duty.kind}:{duty.key}"


def retried_since(duty: Duty) -> datetime | None:
    """On a retry (an earlier attempt was claimed and may have reached the platform), the moment to look back to."""
    return duty.due_at - LOOKBACK if duty.attempts > 1 else None


async def post_once(notifier: Notifier, channel_id: str, reply: Reply, duty: Duty) -> None:
    """A duty's message into a channel, at most once whatever number of attempts the duty takes."""
    await notifier.post(channel_id, reply, key=occurrence_key(duty), since=retried_since(duty))


class CollectingNotifier:
    """Keeps what would have been delivered: tests read it."""

    def __init__(self, platform: str = "console") -> None:
        self.platform = platform
        self.posts: list[tuple[str, Reply]] = []
        self.directs: list[tuple[str, Reply]] = []
        self.keys: list[str | None] = []  # the occurrence key of each post, in order

    async def post(self, channel_id: str, reply: Reply, *, key: str | None = None,
                   since: datetime | None = None) -> None:
        self.posts.append((channel_id, reply))
        self.keys.append(key)

    async def direct(self, member_id: str, reply: Reply) -> None:
        self.directs.append((member_id, reply))
