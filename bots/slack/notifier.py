"""Duties' messages on Slack: chat.postMessage into a channel, or into a member's IM opened with conversations.open.

An image cannot ride in a message: after the text it is uploaded with files_upload_v2 (files.getUploadURLExternal,
a POST of the bytes to the URL Slack hands out, files.completeUploadExternal) and shared into the same conversation.
The client's retry handlers wait out a 429 (`Retry-After`) and retry. A refusal no retry can mend (the bot is not in
the channel, it was archived, the member cannot be messaged) becomes `Undeliverable`, so the duty gives up at once;
any other failure is raised as it is and the caller retries with backoff (a retry after a failed upload sends the
text again: delivery is at least once).

A duty's post carries its occurrence key as message metadata (`rounds_duty`). Slack has no idempotency key of its
own, so a retry (an earlier attempt was claimed and may have been accepted by Slack before its process died) first
reads the channel's history back to the earliest that attempt can have posted, and a message carrying the key there
means it was delivered. This needs the `channels:history` and `groups:history` scopes; a history Slack will not
show is logged and the message posted (twice rather than never).

A post returns the message's `ts` (Slack's id of a message within its channel; the earlier message's, when a retry
found it in the history), and `edit` replaces that message's text and blocks with chat.update. Slack cannot change
the file of a message (it was shared after it, as a message of its own), so an edit keeps to text and blocks and an
image on the edited reply is left out. A message deleted in the meantime (`message_not_found`), one the app may not
change (`cant_update_message`, `edit_window_closed`) or a channel gone is `Undeliverable`, so the caller posts a fresh
one.

Study sessions: the notifier is a `ThreadHost` (not an `EventHost`: Slack has no scheduled events of its own). A
thread needs no call to open: a reply names its parent (`chat.postMessage(thread_ts=<the message's ts>)`), so
`open_thread` answers the place '<channel>/<message ts>', and `post` and `edit` accept such a place as their channel.
A retried post into a thread looks for its key in the thread (conversations.replies, the same scopes), since replies
are not in the channel's history.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from aiohttp import ClientError
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bots.slack.render import SlackMessage, render, upload_args
from commands.replies import Image, Reply
from core.engine.errors import Undeliverable

log = logging.getLogger(__name__)

PLATFORM = "slack"
EVENT_TYPE = "rounds_duty"  # the metadata event type of a duty's message
HISTORY_PAGE = 200  # messages a conversations.history call returns (Slack suggests no more than 200)
HISTORY_PAGES = 10  # a retry looks through at most this many pages before it posts anyway

#: Slack's error codes that mean "never": asking again gets the same answer.
PERMANENT = frozenset({
    "channel_not_found", "not_in_channel", "is_archived", "cannot_dm_bot", "messages_tab_disabled",
    "user_not_found", "user_disabled", "account_inactive", "restricted_action", "missing_scope",
})

#: And, for an edit, those that mean the message itself is gone or not the app's to change.
GONE = frozenset({"message_not_found", "cant_update_message", "edit_window_closed"})


class SlackNotifier:
    platform = PLATFORM

    def __init__(self, client: AsyncWebClient | None = None) -> None:
        self.client = client

    async def post(self, channel_id: str, reply: Reply, *, key: str | None = None,
                   since: datetime | None = None) -> str | None:
        """`channel_id` is a channel, or a thread place '<channel>/<parent ts>' from `open_thread`."""
        client = self._client()
        channel, thread_ts = place_of(channel_id)
        with refusals_for_good(f"channel {channel_id}"):
            if key is not None and since is not None:
                earlier = await already_posted(client, channel, key, since, thread_ts=thread_ts)
                if earlier is not None:
                    log.info("a message for %s is already in %s: not posted again", key, channel_id)
                    return earlier or None
            return await send(client, channel, render(reply), metadata=duty_metadata(key) if key else None,
                              thread_ts=thread_ts)

    async def edit(self, channel_id: str, message_id: str, reply: Reply) -> None:
        """The message's text and blocks become the reply's (no blocks: none); an image is not sent (see above).
        A reply in a thread is edited like any message: by its channel and its own ts."""
        client = self._client()
        message = render(reply)
        if message.image is not None:
            log.info("the image of an edit of %s in %s is left out: Slack cannot change a message's file",
                     message_id, channel_id)
        with refusals_for_good(f"message {message_id} in channel {channel_id}", also=GONE):
            await client.chat_update(channel=place_of(channel_id)[0], ts=message_id, text=message.text,
                                     blocks=message.blocks)

    async def open_thread(self, channel_id: str, message_id: str, name: str) -> str:
        """No call: a Slack thread is the replies to a message, and it has no name of its own (`name` is unused)."""
        return f"{place_of(channel_id)[0]}/{message_id}"

    def thread_link(self, thread_id: str) -> str:
        """The thread's channel: Slack has no mention of a thread (a permalink would cost a chat.getPermalink)."""
        return f"<#{place_of(thread_id)[0]}>"

    async def direct(self, member_id: str, reply: Reply) -> None:
        client = self._client()
        user_id = user_id_of(member_id)
        with refusals_for_good(f"member {member_id}"):
            await send(client, await open_im(client, user_id), render(reply))

    def _client(self) -> AsyncWebClient:
        if self.client is None:
            raise RuntimeError("the Slack notifier has no client yet")
        return self.client


def place_of(place: str) -> tuple[str, str | None]:
    """A channel id, or a thread place '<channel>/<parent ts>', as (channel, parent ts or None)."""
    channel, _, thread_ts = place.partition("/")
    return channel, thread_ts or None


async def send(client: AsyncWebClient, channel: str, message: SlackMessage,
               metadata: Mapping[str, Any] | None = None, thread_ts: str | None = None) -> str | None:
    """The message, then its image, into one conversation (into a message's thread, given its ts); the message's
    ts."""
    response = await client.chat_postMessage(channel=channel, metadata=dict(metadata) if metadata else None,
                                             thread_ts=thread_ts, **message.post())
    if message.image is not None:
        await upload(client, channel, message.image, thread_ts=thread_ts)
    ts = response.get("ts")
    return str(ts) if ts else None


def duty_metadata(key: str) -> dict[str, Any]:
    return {"event_type": EVENT_TYPE, "event_payload": {"key": key}}


async def already_posted(client: AsyncWebClient, channel: str, key: str, since: datetime,
                         thread_ts: str | None = None) -> str | None:
    """The ts of a message carrying this duty key since `since`, in the channel's history or (`thread_ts`) in that
    message's thread, or None. A history Slack refuses to show (a missing scope, an error) counts as not found: the
    caller posts."""
    cursor: str | None = None
    try:
        for _ in range(HISTORY_PAGES):
            page = await history_page(client, channel, f"{since.timestamp():.6f}", cursor, thread_ts)
            found = next((m for m in page.get("messages") or [] if _carries(m, key)), None)
            if found is not None:
                return str(found.get("ts") or "")  # Slack gives every message one
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if not page.get("has_more") or cursor is None:
                return None
    except (SlackClientError, ClientError, TimeoutError) as error:
        log.warning("cannot read the history of %s to see whether %s was posted (%s): posting it", channel, key,
                    reason(error))
        return None
    log.warning("the history of %s is too long to see whether %s was posted: posting it", channel, key)
    return None


async def history_page(client: AsyncWebClient, channel: str, oldest: str, cursor: str | None,
                       thread_ts: str | None) -> AsyncSlackResponse:
    """One page of a channel's history (its top-level messages), or of a thread: replies are only in the latter,
    which also starts with the parent (whose key, a different duty's, never matches)."""
    if thread_ts is not None:
        return await client.conversations_replies(channel=channel, ts=thread_ts, oldest=oldest, limit=HISTORY_PAGE,
                                                  include_all_metadata=True, cursor=cursor)
    return await client.conversations_history(channel=channel, oldest=oldest, limit=HISTORY_PAGE,
                                              include_all_metadata=True, cursor=cursor)


def _carries(message: Mapping[str, Any], key: str) -> bool:
    metadata = message.get("metadata") or {}
    return bool(metadata.get("event_type") == EVENT_TYPE and (metadata.get("event_payload") or {}).get("key") == key)


async def upload(client: AsyncWebClient, channel: str, image: Image, thread_ts: str | None = None) -> None:
    await client.files_upload_v2(**upload_args(image, channel), thread_ts=thread_ts)


async def open_im(client: AsyncWebClient, user_id: str) -> str:
    """The id (D…) of the app's direct-message conversation with a member, opened if need be."""
    response = await client.conversations_open(users=user_id)
    return str(response["channel"]["id"])


async def share_image(client: AsyncWebClient, message: SlackMessage, channel_id: str | None, user_id: str) -> None:
    """A reply's image after its text: a public reply's into the channel, a private one's into the member's IM (the
    only place Slack lets a file be seen by one person). The text already arrived, so a failure is only logged."""
    if message.image is None:
        return
    try:
        channel = channel_id if channel_id and not message.ephemeral else await open_im(client, user_id)
        await upload(client, channel, message.image)
    except (SlackClientError, ClientError, TimeoutError) as error:
        log.warning("the image of a reply to %s could not be uploaded: %s", user_id, reason(error))


def user_id_of(member_id: str) -> str:
    """The Slack user id in a namespaced member id ('slack:U123' -> 'U123')."""
    platform, _, raw = member_id.partition(":")
    if platform != PLATFORM or not raw:
        raise Undeliverable(f"{member_id!r} is not a Slack member")
    return raw


def reason(error: BaseException) -> str:
    """Slack's error code, or the kind of failure: never the request, which carries the token."""
    return str(error.response.get("error")) if isinstance(error, SlackApiError) else type(error).__name__


@contextmanager
def refusals_for_good(target: str, also: frozenset[str] = frozenset()) -> Iterator[None]:
    """Turn Slack's permanent refusals (and the codes in `also`) into `Undeliverable`; let every other failure
    through unchanged."""
    try:
        yield
    except SlackApiError as error:
        code = str(error.response.get("error"))
        if code in PERMANENT or code in also:
            raise Undeliverable(f"Slack refused a message to {target}: {code}") from error
        raise
