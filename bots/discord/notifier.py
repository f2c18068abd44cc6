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
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime

import discord

from bots.discord.render import render
from commands.replies import Reply
from core.engine.errors import Undeliverable

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


class DiscordNotifier:
    platform = PLATFORM

    def __init__(self, client: discord.Client | None = None) -> None:
        self.client = client  # set once the client exists: services are built before it

    async def post(self, channel_id: str, reply: Reply, *, key: str | None = None,
                   since: datetime | None = None) -> str | None:
        channel = self._client().get_partial_messageable(int(channel_id))
        with refusals_for_good(f"channel {channel_id}"):
            kwargs = render(reply).kwargs()
            if key:
                kwargs["nonce"] = nonce_of(key)
            message = await channel.send(**kwargs)
        return str(message.id)

    async def edit(self, channel_id: str, message_id: str, reply: Reply) -> None:
        message = self._client().get_partial_messageable(int(channel_id)).get_partial_message(int(message_id))
        with refusals_for_good(f"message {message_id} in channel {channel_id}", also=GONE):
            kwargs = render(reply).edit_kwargs()
            kwargs.setdefault("view", None)  # no buttons now: the old ones go
            kwargs.setdefault("attachments", [])  # no image now: the old one goes
            await message.edit(**kwargs)

    async def direct(self, member_id: str, reply: Reply) -> None:
        user_id = user_id_of(member_id)
        with refusals_for_good(f"member {member_id}"):
            dm = await self._client().create_dm(discord.Object(id=user_id))
            await dm.send(**render(reply).kwargs())

    def _client(self) -> discord.Client:
        if self.client is None:
            raise RuntimeError("the Discord notifier has no client yet")
        return self.client


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
