"""The port through which duties (the daily post, reveals, reminders, recaps) reach people. Each adapter provides one.

A notifier serves one platform: the duty runner of a process claims only the duties of the platforms its notifiers
serve, so a console never posts a Discord community's question.

Exactly once, across processes: a process can die after the platform accepted a post and before the duty was
recorded done; another process then runs the duty again. So a duty's post carries `key`, naming the occurrence, and
a retry also `since`, the earliest moment an earlier attempt may have posted it. Each platform uses what it has to
keep the second attempt from making a second message: Discord refuses a repeated nonce and returns the first
message; Slack's notifier looks in the channel's history for a message carrying the key; the console has one
process and prints.

A post answers with the id of the message it made (or found already made), so a duty can keep one message up to date
(a live leaderboard) with `edit` instead of posting a new one each time. An id is the platform's own (Discord's
message id, Slack's `ts`); the console's and the collector's are counters of their own.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

from commands.replies import Reply
from core.engine.duties import Duty, DutyStore, Plan
from core.engine.errors import Undeliverable
from core.engine.runner import BACKOFF, DEADLINE, MAX_ATTEMPTS

log = logging.getLogger(__name__)

#: How far before a retried duty's due time an earlier attempt may have posted: every backoff (each retry moves the
#: due time on by one) and every attempt's deadline.
LOOKBACK = sum(BACKOFF, timedelta()) + timedelta(seconds=DEADLINE) * MAX_ATTEMPTS


class Notifier(Protocol):
    platform: str  # 'discord', 'slack', 'console': the prefix of the community and member ids it serves

    async def post(self, channel_id: str, reply: Reply, *, key: str | None = None,
                   since: datetime | None = None) -> str | None:
        """Deliver a public message in a channel (the platform's own channel id) and return the message's id (None
        when the platform gives none). Raise `Undeliverable` when it can never succeed (the bot was removed, the
        channel is gone); any other exception is retried with backoff. `key` names the occurrence (a duty's kind and
        key): a message already delivered under it is not delivered again, and its id is returned. `since` is given
        on a retry: no earlier attempt can have posted before it."""

    async def edit(self, channel_id: str, message_id: str, reply: Reply) -> None:
        """Replace the content of a message `post` made (its text, cards and buttons) in place. Raise `Undeliverable`
        when the message or the channel is gone or the bot may no longer touch it: the caller posts a fresh one. Any
        other exception is retried with backoff. Whether an image is replaced depends on the platform (Discord
        replaces the attachment; Slack cannot change a message's file, so its edit keeps the text and blocks only)."""

    async def direct(self, member_id: str, reply: Reply) -> None:
        """Deliver a message to one member (namespaced id, 'discord:123'): a DM, a Slack IM, a console line.
        Raise `Undeliverable` when the member closed their messages."""


@dataclass(frozen=True)
class NativeEvent:
    """A study session as a platform's own scheduled event (Discord's Guild Scheduled Events), so it shows in the
    server's Events list and members can be told by the platform itself. One event stands for the next occurrence."""

    community_id: str  # 'discord:<guild id>'
    name: str  # at most 100 characters
    start: datetime  # aware
    end: datetime
    location: str  # the session's link, or where it happens ('#study-hall'): at most 100 characters
    description: str = ""  # at most 1,000 characters


@runtime_checkable
class EventHost(Protocol):
    """A notifier whose platform has native scheduled events. Notifiers without them simply are not one."""

    async def put_event(self, event: NativeEvent, event_id: str | None) -> str:
        """Create the event (`event_id` None) or bring an existing one in step; return its id. An event deleted by
        hand meanwhile is created afresh (a new id). Raise `Unpermitted` when the bot may not manage events, and
        `Undeliverable` when the community is gone."""

    async def cancel_event(self, community_id: str, event_id: str) -> None:
        """Cancel a scheduled event (an event already gone, ended or cancelled is left as it is)."""


@runtime_checkable
class ThreadHost(Protocol):
    """A notifier whose platform can hang a discussion thread on a message."""

    async def open_thread(self, channel_id: str, message_id: str, name: str) -> str:
        """A thread on the message; return a place `post` accepts as its `channel_id` (Discord: the thread's own
        channel id; Slack: '<channel>/<message ts>', whose posts are replies in that message's thread). Raise
        `Unpermitted` when the bot may not create threads there."""

    def thread_link(self, thread_id: str) -> str:
        """Text that links to the thread in this platform's messages (a channel mention, a permalink)."""


def occurrence_key(duty: Duty) -> str:
    return f"{duty.kind}:{duty.key}"


def retried_since(duty: Duty) -> datetime | None:
    """On a retry (an earlier attempt was claimed and may have reached the platform), the moment to look back to."""
    return duty.due_at - LOOKBACK if duty.attempts > 1 else None


async def post_once(notifier: Notifier, channel_id: str, reply: Reply, duty: Duty) -> str | None:
    """A duty's message into a channel, at most once whatever number of attempts the duty takes; its id (the one
    an earlier attempt made, when it had)."""
    return await notifier.post(channel_id, reply, key=occurrence_key(duty), since=retried_since(duty))


async def direct_once(notifier: Notifier, duties: DutyStore, claim: Plan, member_id: str, reply: Reply) -> str | None:
    """A direct message sent at most once: `claim` is settled in the database before sending (False: an earlier
    attempt took it, and may have sent it). It is given back only when the platform surely did not deliver (an
    error it raised); a member who closed their messages ends the duty quietly. A process killed mid-send leaves the
    claim taken: the member may miss one message, and never gets two. Returns the duty's outcome."""
    if not await duties.settle(claim, "sent"):
        return "skipped"
    try:
        await notifier.direct(member_id, reply)
    except Undeliverable as error:
        log.info("no direct message for %s (%s): %s", member_id, claim.kind, error)
        return "skipped"
    except Exception:
        await asyncio.shield(duties.forget(claim.kind, claim.key))
        raise
    return None


class CollectingNotifier:
    """Keeps what would have been delivered: tests read it. A post's id is its index in `posts` ('0', '1', ...); an
    edit is kept in `edits` (the post stays as it was posted: `current` shows a message as it reads now). Editing an
    id it never gave out in that channel, or one a test put in `deleted`, is `Undeliverable`, as on a platform."""

    def __init__(self, platform: str = "console") -> None:
        self.platform = platform
        self.posts: list[tuple[str, Reply]] = []
        self.directs: list[tuple[str, Reply]] = []
        self.keys: list[str | None] = []  # the occurrence key of each post, in order
        self.edits: list[tuple[str, str, Reply]] = []  # (channel id, message id, the new reply), in order
        self.deleted: set[str] = set()  # ids of posts a test says are gone

    async def post(self, channel_id: str, reply: Reply, *, key: str | None = None,
                   since: datetime | None = None) -> str | None:
        self.posts.append((channel_id, reply))
        self.keys.append(key)
        return str(len(self.posts) - 1)

    async def edit(self, channel_id: str, message_id: str, reply: Reply) -> None:
        if not self._posted(channel_id, message_id):
            raise Undeliverable(f"no message {message_id} in {channel_id}")
        self.edits.append((channel_id, message_id, reply))

    def current(self, message_id: str) -> Reply:
        """A post as it reads after its edits."""
        latest = [reply for _, edited, reply in self.edits if edited == message_id]
        return latest[-1] if latest else self.posts[int(message_id)][1]

    def _posted(self, channel_id: str, message_id: str) -> bool:
        index = int(message_id) if message_id.isdigit() else -1
        return 0 <= index < len(self.posts) and self.posts[index][0] == channel_id and message_id not in self.deleted

    async def direct(self, member_id: str, reply: Reply) -> None:
        self.directs.append((member_id, reply))
