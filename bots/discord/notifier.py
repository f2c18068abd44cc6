"""Duties' messages on Discord: posts into a channel and direct messages to one member.

A partial messageable needs no cache and no extra fetch: one REST call per post. A direct message first opens the DM
channel (`POST /users/@me/channels`, cached by discord.py afterwards), then sends into it. discord.py waits out a 429
and retries by itself. A refusal no retry can mend (the bot lost access to the channel, the channel is gone, the
member closed their DMs) becomes `Undeliverable`, so the duty gives up at once; anything else is raised as it is, and
the caller retries with backoff.

A duty's post carries a nonce made from its occurrence key, sent with `enforce_nonce` (discord.py does both when
given a nonce): Discord then answers a second message with the same nonce from the same bot, within a few minutes,
with the first message instead of a new one. That is what keeps a retry after a killed process (its lease runs out
in half a minute) from posting twice. A retry after a backoff of more than a few minutes is not covered: Discord
keeps nonces no longer, and a fetched message does not show its nonce.

A post returns the message's id (the first message's, when the nonce found one), and `edit` replaces that message
in place with `PATCH /channels/{id}/messages/{id}`: content, embeds, buttons (none: removed) and attachments (the
reply's image, or none) all become the new reply's. A message deleted in the meantime (10008 Unknown Message), or
one the bot may not edit, is `Undeliverable`, so the caller posts a fresh one.

Study sessions: the notifier is an `EventHost` and a `ThreadHost`. An event is an EXTERNAL Guild Scheduled Event
(discord.py sends `entity_type` only when told, and Discord requires it), created or edited through discord.py's own
HTTP client methods: one REST call, no fetch and no guild cache needed (a duty runs on REST alone). Editing an event
deleted by hand (10070) creates it afresh; a refusal for want of Manage Events (50013) is `Unpermitted`, for an admin
to hear about; a body Discord will not take (a start in the past, 50035) is `Undeliverable` with Discord's reason.
A thread hangs on a message (`POST /channels/{c}/messages/{m}/threads`); Discord gives it the message's id, so a
thread already made (160004, an earlier attempt whose answer was lost) is that id.

Pacing: discord.py keeps to each route's bucket by itself but only reacts to Discord's global limit, so every REST
request the notifier makes first takes a token from its `Pacer` (`rate` requests a second, None: unpaced). A direct
message is two requests when discord.py has no DM channel for the member cached and one when it has; both are
counted as they go. What discord.py re-sends by itself (after a 429 or a 500) is not paced again: with the pacer
below the limit there are no global 429s to retry.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, Literal

import discord

from bots.discord.pace import DEFAULT_RATE, Pacer
from bots.discord.render import render
from commands.notifier import NativeEvent
from commands.replies import Reply
from core.engine.errors import Undeliverable, Unpermitted

log = logging.getLogger(__name__)

PLATFORM = "discord"
NONCE_LENGTH = 25  # the most Discord takes

#: Discord's JSON error codes that mean "never": asking again gets the same answer.
PERMANENT = {
    10003: "Unknown Channel",
    10013: "Unknown User",
    50001: "Missing Access",
    50007: "Cannot send messages to this user",
    50013: "Missing Permissions",
    50033: "Invalid Recipient(s)",
}

#: And, for an edit, those that mean the message itself is gone or not the bot's to change.
GONE = {
    10008: "Unknown Message",
    50005: "Cannot edit a message authored by another user",
}

UNKNOWN_EVENT = 10070  # Unknown Guild Scheduled Event: deleted by hand, or never there
INVALID_FORM = 50035  # Invalid Form Body: Discord says which field and why
THREAD_EXISTS = 160004  # A thread has already been created for this message
EVENT_CANCELLED = 4
EXTERNAL = discord.EntityType.external.value
GUILD_ONLY = discord.PrivacyLevel.guild_only.value
MAX_NAME = 100  # an event's or a thread's name
MAX_LOCATION = 100
MAX_DESCRIPTION = 1000
THREAD_ARCHIVE_MINUTES: Literal[1440] = 1440  # a day without messages, then Discord archives the thread (a message revives it)
MANAGE_EVENTS = "Manage Events"
CREATE_PUBLIC_THREADS = "Create Public Threads"


class DiscordNotifier:
    """The Notifier port on Discord, and an EventHost and a ThreadHost. `rate`: REST requests a second the notifier
    allows itself (None: as many as discord.py sends)."""

    platform = PLATFORM

    def __init__(self, client: discord.Client | None = None, *, rate: float | None = DEFAULT_RATE) -> None:
        self.client = client  # set once the client exists: services are built before it
        self.pacer = Pacer(rate) if rate is not None else None

    async def post(self, channel_id: str, reply: Reply, *, key: str | None = None,
                   since: datetime | None = None) -> str | None:
        channel = self._client().get_partial_messageable(int(channel_id))
        with refusals_for_good(f"channel {channel_id}"):
            kwargs = render(reply).kwargs()
            if key:
                kwargs["nonce"] = nonce_of(key)
            await self._pace()
            message = await channel.send(**kwargs)
        return str(message.id)

    async def edit(self, channel_id: str, message_id: str, reply: Reply) -> None:
        message = self._client().get_partial_messageable(int(channel_id)).get_partial_message(int(message_id))
        with refusals_for_good(f"message {message_id} in channel {channel_id}", also=GONE):
            kwargs = render(reply).edit_kwargs()
            kwargs.setdefault("view", None)  # no buttons now: the old ones go
            kwargs.setdefault("attachments", [])  # no image now: the old one goes
            await self._pace()
            await message.edit(**kwargs)

    async def direct(self, member_id: str, reply: Reply) -> None:
        user_id = user_id_of(member_id)
        client = self._client()
        with refusals_for_good(f"member {member_id}"):
            if client._connection._get_private_channel_by_user(user_id) is None:
                await self._pace()  # create_dm will open the channel: a request of its own
            dm = await client.create_dm(discord.Object(id=user_id))
            await self._pace()
            await dm.send(**render(reply).kwargs())

    # --- EventHost -----------------------------------------------------------------------------------------------

    async def put_event(self, event: NativeEvent, event_id: str | None) -> str:
        guild_id = guild_id_of(event.community_id)
        http = self._client().http
        fields = event_fields(event)
        with event_refusals(event.community_id):
            if event_id is not None and event_id.isdigit():
                try:
                    await self._pace()
                    edited = await http.edit_scheduled_event(guild_id, int(event_id), channel_id=None, **fields)
                    return str(edited["id"])
                except discord.NotFound as gone:
                    if gone.code != UNKNOWN_EVENT:
                        raise
                    log.info("the scheduled event %s of %s was deleted: creating it afresh", event_id,
                             event.community_id)
            await self._pace()
            created = await http.create_guild_scheduled_event(guild_id, **fields)
            return str(created["id"])

    async def cancel_event(self, community_id: str, event_id: str) -> None:
        guild_id = guild_id_of(community_id)
        if not event_id.isdigit():
            return  # not an id Discord gave: nothing there to cancel
        with event_refusals(community_id):
            try:
                await self._pace()
                await self._client().http.edit_scheduled_event(guild_id, int(event_id), status=EVENT_CANCELLED)
            except discord.HTTPException as error:
                if error.code not in (UNKNOWN_EVENT, INVALID_FORM):
                    raise
                # gone (10070), or no longer scheduled (50035: an ended or cancelled event cannot change status)
                log.info("the scheduled event %s of %s is already over (%s): left as it is", event_id, community_id,
                         error.code)

    # --- ThreadHost ----------------------------------------------------------------------------------------------

    async def open_thread(self, channel_id: str, message_id: str, name: str) -> str:
        http = self._client().http
        with thread_refusals(f"message {message_id} in channel {channel_id}"):
            try:
                await self._pace()
                thread = await http.start_thread_with_message(int(channel_id), int(message_id),
                                                              name=clip(name, MAX_NAME) or "Discussion",
                                                              auto_archive_duration=THREAD_ARCHIVE_MINUTES)
            except discord.HTTPException as error:
                if error.code != THREAD_EXISTS:
                    raise
                return message_id  # made by an earlier attempt: a message's thread has the message's id
        return str(thread["id"])

    def thread_link(self, thread_id: str) -> str:
        return f"<#{thread_id}>"

    async def _pace(self) -> None:
        if self.pacer is not None:
            await self.pacer.take()

    def _client(self) -> discord.Client:
        if self.client is None:
            raise RuntimeError("the Discord notifier has no client yet")
        return self.client


def event_fields(event: NativeEvent) -> dict[str, Any]:
    """The JSON of an EXTERNAL, server-only scheduled event, clipped to Discord's limits (times in UTC)."""
    return {
        "name": clip(event.name, MAX_NAME),
        "description": clip(event.description, MAX_DESCRIPTION) or None,
        "scheduled_start_time": event.start.astimezone(UTC).isoformat(),
        "scheduled_end_time": event.end.astimezone(UTC).isoformat(),
        "entity_type": EXTERNAL,
        "privacy_level": GUILD_ONLY,
        "entity_metadata": {"location": clip(event.location, MAX_LOCATION)},
    }


def clip(text: str, limit: int) -> str:
    """At most `limit` characters, an ellipsis marking a cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def guild_id_of(community_id: str) -> int:
    """The Discord guild id in a namespaced community id ('discord:123' -> 123)."""
    platform, _, raw = community_id.partition(":")
    if platform != PLATFORM or not raw.isdigit():
        raise Undeliverable(f"{community_id!r} is not a Discord server")
    return int(raw)


def nonce_of(key: str) -> str:
    """A nonce Discord takes (at most 25 characters) that only this occurrence key makes."""
    return hashlib.blake2b(key.encode(), digest_size=16).hexdigest()[:NONCE_LENGTH]


def user_id_of(member_id: str) -> int:
    """The Discord user id in a namespaced member id ('discord:123' -> 123)."""
    platform, _, raw = member_id.partition(":")
    if platform != PLATFORM or not raw.isdigit():
        raise Undeliverable(f"{member_id!r} is not a Discord member")
    return int(raw)


@contextmanager
def refusals_for_good(target: str, also: Mapping[int, str] | None = None) -> Iterator[None]:
    """Turn Discord's permanent refusals (and the codes in `also`) into `Undeliverable`; let every other failure
    through unchanged."""
    try:
        yield
    except discord.HTTPException as error:
        known = {**PERMANENT, **(also or {})}
        if error.code in known:
            raise Undeliverable(f"Discord refused a message to {target}: {error.code} {known[error.code]}") from error
        raise


@contextmanager
def event_refusals(community_id: str) -> Iterator[None]:
    """Missing Manage Events (50013) is `Unpermitted`; any other 4xx (a field Discord will not take, 100 events
    already, a server the bot left) is `Undeliverable` with Discord's reason; a 5xx is raised as it is."""
    try:
        yield
    except discord.HTTPException as error:
        if error.code == 50013:
            raise Unpermitted(MANAGE_EVENTS, f"scheduled events in {community_id}") from error
        if 400 <= error.status < 500 and error.status != 429:
            raise Undeliverable(f"Discord refused a scheduled event in {community_id}: {error}") from error
        raise


@contextmanager
def thread_refusals(target: str) -> Iterator[None]:
    """No Create Public Threads (50013), or no access to the channel (50001), is `Unpermitted`; the message or the
    channel gone, or a channel that takes no threads, is `Undeliverable`; a 5xx is raised as it is."""
    try:
        yield
    except discord.HTTPException as error:
        if error.code in (50001, 50013):
            raise Unpermitted(CREATE_PUBLIC_THREADS, target) from error
        if 400 <= error.status < 500 and error.status != 429:
            raise Undeliverable(f"Discord refused a thread on {target}: {error}") from error
        raise
