"""An in-process stand-in of Discord (REST + Gateway) for adapter tests.

Why this exists
---------------
The Discord adapter must be tested through the *real* discord.py code paths — gateway handshake, the
``CommandTree`` dispatch, the interaction-response HTTP calls, rate-limit handling — not through mocks of
discord.py internals, which would only prove that our mocks agree with our code.  This module serves a small,
faithful imitation of the parts of Discord that the bot touches, on ``127.0.0.1`` and a free port, so a real
``discord.Client`` can log in, connect, receive interactions and answer them, while the test reads back every
HTTP call it made.

discord.py is pointed at the stand-in through two public class attributes (see ``/work/shared/PLATFORMS.md``):
``discord.http.Route.BASE`` (REST, interaction callbacks and webhooks) and
``discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY`` (the websocket).  :meth:`DiscordStandIn.patch_discord`
sets both and restores them afterwards.

Typical use::

    async with DiscordStandIn() as discord_api:
        with discord_api.patch_discord():
            client = MyClient(intents=discord.Intents.default(), guild_ready_timeout=0.05)
            task = asyncio.create_task(client.start(discord_api.token))
            ...
            sent = await discord_api.send_interaction(discord_api.slash_command("rounds config time",
                                                                                 {"value": "09:00"}))
            callback = await discord_api.wait_for_callback(sent["id"])
            await client.close()
            await task

What is deliberately faithful (because discord.py or Discord behave that way and our adapter must cope):

* JSON responses carry ``Content-Type: application/json`` *exactly*; discord.py only parses JSON then.
* Gateway frames are plain text JSON.  discord.py asks for ``compress=zstd-stream`` (or ``zlib-stream``) in the
  gateway URL query, but it only decompresses *binary* frames, so text frames are accepted as they are.
* Interactions must be acknowledged within 3 s (else ``10062 Unknown interaction``) and only once
  (``40060``); follow-ups before the acknowledgement get ``10015 Unknown Webhook``.
* Message limits (2,000 content chars, 10 embeds / 6,000 chars, 25 fields, 5 rows x 5 buttons, 25 select
  options, 25 autocomplete choices) and command-registration limits are enforced with Discord's
  ``50035 Invalid Form Body`` error so that rendering bugs surface as failures, as they would in production.
* A 429 carries ``Retry-After``, ``X-RateLimit-*`` and ``Via: 1.1 google``; without ``Via`` discord.py treats a
  429 as a Cloudflare ban and raises instead of retrying.

Everything the stand-in receives is recorded as a :class:`RecordedCall`; unknown routes answer 404 JSON and are
recorded too, so a test can see what the bot tried to do that the stand-in does not know about.  Uploaded files keep
their bytes (``RecordedCall.files[n]["data"]`` and :meth:`DiscordStandIn.attachment_data`), so a test can compare
what arrived with what was sent.  Permanent refusals are modelled where Discord gives them: a member with closed DMs
(:meth:`DiscordStandIn.close_dms`) gets ``50007`` on the message, an unknown channel ``10003``, and
:meth:`DiscordStandIn.refuse_channel` makes a channel answer ``50001`` / ``50013`` like one the bot lost access to.
A message created with a ``nonce`` and ``enforce_nonce: true`` (what discord.py sends when given a nonce) is checked
for uniqueness the way Discord documents it: if the same author created a message with that nonce in the past few
minutes (:data:`NONCE_WINDOW`), that message is returned and no new one is created (counted in
:attr:`DiscordStandIn.nonce_repeats`).  :meth:`DiscordStandIn.hold_answers` delays the answer to requests the
stand-in has already carried out, as a slow network back to the bot does: what a process killed meanwhile never
learns was delivered.

Study sessions: Guild Scheduled Events (``/guilds/{g}/scheduled-events[/{e}]``: POST, GET, PATCH, DELETE) are checked
as Discord checks them — name 1–100, description up to 1,000, ``privacy_level`` 2, ``entity_type`` present, an
EXTERNAL event's ``entity_metadata.location`` and end time, the end after the start, no start in the past by the
stand-in's ``clock`` — and refused with ``403 50013`` unless the bot holds Manage Events (Create Events suffices for
its own).  A thread started on a message (``POST /channels/{c}/messages/{m}/threads``) needs Create Public Threads
(or Manage Threads) and becomes a channel with the message's id.  The bot's permissions are its own role's:
:meth:`DiscordStandIn.grant_bot` / :meth:`DiscordStandIn.revoke_bot`.  Accepted event changes are kept in
:attr:`DiscordStandIn.event_log`.

Rate limits (opt-in, :meth:`DiscordStandIn.enforce_rate_limits`; off by default so other tests are unaffected): a
global limit of N requests a second across the bot's REST calls, as a token bucket (interaction callbacks and
webhooks are exempt, as on Discord), answered over it with a global 429 (``X-RateLimit-Global``, scope ``global``,
``{"global": true}``); and Discord's per-channel bucket for ``POST /channels/{id}/messages`` (5 per 5 s), whose
``X-RateLimit-*`` headers let discord.py pace itself per bucket, as it does on Discord.  Every 429 and every request
let through is kept with its time (:meth:`DiscordStandIn.rate_stats`) so a benchmark can report what it achieved.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import itertools
import json
import math
import re
import secrets
import time
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Iterator,
    Mapping,
    Sequence,
)
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Self

import yarl
from aiohttp import WSMsgType, web

__all__ = [
    "ADMIN_USER_ID",
    "ALL_PERMISSIONS",
    "API_PREFIX",
    "APPLICATION_ID",
    "BOT_USER_ID",
    "DEFAULT_TOKEN",
    "EVERYONE_PERMISSIONS",
    "GENERAL_CHANNEL_ID",
    "GUILD_ID",
    "MEMBER_USER_ID",
    "MODERATOR_PERMISSIONS",
    "MODERATOR_ROLE_ID",
    "STUDY_HALL_CHANNEL_ID",
    "STUDY_ROOM_VOICE_ID",
    "ChannelSpec",
    "DiscordStandIn",
    "GatewaySession",
    "GuildSpec",
    "InteractionRecord",
    "MemberSpec",
    "Permission",
    "RateStats",
    "RecordedCall",
    "RoleSpec",
    "UserSpec",
    "default_guild",
]

#: Path prefix of the REST API; discord.py 2.x speaks API v10.
API_PREFIX = "/api/v10"
#: The websocket path; ``DEFAULT_GATEWAY`` points here.
GATEWAY_PATH = "/gateway"
#: The token the stand-in accepts by default (``Authorization: Bot <token>``, IDENTIFY ``token``).
DEFAULT_TOKEN = "standin.bot.token"

DISCORD_EPOCH_MS = 1420070400000

# Fixed, realistic-looking snowflakes so tests can refer to the default fixtures by name.
APPLICATION_ID = 1200000000000000001
BOT_USER_ID = APPLICATION_ID  # Discord gives a bot user the application's id.
GUILD_ID = 1200000000000000100
GENERAL_CHANNEL_ID = 1200000000000000101
STUDY_HALL_CHANNEL_ID = 1200000000000000102
STUDY_ROOM_VOICE_ID = 1200000000000000103
MODERATOR_ROLE_ID = 1200000000000000201
ADMIN_USER_ID = 1200000000000000301
MEMBER_USER_ID = 1200000000000000302
#: The bot's own role in a guild has the guild's id plus this (so the default guild's is 1200000000000000250).
BOT_ROLE_OFFSET = 150


class Permission:
    """Discord permission bits the Rounds bot cares about (values from the Discord API docs)."""

    ADD_REACTIONS = 1 << 6
    ADMINISTRATOR = 1 << 3
    MANAGE_GUILD = 1 << 5
    VIEW_CHANNEL = 1 << 10
    SEND_MESSAGES = 1 << 11
    MANAGE_MESSAGES = 1 << 13
    EMBED_LINKS = 1 << 14
    ATTACH_FILES = 1 << 15
    READ_MESSAGE_HISTORY = 1 << 16
    MENTION_EVERYONE = 1 << 17
    CONNECT = 1 << 20
    SPEAK = 1 << 21
    USE_APPLICATION_COMMANDS = 1 << 31
    MANAGE_EVENTS = 1 << 33
    MANAGE_THREADS = 1 << 34
    CREATE_PUBLIC_THREADS = 1 << 35
    SEND_MESSAGES_IN_THREADS = 1 << 38
    CREATE_EVENTS = 1 << 44


EVERYONE_PERMISSIONS = (
    Permission.VIEW_CHANNEL
    | Permission.SEND_MESSAGES
    | Permission.EMBED_LINKS
    | Permission.ATTACH_FILES
    | Permission.READ_MESSAGE_HISTORY
    | Permission.ADD_REACTIONS
    | Permission.USE_APPLICATION_COMMANDS
    | Permission.SEND_MESSAGES_IN_THREADS
    | Permission.CONNECT
    | Permission.SPEAK
)
MODERATOR_PERMISSIONS = (
    EVERYONE_PERMISSIONS | Permission.MANAGE_GUILD | Permission.MANAGE_MESSAGES | Permission.MANAGE_EVENTS
)
ALL_PERMISSIONS = (1 << 53) - 1

#: Discord's answers to messages it will never accept: code -> (HTTP status, message).
REFUSALS: dict[int, tuple[int, str]] = {
    10003: (404, "Unknown Channel"),
    50001: (403, "Missing Access"),
    50007: (403, "Cannot send messages to this user"),
    50013: (403, "Missing Permissions"),
}

#: Guild Scheduled Event statuses and the edits Discord allows between them (SCHEDULED -> ACTIVE or CANCELED,
#: ACTIVE -> COMPLETED); a COMPLETED or CANCELED event cannot change any more.
EVENT_SCHEDULED, EVENT_ACTIVE, EVENT_COMPLETED, EVENT_CANCELED = 1, 2, 3, 4
_EVENT_TRANSITIONS: dict[int, frozenset[int]] = {
    EVENT_SCHEDULED: frozenset({EVENT_SCHEDULED, EVENT_ACTIVE, EVENT_CANCELED}),
    EVENT_ACTIVE: frozenset({EVENT_ACTIVE, EVENT_COMPLETED}),
}
ENTITY_EXTERNAL = 3
PRIVACY_GUILD_ONLY = 2
#: Thread channel types (public, private) and the archive durations Discord accepts (minutes).
THREAD_TYPES = (11, 12)
ARCHIVE_DURATIONS = (60, 1440, 4320, 10080)

#: Seconds Discord remembers a message's nonce for ``enforce_nonce`` ("the past few minutes"; not specified further).
NONCE_WINDOW = 300.0
MAX_NONCE_LENGTH = 25

# Message flags.
FLAG_EPHEMERAL = 1 << 6
FLAG_LOADING = 1 << 7
FLAG_COMPONENTS_V2 = 1 << 15
FLAG_HAS_THREAD = 1 << 5

# Interaction types and callback types (Discord API).
INTERACTION_PING = 1
INTERACTION_APPLICATION_COMMAND = 2
INTERACTION_MESSAGE_COMPONENT = 3
INTERACTION_AUTOCOMPLETE = 4
INTERACTION_MODAL_SUBMIT = 5

CALLBACK_PONG = 1
CALLBACK_CHANNEL_MESSAGE = 4
CALLBACK_DEFERRED_CHANNEL_MESSAGE = 5
CALLBACK_DEFERRED_UPDATE_MESSAGE = 6
CALLBACK_UPDATE_MESSAGE = 7
CALLBACK_AUTOCOMPLETE_RESULT = 8
CALLBACK_MODAL = 9

_ALLOWED_CALLBACKS: dict[int, frozenset[int]] = {
    INTERACTION_APPLICATION_COMMAND: frozenset({4, 5, 9, 10, 12}),
    INTERACTION_MESSAGE_COMPONENT: frozenset({4, 5, 6, 7, 9, 10, 12}),
    INTERACTION_AUTOCOMPLETE: frozenset({8}),
    INTERACTION_MODAL_SUBMIT: frozenset({4, 5, 6, 7, 10, 12}),
}

# Application-command option types.
OPT_SUB_COMMAND = 1
OPT_SUB_COMMAND_GROUP = 2
OPT_STRING = 3
OPT_INTEGER = 4
OPT_BOOLEAN = 5
OPT_USER = 6
OPT_CHANNEL = 7
OPT_ROLE = 8
OPT_MENTIONABLE = 9
OPT_NUMBER = 10

JsonBody = Any
HandlerResult = tuple[int, JsonBody]
RouteHandler = Callable[["RecordedCall", dict[str, str]], HandlerResult | Awaitable[HandlerResult]]


def _now_iso() -> str:
    """ISO-8601 UTC timestamp, the format Discord uses for ``timestamp`` / ``joined_at``."""
    return datetime.now(UTC).isoformat()


def _fetched(message: Mapping[str, Any]) -> dict[str, Any]:
    """A message as a GET returns it: the nonce is only in the answer to its creation."""
    return {k: v for k, v in message.items() if k != "nonce"}


def _parse_instant(value: Any) -> datetime | None:
    """An ISO-8601 timestamp as Discord accepts it (``Z`` or an offset; a naive one is taken as UTC)."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _truthy(value: str | None) -> bool:
    """Interpret a query flag the way Discord does (``1``/``true`` on, anything else off)."""
    return value is not None and value.lower() in {"1", "true", "yes"}


# --------------------------------------------------------------------------------------------------------------
# Fixture specs: what the fake guild looks like.  Plain dataclasses so a test can build its own guild.
# --------------------------------------------------------------------------------------------------------------


@dataclass
class UserSpec:
    """A Discord user as the stand-in serves it."""

    id: int
    username: str
    global_name: str | None = None
    bot: bool = False

    def to_payload(self) -> dict[str, Any]:
        """The user object discord.py's ``BaseUser._update`` expects (``discriminator`` "0" = new usernames)."""
        return {
            "id": str(self.id),
            "username": self.username,
            "discriminator": "0",
            "global_name": self.global_name,
            "avatar": None,
            "bot": self.bot,
            "public_flags": 0,
            "flags": 0,
        }


@dataclass
class RoleSpec:
    """A guild role; the ``@everyone`` role has the guild's id."""

    id: int
    name: str
    permissions: int
    position: int = 0

    def to_payload(self) -> dict[str, Any]:
        """Role object; ``permissions`` is a string because Discord sends big integers as strings."""
        return {
            "id": str(self.id),
            "name": self.name,
            "permissions": str(self.permissions),
            "position": self.position,
            "color": 0,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "hoist": False,
            "managed": False,
            "mentionable": False,
            "icon": None,
            "unicode_emoji": None,
            "flags": 0,
        }


@dataclass
class ChannelSpec:
    """A guild channel (type 0 text, 2 voice, 4 category, 5 announcement, 15 forum) or a DM (type 1)."""

    id: int
    name: str
    type: int = 0
    position: int = 0
    topic: str | None = None
    parent_id: int | None = None

    def to_payload(self, guild_id: int | None = None) -> dict[str, Any]:
        """Channel object with the keys discord.py's channel classes read unconditionally."""
        payload: dict[str, Any] = {
            "id": str(self.id),
            "type": self.type,
            "name": self.name,
            "position": self.position,
            "permission_overwrites": [],
            "nsfw": False,
            "parent_id": str(self.parent_id) if self.parent_id else None,
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "flags": 0,
        }
        if self.type in (0, 5, 15):
            payload["topic"] = self.topic
        if self.type in (2, 13):
            payload.update({"bitrate": 64000, "user_limit": 0, "rtc_region": None})
        if guild_id is not None:
            payload["guild_id"] = str(guild_id)
        return payload


@dataclass
class MemberSpec:
    """A guild member: a user plus role ids (``@everyone`` is implicit, as in Discord)."""

    user: UserSpec
    roles: list[int] = field(default_factory=list)
    nick: str | None = None
    joined_at: str = "2024-01-01T00:00:00+00:00"

    def to_payload(self, permissions: int | None = None) -> dict[str, Any]:
        """Member object; ``permissions`` is only present inside interactions (computed, as a string)."""
        payload: dict[str, Any] = {
            "user": self.user.to_payload(),
            "roles": [str(r) for r in self.roles],
            "joined_at": self.joined_at,
            "nick": self.nick,
            "avatar": None,
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "pending": False,
            "flags": 0,
            "communication_disabled_until": None,
        }
        if permissions is not None:
            payload["permissions"] = str(permissions)
        return payload


#: Discord sends a large guild's GUILD_CREATE with only some of its members (the gateway's default threshold).
LARGE_THRESHOLD = 250


@dataclass
class GuildSpec:
    """A guild with channels, roles and members, enough for discord.py to build a usable ``Guild``."""

    id: int
    name: str
    owner_id: int
    channels: list[ChannelSpec]
    roles: list[RoleSpec]
    members: list[MemberSpec]
    preferred_locale: str = "en-US"

    def role(self, role_id: int) -> RoleSpec | None:
        """The role with this id, if any."""
        return next((r for r in self.roles if r.id == role_id), None)

    def member(self, user_id: int) -> MemberSpec | None:
        """The member with this user id, if any."""
        return next((m for m in self.members if m.user.id == user_id), None)

    def channel(self, channel_id: int) -> ChannelSpec | None:
        """The channel with this id, if any."""
        return next((c for c in self.channels if c.id == channel_id), None)

    def first_text_channel(self) -> ChannelSpec:
        """The default channel for interactions when a test does not name one."""
        return next(c for c in self.channels if c.type == 0)

    def permissions_of(self, user_id: int) -> int:
        """Guild-level permissions: owner and ADMINISTRATOR get everything, else the OR of role permissions.

        Channel overwrites are ignored; the adapter's permission checks read ``member.permissions`` which
        Discord computes per channel, and tests override it with ``member_permissions=`` when it matters.
        """
        if user_id == self.owner_id:
            return ALL_PERMISSIONS
        everyone = self.role(self.id)
        perms = everyone.permissions if everyone else 0
        member = self.member(user_id)
        for role_id in member.roles if member else []:
            role = self.role(role_id)
            if role:
                perms |= role.permissions
        return ALL_PERMISSIONS if perms & Permission.ADMINISTRATOR else perms

    def to_payload(self) -> dict[str, Any]:
        """The GUILD_CREATE payload (guild object plus the gateway-only lists)."""
        return {
            "id": str(self.id),
            "name": self.name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": str(self.owner_id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 1,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "premium_progress_bar_enabled": False,
            "preferred_locale": self.preferred_locale,
            "system_channel_id": str(self.first_text_channel().id),
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "safety_alerts_channel_id": None,
            "vanity_url_code": None,
            "features": [],
            "roles": [r.to_payload() for r in self.roles],
            "emojis": [],
            "stickers": [],
            "joined_at": "2024-01-01T00:00:00+00:00",
            "large": len(self.members) > LARGE_THRESHOLD,
            "unavailable": False,
            "member_count": len(self.members),
            "max_members": 500000,
            "voice_states": [],
            "members": [m.to_payload() for m in self.members[:LARGE_THRESHOLD]],  # a large guild sends only some
            "channels": [c.to_payload() for c in self.channels],
            "threads": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
        }


def default_guild() -> GuildSpec:
    """A small IMG study guild: #general, #study-hall, a voice room, a Moderator role, an admin and a member.

    The bot's own member is added by :class:`DiscordStandIn`, so ``guild.me`` exists as in real Discord.
    """
    admin = UserSpec(ADMIN_USER_ID, "dr_admin", "Dr Admin")
    student = UserSpec(MEMBER_USER_ID, "img_student", "IMG Student")
    return GuildSpec(
        id=GUILD_ID,
        name="Rounds Test Guild",
        owner_id=ADMIN_USER_ID,
        channels=[
            ChannelSpec(GENERAL_CHANNEL_ID, "general", 0, 0, "Say hi"),
            ChannelSpec(STUDY_HALL_CHANNEL_ID, "study-hall", 0, 1, "Question of the day"),
            ChannelSpec(STUDY_ROOM_VOICE_ID, "study-room", 2, 2),
        ],
        roles=[
            RoleSpec(GUILD_ID, "@everyone", EVERYONE_PERMISSIONS, 0),
            RoleSpec(MODERATOR_ROLE_ID, "Moderator", MODERATOR_PERMISSIONS, 1),
        ],
        members=[MemberSpec(admin, [MODERATOR_ROLE_ID]), MemberSpec(student, [])],
    )


# --------------------------------------------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------------------------------------------


@dataclass
class RecordedCall:
    """One HTTP request the stand-in received, and how it answered.

    ``path`` is relative to the API base (``/channels/1/messages``), so assertions do not depend on the port.
    ``json`` is the parsed JSON body — for multipart uploads, the parsed ``payload_json`` part — and ``files``
    describes the uploaded files.  ``received_at`` is ``time.monotonic()`` when the request arrived.
    """

    method: str
    path: str
    query: dict[str, str]
    json: JsonBody
    headers: dict[str, str]
    received_at: float
    files: list[dict[str, Any]] = field(default_factory=list)
    route: str | None = None
    params: dict[str, str] = field(default_factory=dict)
    status: int = 0
    response: JsonBody = None
    injected: bool = False
    #: The ``X-RateLimit-*`` headers of the answer, when an enforced per-route bucket counted the request.
    rate_headers: dict[str, str] = field(default_factory=dict)

    @property
    def unknown(self) -> bool:
        """True when no route of the stand-in matched (the call was answered with a catch-all 404)."""
        return self.route is None and not self.injected


@dataclass
class InteractionRecord:
    """An interaction the stand-in sent, with what the bot did about it (for deadlines and ack latency)."""

    payload: dict[str, Any]
    sent_at: float
    acked_at: float | None = None
    callback_type: int | None = None
    original_message_id: str | None = None

    @property
    def id(self) -> str:
        """The interaction id (a string, as on the wire)."""
        return str(self.payload["id"])

    @property
    def token(self) -> str:
        """The interaction token used in callback and webhook URLs."""
        return str(self.payload["token"])

    @property
    def ack_latency(self) -> float | None:
        """Seconds from INTERACTION_CREATE being sent to the first callback arriving, if acknowledged."""
        return None if self.acked_at is None else self.acked_at - self.sent_at


@dataclass
class _Fault:
    """A queued fault: the next ``times`` matching requests get ``status``/``body`` (or just a delay)."""

    path_prefix: str
    method: str | None
    status: int | None
    body: JsonBody
    headers: dict[str, str]
    times: int
    delay: float = 0.0


class _TokenBucket:
    """Discord's global limit as a token bucket: ``capacity`` tokens, refilled at ``rate`` a second; a request takes
    one. Times are passed in (``time.monotonic()`` in use), so the arithmetic is testable without waiting."""

    def __init__(self, rate: float, capacity: float) -> None:
        self.rate, self.capacity = rate, capacity
        self.tokens = capacity
        self.stamp: float | None = None

    def _refill(self, now: float) -> None:
        if self.stamp is not None:
            self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    def wait(self, now: float) -> float:
        """Seconds until a token is there (0: one is there now)."""
        self._refill(now)
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def take(self) -> None:
        self.tokens -= 1


@dataclass
class _Window:
    """A per-route bucket as Discord keeps one (for one channel): ``limit`` requests in a window of ``period``
    seconds that starts with the first request after the last window ended."""

    limit: int
    period: float
    started: float = -math.inf
    used: int = 0

    def reset_after(self, now: float) -> float:
        """Seconds until the window ends (a new one starts with the next request if it already ended)."""
        if now >= self.started + self.period:
            self.started, self.used = now, 0
        return self.started + self.period - now

    @property
    def remaining(self) -> int:
        return self.limit - self.used


#: The bucket hash Discord gives ``POST /channels/{id}/messages`` (one hash, one bucket per channel id).
MESSAGE_BUCKET = "standin-channel-messages"
#: Paths Discord's global limit does not count: interaction responses and webhooks.
RATE_EXEMPT = ("/interactions/", "/webhooks/")
_MESSAGE_ROUTE = re.compile(r"/channels/(\d+)/messages/?")


@dataclass
class RateStats:
    """What the rate limiter saw while enforced: the ``time.monotonic()`` of every request it let through, and
    ``(time, scope, method path)`` of every 429 answered (the enforced ones and any a test injected)."""

    accepted: list[float] = field(default_factory=list)
    limited: list[tuple[float, str, str]] = field(default_factory=list)

    @property
    def global_429s(self) -> int:
        return sum(1 for _, scope, _ in self.limited if scope == "global")

    @property
    def route_429s(self) -> int:
        return sum(1 for _, scope, _ in self.limited if scope != "global")

    def rate(self) -> float:
        """Accepted requests a second from the first to the last (0 for fewer than two)."""
        if len(self.accepted) < 2:
            return 0.0
        return (len(self.accepted) - 1) / (self.accepted[-1] - self.accepted[0] or math.inf)


@dataclass
class _RateLimits:
    """The switch and state behind :meth:`DiscordStandIn.enforce_rate_limits`."""

    bucket: _TokenBucket
    message_limit: tuple[int, float] | None
    windows: dict[str, _Window] = field(default_factory=dict)
    stats: RateStats = field(default_factory=RateStats)


@dataclass
class GatewaySession:
    """One websocket connection from a bot (a new one after each reconnect)."""

    ws: web.WebSocketResponse
    query: dict[str, str]
    session_id: str
    seq: int = 0
    identify: dict[str, Any] | None = None
    resumed: bool = False
    heartbeats: int = 0
    received: list[dict[str, Any]] = field(default_factory=list)
    send_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def is_identified(self) -> bool:
        """True once IDENTIFY (or RESUME) was accepted, i.e. events may be dispatched to it."""
        return (self.identify is not None or self.resumed) and not self.ws.closed


# --------------------------------------------------------------------------------------------------------------
# The stand-in
# --------------------------------------------------------------------------------------------------------------


class DiscordStandIn:
    """A local Discord for one test: REST under ``/api/v10`` and a Gateway at ``/gateway`` on 127.0.0.1.

    Construct, ``await start()`` (or ``async with``), point discord.py at it with :meth:`patch_discord`, run a
    real client, drive it with :meth:`send_interaction` / :meth:`dispatch`, and read back :attr:`calls`.
    """

    def __init__(
        self,
        *,
        token: str | None = DEFAULT_TOKEN,
        application_id: int = APPLICATION_ID,
        bot_user: UserSpec | None = None,
        guilds: Sequence[GuildSpec] | None = None,
        heartbeat_interval_ms: int = 41250,
        ack_deadline: float = 3.0,
        allowed_privileged_intents: int | None = None,
        validate: bool = True,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        """Configure the fake Discord.

        :param token: the bot token to accept; ``None`` accepts any token (a wrong one gets 401 / close 4004,
            so a test can check how the bot handles a bad token).
        :param guilds: guilds the bot is in (default: :func:`default_guild`).  The bot's member is added.
        :param ack_deadline: seconds within which an interaction must get its first callback (Discord: 3 s).
        :param allowed_privileged_intents: if set, IDENTIFY asking for privileged intents (members, presences,
            message content) not in this mask is closed with 4014, like an app without them enabled.
        :param validate: enforce Discord's message / command limits with 400 ``50035`` errors.
        :param clock: the stand-in's "now" (an aware datetime) for the rules that depend on it: a scheduled
            event may not start in the past.  Default: the wall clock; pass the test's fake clock (``clock.now``)
            when the test's instants are not today's.

        The bot's member gets a role of its own in each guild (as an invited bot does), with no permissions beyond
        ``@everyone``: :meth:`grant_bot` / :meth:`revoke_bot` change it (and tell a connected bot, as Discord does).
        """
        self.token = token
        self.application_id = application_id
        self.bot_user = bot_user or UserSpec(application_id, "rounds-bot", "Rounds", bot=True)
        self.guilds: list[GuildSpec] = list(guilds) if guilds is not None else [default_guild()]
        for guild in self.guilds:
            if guild.member(self.bot_user.id) is None:
                guild.members.append(MemberSpec(self.bot_user, []))
            bot_role = RoleSpec(guild.id + BOT_ROLE_OFFSET, self.bot_user.username, 0, 1)
            if guild.role(bot_role.id) is None:
                guild.roles.append(bot_role)
            bot_member = guild.member(self.bot_user.id)
            if bot_member is not None and bot_role.id not in bot_member.roles:
                bot_member.roles.append(bot_role.id)
        self.clock = clock or (lambda: datetime.now(UTC))
        self._user_index: tuple[int, dict[int, UserSpec]] = (-1, {})
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.ack_deadline = ack_deadline
        self.allowed_privileged_intents = allowed_privileged_intents
        self.validate = validate

        #: Every HTTP request received, in the order their handling finished.
        self.calls: list[RecordedCall] = []
        #: Every gateway connection made, newest last.
        self.sessions: list[GatewaySession] = []
        #: Interactions sent, by id.
        self.interactions: dict[str, InteractionRecord] = {}
        #: Registered application commands: key ``None`` for global, else the guild id.
        self.commands: dict[int | None, list[dict[str, Any]]] = {}
        #: Messages the bot created (channel posts, interaction responses, follow-ups), by id; edits applied.
        self.messages: dict[str, dict[str, Any]] = {}
        #: Guild scheduled events by id (edits applied; a deleted one is gone, see :attr:`deleted_events`).
        self.scheduled_events: dict[str, dict[str, Any]] = {}
        #: Every accepted scheduled-event change, in order: ``(action, event id, body)``, action one of
        #: ``"create"``, ``"edit"``, ``"delete"`` (body ``{}``).
        self.event_log: list[tuple[str, str, dict[str, Any]]] = []
        #: Scheduled events deleted, as they were just before, by id.
        self.deleted_events: dict[str, dict[str, Any]] = {}
        #: Threads started from messages, by thread id (Discord gives such a thread its message's id).
        self.threads: dict[str, dict[str, Any]] = {}
        self._thread_specs: dict[int, tuple[ChannelSpec, GuildSpec]] = {}

        self._interactions_by_token: dict[str, InteractionRecord] = {}
        self._message_order: list[str] = []
        self._dm_channels: dict[int, ChannelSpec] = {}
        #: Users whose DMs refuse the bot (privacy settings, or the bot is blocked): messages get 50007.
        self.closed_dms: set[int] = set()
        #: The bytes of every attachment the bot uploaded, by attachment id.
        self.attachments: dict[str, bytes] = {}
        self._faults: list[_Fault] = []
        self._holds: list[_Fault] = []
        self._limits: _RateLimits | None = None
        #: Requests carried out whose answer :meth:`hold_answers` is still holding back.
        self.held: list[RecordedCall] = []
        #: (author id, nonce) -> (message id, time.monotonic() of its creation), for ``enforce_nonce``.
        self._nonces: dict[tuple[str, str], tuple[str, float]] = {}
        #: Ids of messages returned again because a create repeated their nonce (no new message was made).
        self.nonce_repeats: list[str] = []
        self._custom_routes: list[tuple[str, re.Pattern[str], str, RouteHandler]] = []
        self._routes = self._build_routes()
        self._ids = itertools.count(1)
        self._changed = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    # ----------------------------------------------------------------------------------------------------------
    # Lifecycle
    # ----------------------------------------------------------------------------------------------------------

    async def start(self) -> DiscordStandIn:
        """Serve on 127.0.0.1 on a free port (port 0 lets the OS choose, so parallel tests never collide)."""
        if self._runner is not None:
            return self
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("GET", GATEWAY_PATH, self._gateway_handler)
        app.router.add_route("GET", GATEWAY_PATH + "/", self._gateway_handler)
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._rest_handler)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self._runner = runner
        self._port = int(runner.addresses[0][1])
        return self

    async def stop(self) -> None:
        """Close every gateway connection and the server.

        Close the discord.py client first: a server-side close makes discord.py try to reconnect.
        """
        for session in self.sessions:
            if not session.ws.closed:
                with contextlib.suppress(Exception):
                    await session.ws.close(code=1001, message=b"stand-in stopping")
        if self._runner is not None:
            await self._runner.cleanup()
        self._runner = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        """The TCP port the stand-in listens on (only after :meth:`start`)."""
        if self._port is None:
            raise RuntimeError("DiscordStandIn is not started")
        return self._port

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def rest_base(self) -> str:
        """The value for ``discord.http.Route.BASE``."""
        return self.base_url + API_PREFIX

    @property
    def gateway_url(self) -> str:
        """The websocket URL; ``DiscordWebSocket.DEFAULT_GATEWAY`` must be ``yarl.URL(gateway_url)``."""
        return f"ws://127.0.0.1:{self.port}{GATEWAY_PATH}"

    @contextlib.contextmanager
    def patch_discord(self) -> Iterator[None]:
        """Point discord.py at this stand-in, restoring the previous endpoints on exit.

        These are class attributes, read when a ``Route`` is built and when the websocket connects, so they
        must be set before ``client.start()`` and restored afterwards to keep tests independent.
        """
        import discord.gateway
        import discord.http

        old_base = discord.http.Route.BASE
        old_gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
        discord.http.Route.BASE = self.rest_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.gateway_url)
        try:
            yield
        finally:
            discord.http.Route.BASE = old_base
            discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old_gateway

    # ----------------------------------------------------------------------------------------------------------
    # Ids and lookups
    # ----------------------------------------------------------------------------------------------------------

    def new_id(self) -> str:
        """A fresh snowflake (timestamp-based so discord.py's ``created_at`` is sensible)."""
        ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        return str((ms << 22) | (1 << 17) | (next(self._ids) & 0x1FFFF))

    @property
    def guild(self) -> GuildSpec:
        """The first (default) guild."""
        return self.guilds[0]

    def guild_by_id(self, guild_id: int | str) -> GuildSpec | None:
        """The configured guild with this id, if any."""
        return next((g for g in self.guilds if g.id == int(guild_id)), None)

    def _find_channel(self, channel_id: int | str) -> tuple[ChannelSpec | None, GuildSpec | None]:
        cid = int(channel_id)
        for guild in self.guilds:
            channel = guild.channel(cid)
            if channel is not None:
                return channel, guild
        if cid in self._thread_specs:
            return self._thread_specs[cid]
        dm = next((c for c in self._dm_channels.values() if c.id == cid), None)
        return dm, None

    def _channel_payload(self, channel_id: int | str) -> dict[str, Any] | None:
        channel, guild = self._find_channel(channel_id)
        if channel is None:
            return None
        if str(channel.id) in self.threads:
            return self.threads[str(channel.id)]
        if guild is None:  # DM
            recipient = next(uid for uid, c in self._dm_channels.items() if c.id == channel.id)
            user = self._user_by_id(recipient)
            return {
                "id": str(channel.id),
                "type": 1,
                "last_message_id": None,
                "flags": 0,
                "recipients": [user.to_payload()] if user else [],
            }
        return channel.to_payload(guild.id)

    def _dm_recipient(self, channel_id: int) -> int | None:
        return next((uid for uid, c in self._dm_channels.items() if c.id == channel_id), None)

    def dm_channel_of(self, user_id: int | str) -> int | None:
        """The id of the DM channel the bot opened with this user (``POST /users/@me/channels``), if any."""
        channel = self._dm_channels.get(int(user_id))
        return channel.id if channel is not None else None

    def _user_by_id(self, user_id: int | str) -> UserSpec | None:
        uid = int(user_id)
        if uid == self.bot_user.id:
            return self.bot_user
        size = sum(len(guild.members) for guild in self.guilds)
        if self._user_index[0] != size:  # members added since: index them again (a benchmark has 200,000)
            self._user_index = (size, {m.user.id: m.user for guild in self.guilds for m in guild.members})
        return self._user_index[1].get(uid)

    def message(self, message_id: int | str) -> dict[str, Any] | None:
        """A message the bot created (with later edits applied), or ``None``."""
        return self.messages.get(str(message_id))

    def channel_messages(self, channel_id: int | str) -> list[dict[str, Any]]:
        """Messages currently in a channel, oldest first: channel posts, interaction responses and follow-ups.

        Ephemeral responses are included (their ``flags`` has bit 64) because tests usually want to read them.
        """
        cid = str(channel_id)
        present = (self.messages[m] for m in self._message_order if m in self.messages)
        return [m for m in present if m["channel_id"] == cid]

    def registered_commands(self, guild_id: int | None = None) -> list[dict[str, Any]]:
        """Commands the bot synced globally (``guild_id=None``) or to one guild, as stored (with ids)."""
        return list(self.commands.get(guild_id, []))

    # ----------------------------------------------------------------------------------------------------------
    # Recorded calls and waiting
    # ----------------------------------------------------------------------------------------------------------

    def _notify(self) -> None:
        """Wake every waiter; a fresh Event per change avoids lost wake-ups without busy polling."""
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_for(self, predicate: Callable[[RecordedCall], bool], timeout: float = 5.0) -> RecordedCall:
        """Wait until a recorded call (past or future) satisfies ``predicate`` and return the first such call.

        The bot works in background tasks after an event, so tests wait for the effect instead of sleeping.
        Raises ``TimeoutError`` listing what *was* received, which is usually the quickest diagnosis.
        """
        deadline = time.monotonic() + timeout
        seen = 0
        while True:
            for call in self.calls[seen:]:
                if predicate(call):
                    return call
            seen = len(self.calls)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                summary = "\n".join(f"  {c.method} {c.path} -> {c.status}" for c in self.calls) or "  (none)"
                raise TimeoutError(f"no matching call within {timeout}s; received:\n{summary}")
            changed = self._changed
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(changed.wait(), timeout=min(remaining, 0.05))

    def callbacks_for(self, interaction_id: int | str) -> list[RecordedCall]:
        """``POST /interactions/{id}/{token}/callback`` calls for this interaction (including rejected ones)."""
        return [c for c in self.calls if self._is_callback(c, interaction_id)]

    @staticmethod
    def _is_callback(call: RecordedCall, interaction_id: int | str) -> bool:
        prefix = f"/interactions/{interaction_id}/"
        return call.method == "POST" and call.path.startswith(prefix) and call.path.endswith("/callback")

    async def wait_for_callback(self, interaction_id: int | str, timeout: float = 5.0) -> RecordedCall:
        """Wait for the first callback of an interaction."""
        return await self.wait_for(lambda c: self._is_callback(c, interaction_id), timeout)

    def webhook_calls_for(self, interaction_id: int | str) -> list[RecordedCall]:
        """Follow-ups and original-response edits/deletes made with this interaction's token."""
        record = self.interactions.get(str(interaction_id))
        if record is None:
            return []
        prefix = f"/webhooks/{self.application_id}/{record.token}"
        return [c for c in self.calls if c.path == prefix or c.path.startswith(prefix + "/")]

    def calls_to(self, method: str, path_prefix: str) -> list[RecordedCall]:
        """Recorded calls with this method whose path starts with ``path_prefix`` (API prefix optional)."""
        prefix = self._normalise_path(path_prefix)
        return [c for c in self.calls if c.method == method.upper() and c.path.startswith(prefix)]

    @property
    def unknown_calls(self) -> list[RecordedCall]:
        """Calls no route matched (answered 404); an adapter test usually asserts this is empty."""
        return [c for c in self.calls if c.unknown]

    def ack_latency(self, interaction_id: int | str) -> float | None:
        """Seconds from sending an interaction to its first callback, or ``None`` if not acknowledged."""
        record = self.interactions.get(str(interaction_id))
        return None if record is None else record.ack_latency

    def ack_latencies(self) -> dict[str, float]:
        """Ack latency of every acknowledged interaction, by interaction id."""
        return {iid: r.ack_latency for iid, r in self.interactions.items() if r.ack_latency is not None}

    # ----------------------------------------------------------------------------------------------------------
    # Fault injection
    # ----------------------------------------------------------------------------------------------------------

    @staticmethod
    def _normalise_path(path: str) -> str:
        path = path.removeprefix(API_PREFIX)
        return path if path.startswith("/") else "/" + path

    def fail_next(
        self,
        path_prefix: str,
        status: int,
        body: JsonBody = None,
        *,
        method: str | None = None,
        times: int = 1,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Answer the next ``times`` requests under ``path_prefix`` with ``status`` and JSON ``body``.

        E.g. ``fail_next("/channels/1/messages", 403, {"message": "Missing Access", "code": 50001})``.
        Beware that discord.py sleeps 1 s, 3 s, ... before retrying a 500/502/504.
        """
        if body is None:
            body = {"message": f"{status}: injected by stand-in", "code": 0}
        verb = method.upper() if method else None
        self._faults.append(_Fault(self._normalise_path(path_prefix), verb, status, body, dict(headers or {}), times))

    def refuse_channel(self, channel_id: int | str, code: int = 50001, *, times: int = 1) -> None:
        """The next ``times`` messages to a channel get Discord's refusal ``code`` (see :data:`REFUSALS`), e.g.
        50001 Missing Access for a channel the bot was removed from, with the HTTP status Discord uses for it."""
        status, message = REFUSALS[code]
        self.fail_next(f"/channels/{channel_id}/messages", status, {"message": message, "code": code},
                       method="POST", times=times)

    def close_dms(self, user_id: int | str) -> None:
        """The user accepts no DMs from the bot: opening the DM still works, its messages get 50007 (as on Discord)."""
        self.closed_dms.add(int(user_id))

    def attachment_data(self, attachment: Mapping[str, Any] | str) -> bytes:
        """The bytes the bot uploaded for an attachment (an attachment object of a stored message, or its id)."""
        key = str(attachment["id"]) if isinstance(attachment, Mapping) else str(attachment)
        return self.attachments[key]

    def delay_next(self, path_prefix: str, seconds: float, *, method: str | None = None, times: int = 1) -> None:
        """Hold the next ``times`` matching requests for ``seconds`` before handling them normally."""
        verb = method.upper() if method else None
        self._faults.append(_Fault(self._normalise_path(path_prefix), verb, None, None, {}, times, seconds))

    def hold_answers(self, path_prefix: str, seconds: float, *, method: str | None = None, times: int = 1) -> None:
        """Carry out the next ``times`` matching requests at once, but answer each only ``seconds`` later."""
        verb = method.upper() if method else None
        self._holds.append(_Fault(self._normalise_path(path_prefix), verb, None, None, {}, times, seconds))

    def rate_limit_next(
        self,
        path_prefix: str,
        retry_after: float = 0.2,
        times: int = 1,
        *,
        method: str | None = None,
        is_global: bool = False,
    ) -> None:
        """Answer the next ``times`` matching requests with a Discord-shaped 429, then let retries through.

        ``Via: 1.1 google`` is what tells discord.py this is Discord's limiter and not a Cloudflare ban.
        """
        headers = {
            "Retry-After": f"{retry_after:g}",
            "X-RateLimit-Limit": "5",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": f"{time.time() + retry_after:.3f}",
            "X-RateLimit-Reset-After": f"{retry_after:.3f}",
            "X-RateLimit-Bucket": "standin-" + secrets.token_hex(4),
            "X-RateLimit-Scope": "global" if is_global else "user",
            "Via": "1.1 google",
        }
        if is_global:
            headers["X-RateLimit-Global"] = "true"
        body = {"message": "You are being rate limited.", "retry_after": retry_after, "global": is_global}
        self.fail_next(path_prefix, 429, body, method=method, times=times, headers=headers)

    def enforce_rate_limits(
        self,
        per_second: float = 50.0,
        *,
        burst: float | None = None,
        channel_messages: tuple[int, float] | None = (5, 5.0),
    ) -> None:
        """Limit the bot's REST calls as Discord does, until the stand-in stops (off by default).

        :param per_second: the global limit, a token bucket refilled at this rate (Discord's is 50 a second);
            interaction callbacks and webhooks are exempt. Over it: a global 429 (``X-RateLimit-Global: true``,
            ``X-RateLimit-Scope: global``, ``{"global": true}``), ``retry_after`` the time until the next token.
        :param burst: the bucket's size (default: one second's worth, ``per_second``).
        :param channel_messages: ``(limit, period)`` of each channel's ``POST /channels/{id}/messages`` bucket
            (Discord: 5 per 5 s), sent as ``X-RateLimit-*`` headers on every such answer so discord.py waits for the
            reset before the next; over it, a 429 of scope ``user``. ``None``: no per-channel bucket.

        A request refused with a 429 takes no token. :meth:`rate_stats` reads what the limiter saw.
        """
        if per_second <= 0:
            raise ValueError("per_second must be positive")
        self._limits = _RateLimits(_TokenBucket(per_second, burst or per_second), channel_messages)

    def rate_stats(self) -> RateStats:
        """Requests let through and 429s answered since :meth:`enforce_rate_limits` (empty before it)."""
        return self._limits.stats if self._limits is not None else RateStats()

    def _rate_limited(self, call: RecordedCall) -> web.Response | None:
        """A 429 when the request is over the enforced limits, else None (its token and window slot taken)."""
        limits = self._limits
        if limits is None or call.path.startswith(RATE_EXEMPT):
            return None
        now = time.monotonic()
        wait = limits.bucket.wait(now)
        if wait > 0:
            return self._too_many(call, wait, is_global=True)
        window = self._message_window(limits, call)
        reset_after = window.reset_after(now) if window is not None else 0.0
        if window is not None and window.remaining <= 0:
            return self._too_many(call, reset_after, is_global=False, window=window)
        limits.bucket.take()
        if window is not None:
            window.used += 1
            call.rate_headers = self._window_headers(window, reset_after)
        limits.stats.accepted.append(now)
        return None

    @staticmethod
    def _message_window(limits: _RateLimits, call: RecordedCall) -> _Window | None:
        match = _MESSAGE_ROUTE.fullmatch(call.path)
        if match is None or call.method != "POST" or limits.message_limit is None:
            return None
        limit, period = limits.message_limit
        return limits.windows.setdefault(match.group(1), _Window(limit, period))

    @staticmethod
    def _window_headers(window: _Window, reset_after: float) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(window.limit),
            "X-RateLimit-Remaining": str(max(window.remaining, 0)),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": MESSAGE_BUCKET,
        }

    def _too_many(self, call: RecordedCall, retry_after: float, *, is_global: bool,
                  window: _Window | None = None) -> web.Response:
        """Discord's 429: ``Via`` (else discord.py takes it for a Cloudflare ban), the scope, and the body's float
        ``retry_after``, which is what discord.py waits (the header is whole seconds, rounded up)."""
        headers = {"Retry-After": str(math.ceil(retry_after)), "Via": "1.1 google",
                   "X-RateLimit-Scope": "global" if is_global else "user"}
        if is_global:
            headers["X-RateLimit-Global"] = "true"
        if window is not None:
            headers.update(self._window_headers(window, retry_after))
        body = {"message": "You are being rate limited.", "retry_after": round(retry_after, 3), "global": is_global}
        call.route, call.status, call.response = "rate limit", 429, body
        return self._json_response(429, body, headers)

    def _take_fault(self, method: str, path: str) -> _Fault | None:
        for fault in self._faults:
            if path.startswith(fault.path_prefix) and (fault.method is None or fault.method == method):
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    def add_route(self, method: str, template: str, handler: RouteHandler) -> None:
        """Serve an extra REST route (checked before the built-in ones), e.g. for an endpoint not modelled here.

        ``template`` uses ``{name}`` placeholders for path segments, relative to the API base; the handler gets
        the :class:`RecordedCall` and the placeholder values and returns ``(status, json_body)`` (sync or async).
        """
        self._custom_routes.append((method.upper(), self._compile(template), f"{method.upper()} {template}", handler))

    # ----------------------------------------------------------------------------------------------------------
    # Gateway
    # ----------------------------------------------------------------------------------------------------------

    async def _gateway_handler(self, request: web.Request) -> web.WebSocketResponse:
        """One gateway connection: HELLO, then IDENTIFY/RESUME, heartbeats and the few opcodes a bot sends."""
        ws = web.WebSocketResponse(max_msg_size=0, autoping=True)
        await ws.prepare(request)
        session = GatewaySession(ws=ws, query=dict(request.query), session_id=secrets.token_hex(16))
        self.sessions.append(session)
        self._notify()
        if request.query.get("encoding", "json") != "json":
            await ws.close(code=4002, message=b"stand-in only speaks encoding=json")
            return ws
        await self._send_frame(session, {"op": 10, "d": {"heartbeat_interval": self.heartbeat_interval_ms}})
        try:
            async for msg in ws:
                if msg.type is not WSMsgType.TEXT:
                    continue
                frame = json.loads(msg.data)
                session.received.append(frame)
                await self._on_gateway_frame(session, frame)
        finally:
            self._notify()
        return ws

    async def _on_gateway_frame(self, session: GatewaySession, frame: dict[str, Any]) -> None:
        op = frame.get("op")
        data = frame.get("d")
        if op == 1:  # HEARTBEAT
            session.heartbeats += 1
            await self._send_frame(session, {"op": 11})
        elif op == 2:  # IDENTIFY
            await self._on_identify(session, data or {})
        elif op == 6:  # RESUME
            await self._on_resume(session, data or {})
        elif op == 8:  # REQUEST_GUILD_MEMBERS (only with the members intent / explicit chunking)
            await self._on_request_members(session, data or {})
        # op 3 (presence) and 4 (voice state) need no answer; they stay in ``session.received``.

    async def _on_identify(self, session: GatewaySession, data: dict[str, Any]) -> None:
        if self.token is not None and data.get("token") != self.token:
            await session.ws.close(code=4004, message=b"Authentication failed.")
            return
        intents = int(data.get("intents", 0))
        privileged = intents & ((1 << 1) | (1 << 8) | (1 << 15))
        if self.allowed_privileged_intents is not None and privileged & ~self.allowed_privileged_intents:
            await session.ws.close(code=4014, message=b"Disallowed intent(s).")
            return
        session.identify = data
        shard = data.get("shard") or [0, 1]
        ready = {
            "v": 10,
            "user": {**self.bot_user.to_payload(), "verified": True, "mfa_enabled": False, "locale": "en-US"},
            "guilds": [{"id": str(g.id), "unavailable": True} for g in self.guilds],
            "session_id": session.session_id,
            "session_type": "normal",
            "resume_gateway_url": self.gateway_url,
            "application": {"id": str(self.application_id), "flags": 0},
            "shard": shard,
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "geo_ordered_rtc_regions": [],
            "guild_join_requests": [],
            "user_settings": {},
        }
        await self._send_dispatch(session, "READY", ready)
        for guild in self.guilds:
            await self._send_dispatch(session, "GUILD_CREATE", guild.to_payload())
        self._notify()

    async def _on_resume(self, session: GatewaySession, data: dict[str, Any]) -> None:
        previous = next((s for s in self.sessions if s.session_id == data.get("session_id") and s is not session), None)
        if previous is None or (self.token is not None and data.get("token") != self.token):
            await self._send_frame(session, {"op": 9, "d": False})  # INVALID_SESSION, not resumable
            return
        session.session_id = previous.session_id
        session.identify = previous.identify
        session.seq = int(data.get("seq") or previous.seq)
        session.resumed = True
        await self._send_dispatch(session, "RESUMED", {})
        self._notify()

    async def _on_request_members(self, session: GatewaySession, data: dict[str, Any]) -> None:
        guild = self.guild_by_id(data.get("guild_id", 0))
        if guild is None:
            return
        wanted = {str(u) for u in data.get("user_ids") or []}
        members = [m.to_payload() for m in guild.members if not wanted or str(m.user.id) in wanted]
        chunk: dict[str, Any] = {"guild_id": str(guild.id), "members": members, "chunk_index": 0, "chunk_count": 1}
        if data.get("nonce") is not None:
            chunk["nonce"] = data["nonce"]
        await self._send_dispatch(session, "GUILD_MEMBERS_CHUNK", chunk)

    async def _send_frame(self, session: GatewaySession, frame: dict[str, Any]) -> None:
        async with session.send_lock:
            if not session.ws.closed:
                await session.ws.send_str(json.dumps(frame))

    async def _send_dispatch(self, session: GatewaySession, event: str, data: Any) -> None:
        async with session.send_lock:
            session.seq += 1
            if not session.ws.closed:
                await session.ws.send_str(json.dumps({"op": 0, "t": event, "s": session.seq, "d": data}))

    def connected_sessions(self) -> list[GatewaySession]:
        """Open, identified gateway sessions (normally exactly one per running bot)."""
        return [s for s in self.sessions if s.is_identified]

    async def wait_until_connected(self, timeout: float = 5.0, *, new: bool = False) -> GatewaySession:
        """Wait until a bot has identified or resumed (READY and GUILD_CREATE sent) and return its session.

        With ``new=True`` only a connection opened after this call counts — e.g. the RESUME that follows
        :meth:`request_reconnect`, while the old connection may still look alive for a moment.
        """
        deadline = time.monotonic() + timeout
        known = len(self.sessions) if new else 0
        while True:
            sessions = [s for s in self.sessions[known:] if s.is_identified]
            if sessions:
                return sessions[-1]
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no bot identified within {timeout}s ({len(self.sessions)} connection(s))")
            changed = self._changed
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(changed.wait(), timeout=min(remaining, 0.05))

    async def dispatch(self, event: str, data: Any) -> int:
        """Send a DISPATCH (op 0) event to every connected bot; returns how many received it.

        Raises ``RuntimeError`` if no bot is connected, because a silently dropped event makes a test wait for
        an effect that can never happen.
        """
        sessions = self.connected_sessions()
        if not sessions:
            raise RuntimeError(f"cannot dispatch {event}: no bot is connected to the stand-in gateway")
        for session in sessions:
            await self._send_dispatch(session, event, data)
        return len(sessions)

    async def request_reconnect(self) -> None:
        """Send op 7 RECONNECT to every connected bot; discord.py closes and RESUMEs on ``resume_gateway_url``."""
        for session in self.connected_sessions():
            await self._send_frame(session, {"op": 7, "d": None})

    async def send_interaction(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Dispatch INTERACTION_CREATE and start the acknowledgement clock; returns the payload (id, token...).

        Build ``payload`` with :meth:`slash_command`, :meth:`component`, :meth:`autocomplete` or
        :meth:`modal_submit`, or by hand.
        """
        if not self.connected_sessions():
            raise RuntimeError("cannot send an interaction: no bot is connected to the stand-in gateway")
        record = InteractionRecord(payload=payload, sent_at=time.monotonic())
        self.interactions[record.id] = record
        self._interactions_by_token[record.token] = record
        await self.dispatch("INTERACTION_CREATE", payload)
        return payload

    # ----------------------------------------------------------------------------------------------------------
    # Interaction payload builders
    # ----------------------------------------------------------------------------------------------------------

    def _base_interaction(
        self,
        itype: int,
        data: dict[str, Any],
        *,
        user: UserSpec | int | None,
        member_permissions: int | None,
        guild_id: int | None,
        channel_id: int | None,
        locale: str,
        in_dm: bool,
        message: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Fields every interaction carries (the set discord.py 2.7 reads unconditionally, plus context)."""
        if isinstance(user, UserSpec):
            user_spec: UserSpec | None = user
        else:
            user_spec = self._user_by_id(user if user is not None else MEMBER_USER_ID)
            if user_spec is None:
                user_spec = UserSpec(int(user or MEMBER_USER_ID), f"user{user}")
        payload: dict[str, Any] = {
            "id": self.new_id(),
            "application_id": str(self.application_id),
            "type": itype,
            "token": "standin-" + secrets.token_urlsafe(24),
            "version": 1,
            "attachment_size_limit": 10 * 1024 * 1024,
            "data": data,
            "locale": locale,
            "entitlements": [],
        }
        if in_dm:
            dm = self._dm_channel_for(user_spec)
            payload.update(
                {
                    "channel_id": str(dm.id),
                    "channel": self._channel_payload(dm.id),
                    "user": user_spec.to_payload(),
                    "app_permissions": str(EVERYONE_PERMISSIONS),
                    "authorizing_integration_owners": {"0": "0"},
                    "context": 1,
                }
            )
        else:
            guild = self.guild_by_id(guild_id) if guild_id is not None else self.guild
            if guild is None:
                raise ValueError(f"unknown guild {guild_id}")
            channel = guild.channel(channel_id) if channel_id is not None else guild.first_text_channel()
            if channel is None:
                raise ValueError(f"unknown channel {channel_id} in guild {guild.id}")
            member = guild.member(user_spec.id) or MemberSpec(user_spec, [])
            perms = member_permissions if member_permissions is not None else guild.permissions_of(user_spec.id)
            payload.update(
                {
                    "guild_id": str(guild.id),
                    "guild": {"id": str(guild.id), "locale": guild.preferred_locale, "features": []},
                    "guild_locale": guild.preferred_locale,
                    "channel_id": str(channel.id),
                    "channel": channel.to_payload(guild.id),
                    "member": member.to_payload(perms),
                    "app_permissions": str(guild.permissions_of(self.bot_user.id)),
                    "authorizing_integration_owners": {"0": str(guild.id)},
                    "context": 0,
                }
            )
        if message is not None:
            payload["message"] = message
        return payload

    def _find_command(self, name: str, guild_id: int | None) -> dict[str, Any] | None:
        """The registered command a guild user would invoke: guild commands shadow global ones."""
        if guild_id is not None:
            for command in self.commands.get(guild_id, []):
                if command["name"] == name and command.get("type", 1) == 1:
                    return command
        for command in self.commands.get(None, []):
            if command["name"] == name and command.get("type", 1) == 1:
                return command
        return None

    @staticmethod
    def _infer_type(value: Any) -> int:
        if isinstance(value, bool):
            return OPT_BOOLEAN
        if isinstance(value, int):
            return OPT_INTEGER
        if isinstance(value, float):
            return OPT_NUMBER
        return OPT_STRING

    def _command_data(
        self,
        name: str,
        options: Mapping[str, Any] | Sequence[dict[str, Any]] | None,
        *,
        guild_id: int | None,
        focused: str | None,
        resolved: dict[str, Any] | None,
        autocomplete: bool,
    ) -> dict[str, Any]:
        """``data`` for a chat-input command, nesting options under subcommand (1) / group (2) options.

        ``name`` may be a full path ("rounds config time").  Option types come from the command the bot
        registered when there is one (so a user/channel/role option gets its ``resolved`` entry), else from the
        Python type of each value.
        """
        path = name.split()
        if not 1 <= len(path) <= 3:
            raise ValueError(f"command path must have 1-3 words, got {name!r}")
        command = self._find_command(path[0], guild_id)
        schema: list[dict[str, Any]] = command.get("options", []) if command else []
        for part in path[1:]:
            sub = next((o for o in schema if o.get("name") == part and o.get("type") in (1, 2)), None)
            schema = sub.get("options", []) if sub else []
        resolved_out: dict[str, Any] = dict(resolved or {})
        leaf: list[dict[str, Any]]
        if options is None:
            leaf = []
        elif isinstance(options, Mapping):
            leaf = []
            for opt_name, value in options.items():
                declared = next((o for o in schema if o.get("name") == opt_name), None)
                opt_type = declared["type"] if declared else self._infer_type(value)
                if opt_type in (OPT_USER, OPT_CHANNEL, OPT_ROLE, OPT_MENTIONABLE):
                    value = str(getattr(value, "id", value))
                    if not autocomplete:
                        self._resolve(opt_type, value, guild_id, resolved_out)
                leaf.append({"name": opt_name, "type": opt_type, "value": value})
        else:
            leaf = [dict(o) for o in options]
        if autocomplete:
            if focused is None and leaf and not any(o.get("focused") for o in leaf):
                focused = leaf[-1]["name"]
            for option in leaf:
                if option["name"] == focused:
                    option["focused"] = True
        nested: list[dict[str, Any]] = leaf
        if len(path) == 3:
            nested = [{"name": path[1], "type": OPT_SUB_COMMAND_GROUP, "options": [
                {"name": path[2], "type": OPT_SUB_COMMAND, "options": leaf}]}]
        elif len(path) == 2:
            nested = [{"name": path[1], "type": OPT_SUB_COMMAND, "options": leaf}]
        data: dict[str, Any] = {
            "id": command["id"] if command else self.new_id(),
            "name": path[0],
            "type": 1,
            "options": nested,
        }
        if command is not None and command.get("guild_id"):
            # discord.py looks the command up among *guild* commands only when data.guild_id is present.
            data["guild_id"] = command["guild_id"]
        if resolved_out:
            data["resolved"] = resolved_out
        return data

    def _resolve(self, opt_type: int, value: str, guild_id: int | None, out: dict[str, Any]) -> None:
        """Fill ``resolved`` for snowflake options so discord.py yields Member/Role/Channel objects."""
        guild = self.guild_by_id(guild_id) if guild_id is not None else self.guild
        if guild is None:
            return
        if opt_type in (OPT_USER, OPT_MENTIONABLE):
            member = guild.member(int(value))
            if member is not None:
                out.setdefault("users", {})[value] = member.user.to_payload()
                m = member.to_payload(guild.permissions_of(member.user.id))
                m.pop("user")
                out.setdefault("members", {})[value] = m
                return
        if opt_type in (OPT_ROLE, OPT_MENTIONABLE):
            role = guild.role(int(value))
            if role is not None:
                out.setdefault("roles", {})[value] = role.to_payload()
                return
        if opt_type == OPT_CHANNEL:
            channel = guild.channel(int(value))
            if channel is not None:
                payload = channel.to_payload(guild.id)
                payload["permissions"] = str(ALL_PERMISSIONS)
                out.setdefault("channels", {})[value] = payload

    def slash_command(
        self,
        name: str,
        options: Mapping[str, Any] | Sequence[dict[str, Any]] | None = None,
        *,
        user: UserSpec | int | None = None,
        member_permissions: int | None = None,
        guild_id: int | None = None,
        channel_id: int | None = None,
        locale: str = "en-US",
        in_dm: bool = False,
        resolved: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """An APPLICATION_COMMAND (type 2) interaction: ``slash_command("rounds config time", {"value": "09:00"})``.

        :param name: command name, or a space-separated path through a group and subcommand.
        :param options: ``{name: value}`` (types from the registered command, else inferred) or raw option dicts.
        :param user: who invokes it (a :class:`UserSpec` or a member's id; default: the regular member).
        :param member_permissions: override ``member.permissions`` (default: computed from the member's roles).
        :param in_dm: invoke in a DM with the bot (``user`` instead of ``member``, no ``guild_id``).
        """
        gid = None if in_dm else (guild_id if guild_id is not None else self.guild.id)
        data = self._command_data(name, options, guild_id=gid, focused=None, resolved=resolved, autocomplete=False)
        return self._base_interaction(
            INTERACTION_APPLICATION_COMMAND, data, user=user, member_permissions=member_permissions,
            guild_id=gid, channel_id=channel_id, locale=locale, in_dm=in_dm,
        )

    def autocomplete(
        self,
        name: str,
        options: Mapping[str, Any] | Sequence[dict[str, Any]] | None = None,
        *,
        focused: str | None = None,
        user: UserSpec | int | None = None,
        member_permissions: int | None = None,
        guild_id: int | None = None,
        channel_id: int | None = None,
        locale: str = "en-US",
        in_dm: bool = False,
    ) -> dict[str, Any]:
        """An APPLICATION_COMMAND_AUTOCOMPLETE (type 4) interaction; the ``focused`` option (default: the last
        one) is what the user is typing.  Raw option dicts may carry ``"focused": True`` themselves."""
        gid = None if in_dm else (guild_id if guild_id is not None else self.guild.id)
        data = self._command_data(name, options, guild_id=gid, focused=focused, resolved=None, autocomplete=True)
        return self._base_interaction(
            INTERACTION_AUTOCOMPLETE, data, user=user, member_permissions=member_permissions,
            guild_id=gid, channel_id=channel_id, locale=locale, in_dm=in_dm,
        )

    def component(
        self,
        custom_id: str,
        *,
        component_type: int = 2,
        values: Sequence[str] | None = None,
        message_id: int | str | None = None,
        user: UserSpec | int | None = None,
        member_permissions: int | None = None,
        guild_id: int | None = None,
        channel_id: int | None = None,
        locale: str = "en-US",
        in_dm: bool = False,
    ) -> dict[str, Any]:
        """A MESSAGE_COMPONENT (type 3) interaction: a button press (``component_type`` 2) or a select (3, 5-8).

        ``message_id`` names the message carrying the component — a message the bot created here (its
        current payload is used, so discord.py finds a view bound to that message).  Without it, a bot
        message holding just this component is made up, which is what a persistent view or ``DynamicItem``
        (matched on ``custom_id`` alone) needs.
        """
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": component_type}
        if values is not None:
            data["values"] = list(values)
        stored = self.message(message_id) if message_id is not None else None
        if stored is not None:
            message = stored
            channel_id = int(stored["channel_id"]) if channel_id is None else channel_id
        else:
            gid = guild_id if guild_id is not None else self.guild.id
            guild = self.guild_by_id(gid)
            cid = channel_id if channel_id is not None else (guild.first_text_channel().id if guild else 0)
            if in_dm:
                user_spec = user if isinstance(user, UserSpec) else self._user_by_id(user or MEMBER_USER_ID)
                cid = self._dm_channel_for(user_spec or UserSpec(MEMBER_USER_ID, "member")).id
            component: dict[str, Any] = {"type": component_type, "custom_id": custom_id}
            if component_type == 2:
                component.update({"style": 1, "label": custom_id})
            elif component_type == 3:
                component["options"] = [{"label": v, "value": v} for v in (values or ["x"])]
            body = {"content": "", "components": [{"type": 1, "components": [component]}]}
            message = self._store_message(
                str(cid), body, guild_id=None if in_dm else gid, message_id=str(message_id) if message_id else None
            )
        return self._base_interaction(
            INTERACTION_MESSAGE_COMPONENT, data, user=user, member_permissions=member_permissions,
            guild_id=guild_id, channel_id=None if in_dm else channel_id, locale=locale, in_dm=in_dm,
            message=message,
        )

    def modal_submit(
        self,
        custom_id: str,
        fields: Mapping[str, str],
        *,
        user: UserSpec | int | None = None,
        member_permissions: int | None = None,
        guild_id: int | None = None,
        channel_id: int | None = None,
        locale: str = "en-US",
        in_dm: bool = False,
    ) -> dict[str, Any]:
        """A MODAL_SUBMIT (type 5) interaction with one text input (type 4) per field, each in an action row."""
        data = {
            "custom_id": custom_id,
            "components": [
                {"type": 1, "components": [{"type": 4, "custom_id": key, "value": value}]}
                for key, value in fields.items()
            ],
        }
        return self._base_interaction(
            INTERACTION_MODAL_SUBMIT, data, user=user, member_permissions=member_permissions,
            guild_id=guild_id, channel_id=channel_id, locale=locale, in_dm=in_dm,
        )

    def _dm_channel_for(self, user: UserSpec) -> ChannelSpec:
        channel = self._dm_channels.get(user.id)
        if channel is None:
            channel = ChannelSpec(int(self.new_id()), "", type=1)
            self._dm_channels[user.id] = channel
        return channel

    # ----------------------------------------------------------------------------------------------------------
    # Messages
    # ----------------------------------------------------------------------------------------------------------

    def _store_message(
        self,
        channel_id: str,
        body: Mapping[str, Any],
        *,
        guild_id: int | None,
        message_type: int = 0,
        extra_flags: int = 0,
        webhook_id: str | None = None,
        attachments: Sequence[dict[str, Any]] = (),
        interaction: InteractionRecord | None = None,
        message_id: str | None = None,
    ) -> dict[str, Any]:
        """Create a message object as Discord would return it (authored by the bot) and keep it."""
        mid = message_id or self.new_id()
        message: dict[str, Any] = {
            "id": mid,
            "channel_id": channel_id,
            "author": self.bot_user.to_payload(),
            "content": body.get("content") or "",
            "timestamp": _now_iso(),
            "edited_timestamp": None,
            "tts": bool(body.get("tts", False)),
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": list(attachments),
            "embeds": list(body.get("embeds") or []),
            "components": list(body.get("components") or []),
            "reactions": [],
            "pinned": False,
            "type": message_type,
            "flags": int(body.get("flags") or 0) | extra_flags,
            "application_id": str(self.application_id),
        }
        if guild_id is not None:
            message["guild_id"] = str(guild_id)
        if webhook_id is not None:
            message["webhook_id"] = webhook_id
        if body.get("poll"):
            message["poll"] = body["poll"]
        if interaction is not None:
            user = interaction.payload.get("member", {}).get("user") or interaction.payload.get("user")
            message["interaction_metadata"] = {
                "id": interaction.id,
                "type": interaction.payload["type"],
                "user": user,
                "authorizing_integration_owners": interaction.payload.get("authorizing_integration_owners", {}),
            }
        self.messages[mid] = message
        self._message_order.append(mid)
        return message

    def _edit_message(
        self, message: dict[str, Any], body: Mapping[str, Any], attachments: Sequence[dict[str, Any]]
    ) -> dict[str, Any]:
        """Apply a PATCH: only keys present change; a non-null edit ends a deferred 'thinking' state."""
        for key in ("content", "embeds", "components", "poll"):
            if key in body:
                message[key] = body[key] if body[key] is not None else ([] if key != "content" else "")
        if "flags" in body and body["flags"] is not None:
            message["flags"] = int(body["flags"]) | (message["flags"] & FLAG_EPHEMERAL)
        if attachments or "attachments" in body:
            keep_ids = {str(b.get("id")) for b in body.get("attachments") or []}
            kept = [a for a in message["attachments"] if str(a["id"]) in keep_ids]
            message["attachments"] = kept + list(attachments)
        message["flags"] &= ~FLAG_LOADING
        message["edited_timestamp"] = _now_iso()
        return message

    def _validate_message(
        self, body: Mapping[str, Any], *, creating: bool, has_files: bool
    ) -> dict[str, Any] | None:
        """Discord's message limits; returns an ``errors`` dict (``50035``) or ``None`` when the body is fine."""
        if not self.validate:
            return None
        errors: dict[str, Any] = {}

        def err(key: str, message: str, code: str = "BASE_TYPE_MAX_LENGTH") -> None:
            errors[key] = {"_errors": [{"code": code, "message": message}]}

        content = body.get("content")
        if content is not None and len(str(content)) > 2000:
            err("content", "Must be 2000 or fewer in length.")
        if body.get("nonce") is not None and len(str(body["nonce"])) > MAX_NONCE_LENGTH:
            err("nonce", f"Must be {MAX_NONCE_LENGTH} or fewer in length.")
        embeds = body.get("embeds") or []
        if len(embeds) > 10:
            err("embeds", "Must be 10 or fewer in length.")
        total = 0
        for i, embed in enumerate(embeds):
            limits = (("title", 256), ("description", 4096))
            for key, limit in limits:
                text = embed.get(key) or ""
                total += len(text)
                if len(text) > limit:
                    err(f"embeds.{i}.{key}", f"Must be {limit} or fewer in length.")
            fields = embed.get("fields") or []
            if len(fields) > 25:
                err(f"embeds.{i}.fields", "Must be 25 or fewer in length.")
            for j, fld in enumerate(fields):
                name, value = str(fld.get("name", "")), str(fld.get("value", ""))
                total += len(name) + len(value)
                if len(name) > 256:
                    err(f"embeds.{i}.fields.{j}.name", "Must be 256 or fewer in length.")
                if len(value) > 1024:
                    err(f"embeds.{i}.fields.{j}.value", "Must be 1024 or fewer in length.")
            footer = (embed.get("footer") or {}).get("text") or ""
            author = (embed.get("author") or {}).get("name") or ""
            total += len(footer) + len(author)
            if len(footer) > 2048:
                err(f"embeds.{i}.footer.text", "Must be 2048 or fewer in length.")
            if len(author) > 256:
                err(f"embeds.{i}.author.name", "Must be 256 or fewer in length.")
        if total > 6000:
            err("embeds", "Embed size exceeds maximum size of 6000", "MAX_EMBED_SIZE_EXCEEDED")
        components = body.get("components") or []
        if not int(body.get("flags") or 0) & FLAG_COMPONENTS_V2:
            if len(components) > 5:
                err("components", "Must be 5 or fewer in length.")
            for i, row in enumerate(components):
                children = row.get("components") or []
                if row.get("type") != 1:
                    err(f"components.{i}.type", "Top-level components must be action rows.", "UNION_TYPE_CHOICES")
                if len(children) > 5:
                    err(f"components.{i}.components", "Must be 5 or fewer in length.")
                for j, child in enumerate(children):
                    if len(str(child.get("custom_id") or "")) > 100:
                        err(f"components.{i}.components.{j}.custom_id", "Must be 100 or fewer in length.")
                    if len(child.get("options") or []) > 25:
                        err(f"components.{i}.components.{j}.options", "Must be 25 or fewer in length.")
        if creating and not errors:
            empty = not (content or embeds or components or has_files or body.get("poll") or body.get("sticker_ids"))
            if empty:
                return {"_empty": True}
        return errors or None

    @staticmethod
    def _form_error(errors: dict[str, Any]) -> HandlerResult:
        if errors.get("_empty"):
            return 400, {"message": "Cannot send an empty message", "code": 50006}
        nested: dict[str, Any] = {}
        for dotted, value in errors.items():
            node = nested
            parts = dotted.split(".")
            for part in parts[:-1]:
                node = node.setdefault(part, {})
            leaf = node.setdefault(parts[-1], {})
            leaf.setdefault("_errors", []).extend(value.get("_errors", []))  # a key may carry several errors
        return 400, {"message": "Invalid Form Body", "code": 50035, "errors": nested}

    def _attachments_from(self, call: RecordedCall) -> list[dict[str, Any]]:
        """Attachment objects for the uploaded files; ``payload_json.attachments[n]`` (``data.attachments[n]`` in an
        interaction callback) describes ``files[n]``."""
        body = call.json if isinstance(call.json, dict) else {}
        described = body.get("attachments") or (body.get("data") or {}).get("attachments")
        by_index = {str(a.get("id")): a for a in described or [] if isinstance(a, dict)}
        out: list[dict[str, Any]] = []
        for f in call.files:
            aid = self.new_id()
            meta = by_index.get(f["field"].removeprefix("files[").rstrip("]"), {})
            self.attachments[aid] = f["data"]
            attachment = {
                "id": aid,
                "filename": meta.get("filename") or f["filename"],
                "size": f["size"],
                "url": f"{self.base_url}/attachments/{f['filename']}",
                "proxy_url": f"{self.base_url}/attachments/{f['filename']}",
                "content_type": f.get("content_type"),
            }
            if meta.get("description"):
                attachment["description"] = meta["description"]
            out.append(attachment)
        return out

    # ----------------------------------------------------------------------------------------------------------
    # REST plumbing
    # ----------------------------------------------------------------------------------------------------------

    @staticmethod
    def _compile(template: str) -> re.Pattern[str]:
        pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
        return re.compile(pattern + r"/?")

    def _build_routes(self) -> list[tuple[str, re.Pattern[str], str, RouteHandler, bool]]:
        """The built-in routes: (method, regex, label, handler, needs bot auth)."""
        table: list[tuple[str, str, RouteHandler, bool]] = [
            ("GET", "/users/@me", self._get_me, True),
            ("POST", "/users/@me/channels", self._create_dm, True),
            ("GET", "/oauth2/applications/@me", self._get_application, True),
            ("GET", "/applications/@me", self._get_application, True),
            ("GET", "/gateway", self._get_gateway, False),
            ("GET", "/gateway/bot", self._get_gateway_bot, True),
            ("GET", "/applications/{app_id}/commands", self._get_commands, True),
            ("PUT", "/applications/{app_id}/commands", self._put_commands, True),
            ("GET", "/applications/{app_id}/guilds/{guild_id}/commands", self._get_commands, True),
            ("PUT", "/applications/{app_id}/guilds/{guild_id}/commands", self._put_commands, True),
            ("POST", "/interactions/{interaction_id}/{token}/callback", self._interaction_callback, False),
            ("POST", "/webhooks/{app_id}/{token}", self._webhook_execute, False),
            ("GET", "/webhooks/{app_id}/{token}/messages/{message_id}", self._webhook_get, False),
            ("PATCH", "/webhooks/{app_id}/{token}/messages/{message_id}", self._webhook_edit, False),
            ("DELETE", "/webhooks/{app_id}/{token}/messages/{message_id}", self._webhook_delete, False),
            ("GET", "/channels/{channel_id}", self._get_channel, True),
            ("POST", "/channels/{channel_id}/messages", self._create_message, True),
            ("GET", "/channels/{channel_id}/messages", self._list_messages, True),
            ("GET", "/channels/{channel_id}/messages/{message_id}", self._get_message, True),
            ("PATCH", "/channels/{channel_id}/messages/{message_id}", self._edit_channel_message, True),
            ("DELETE", "/channels/{channel_id}/messages/{message_id}", self._delete_channel_message, True),
            ("POST", "/channels/{channel_id}/typing", self._no_content, True),
            ("POST", "/channels/{channel_id}/messages/{message_id}/threads", self._start_thread, True),
            ("PUT", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me", self._no_content, True),
            ("DELETE", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me", self._no_content, True),
            ("GET", "/guilds/{guild_id}", self._get_guild, True),
            ("GET", "/guilds/{guild_id}/channels", self._get_guild_channels, True),
            ("GET", "/guilds/{guild_id}/members/{user_id}", self._get_member, True),
            ("GET", "/guilds/{guild_id}/scheduled-events", self._list_events, True),
            ("POST", "/guilds/{guild_id}/scheduled-events", self._create_event, True),
            ("GET", "/guilds/{guild_id}/scheduled-events/{event_id}", self._get_event, True),
            ("PATCH", "/guilds/{guild_id}/scheduled-events/{event_id}", self._edit_event, True),
            ("DELETE", "/guilds/{guild_id}/scheduled-events/{event_id}", self._delete_event, True),
        ]
        return [(m, self._compile(t), f"{m} {t}", h, auth) for m, t, h, auth in table]

    @staticmethod
    def _json_response(status: int, body: JsonBody, headers: Mapping[str, str] | None = None) -> web.Response:
        """Exactly ``application/json`` (no charset): discord.py's ``json_or_text`` compares the header verbatim."""
        if body is None:
            return web.Response(status=status, headers=dict(headers or {}))
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        return web.Response(status=status, body=json.dumps(body).encode(), headers=all_headers)

    async def _read_body(self, request: web.Request) -> tuple[JsonBody, list[dict[str, Any]]]:
        """Parse a JSON body, or a multipart upload (``payload_json`` + ``files[n]``) as discord.py sends files."""
        if request.content_type.startswith("multipart/"):
            form = await request.post()
            body: JsonBody = None
            files: list[dict[str, Any]] = []
            for key, value in form.items():
                if key == "payload_json":
                    body = json.loads(value if isinstance(value, str) else value.file.read())
                elif isinstance(value, web.FileField):
                    content = value.file.read()
                    files.append({"field": key, "filename": value.filename, "size": len(content),
                                  "content_type": value.content_type, "data": content})
            return body, files
        raw = await request.read()
        if not raw:
            return None, []
        try:
            return json.loads(raw), []
        except ValueError:
            return raw.decode("utf-8", "replace"), []

    async def _rest_handler(self, request: web.Request) -> web.Response:
        """Record the call, apply queued faults, route it, record the answer."""
        received_at = time.monotonic()
        path = "/" + request.match_info["tail"]
        body, files = await self._read_body(request)
        call = RecordedCall(
            method=request.method,
            path=path,
            query=dict(request.query),
            json=body,
            headers=dict(request.headers),
            received_at=received_at,
            files=files,
        )
        try:
            response = await self._route(call, request)
        except Exception as exc:
            call.status, call.response = 500, {"message": f"stand-in error: {exc!r}", "code": 0}
            response = self._json_response(500, call.response)
        if call.rate_headers:
            response.headers.update(call.rate_headers)
        if self._limits is not None and call.status == 429:
            scope = "global" if isinstance(call.response, dict) and call.response.get("global") else "user"
            self._limits.stats.limited.append((call.received_at, scope, f"{call.method} {call.path}"))
        self.calls.append(call)
        self._notify()
        hold = self._take_hold(call.method, call.path)
        if hold is not None:
            self.held.append(call)
            try:
                await asyncio.sleep(hold)
            finally:
                self.held.remove(call)
        return response

    def _take_hold(self, method: str, path: str) -> float | None:
        for hold in self._holds:
            if path.startswith(hold.path_prefix) and (hold.method is None or hold.method == method):
                hold.times -= 1
                if hold.times <= 0:
                    self._holds.remove(hold)
                return hold.delay
        return None

    async def _route(self, call: RecordedCall, request: web.Request) -> web.Response:
        fault = self._take_fault(call.method, call.path)
        if fault is not None:
            if fault.delay:
                await asyncio.sleep(fault.delay)
            if fault.status is not None:
                call.injected, call.status, call.response = True, fault.status, fault.body
                return self._json_response(fault.status, fault.body, fault.headers)
        limited = self._rate_limited(call)
        if limited is not None:
            return limited
        for method, pattern, label, handler in self._custom_routes:
            match = pattern.fullmatch(call.path)
            if match and method == call.method:
                return await self._run_handler(call, label, handler, match.groupdict())
        for method, pattern, label, handler, needs_auth in self._routes:
            match = pattern.fullmatch(call.path)
            if match and method == call.method:
                authorised = request.headers.get("Authorization") == f"Bot {self.token}"
                if needs_auth and self.token is not None and not authorised:
                    call.route = label
                    call.status, call.response = 401, {"message": "401: Unauthorized", "code": 0}
                    return self._json_response(401, call.response)
                return await self._run_handler(call, label, handler, match.groupdict())
        call.status = 404
        call.response = {"message": "404: Not Found (no such route in the Discord stand-in)", "code": 0}
        return self._json_response(404, call.response)

    async def _run_handler(
        self, call: RecordedCall, label: str, handler: RouteHandler, params: dict[str, str]
    ) -> web.Response:
        call.route, call.params = label, params
        result = handler(call, params)
        if inspect.isawaitable(result):
            result = await result
        status, body = result  # type: ignore[misc]
        call.status, call.response = status, body
        return self._json_response(status, body)

    # ----------------------------------------------------------------------------------------------------------
    # REST handlers: identity, gateway, commands
    # ----------------------------------------------------------------------------------------------------------

    def _get_me(self, call: RecordedCall, p: dict[str, str]) -> HandlerResult:
        return 200, {**self.bot_user.to_payload(), "verified": True, "mfa_enabled": False, "locale": "en-US"}

    def _get_application(self, call: RecordedCall, p: dict[str, str]) -> HandlerResult:
        owner = self._user_by_id(self.guild.owner_id) if self.guilds else None
        return 200, {
            "id": str(self.application_id),
            "name": self.bot_user.global_name or self.bot_user.username,
            "icon": None,
            "description": "Rounds stand-in application",
            "bot_public": False,
            "bot_require_code_grant": False,
            "owner": (owner or self.bot_user).to_payload(),
            "verify_key": "0" * 64,
            "flags": 0,
            "team": None,
            "interactions_endpoint_url": None,  # non-null makes discord.py warn that gateway interactions stop
            "bot": self.bot_user.to_payload(),
        }

    def _get_gateway(self, call: RecordedCall, p: dict[str, str]) -> HandlerResult:
        return 200, {"url": self.gateway_url}

    def _get_gateway_bot(self, call: RecordedCall, p: dict[str, str]) -> HandlerResult:
        return 200, {
            "url": self.gateway_url,
            "shards": 1,
            "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1},
        }

    def _commands_key(self, p: dict[str, str]) -> int | None:
        return int(p["guild_id"]) if "guild_id" in p else None

    def _get_commands(self, call: RecordedCall, p: dict[str, str]) -> HandlerResult:
        if p["app_id"] != str(self.application_id):
            return 403, {"message": "Missing Access", "code": 50001}
        return 200, self.registered_commands(self._commands_key(p))

    def _validate_commands(self, commands: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
        """Registration limits, so a command that would fail to sync in production fails here too."""
        if not self.validate:
            return None
        errors: dict[str, Any] = {}
        name_re = re.compile(r"^[-_\w]{1,32}$")

        def err(key: str, message: str) -> None:
            errors[key] = {"_errors": [{"code": "APPLICATION_COMMAND_INVALID", "message": message}]}

        if len(commands) > 100:
            err("_root", "Maximum number of application commands reached (100).")

        def check_options(prefix: str, options: Sequence[dict[str, Any]]) -> None:
            if len(options) > 25:
                err(f"{prefix}.options", "Must be 25 or fewer in length.")
            for k, option in enumerate(options):
                key = f"{prefix}.options.{k}"
                name = str(option.get("name", ""))
                if not name_re.match(name) or name != name.lower():
                    err(f"{key}.name", "Invalid option name.")
                if not 1 <= len(str(option.get("description", ""))) <= 100:
                    err(f"{key}.description", "Must be between 1 and 100 in length.")
                if len(option.get("choices") or []) > 25:
                    err(f"{key}.choices", "Must be 25 or fewer in length.")
                check_options(key, option.get("options") or [])

        for i, command in enumerate(commands):
            name = str(command.get("name", ""))
            if not name_re.match(name) or (command.get("type", 1) == 1 and name != name.lower()):
                err(f"{i}.name", "Invalid application command name.")
            if command.get("type", 1) == 1 and not 1 <= len(str(command.get("description", ""))) <= 100:
                err(f"{i}.description", "Must be between 1 and 100 in length.")
            check_options(str(i), command.get("options") or [])
        return errors or None

    def _put_commands(self, call: RecordedCall, p: dict[str, str]) -> HandlerResult:
        if p["app_id"] != str(self.application_id):
            return 403, {"message": "Missing Access", "code": 50001}
        key = self._commands_key(p)
        if key is not None and self.guild_by_id(key) is None:
            return 404, {"message": "Unknown Guild", "code": 10004}
        body = call.json if isinstance(call.json, list) else []
        errors = self._validate_commands(body)
        if errors:
            return self._form_error(errors)
        previous = {c["name"]: c for c in self.commands.get(key, [])}
        stored: list[dict[str, Any]] = []
        for command in body:
            old = previous.get(command["name"])
            entry = {
                "type": 1,
                "description": "",
                "options": [],
                "default_member_permissions": None,
                "nsfw": False,
                **command,
                "id": old["id"] if old else self.new_id(),
                "application_id": str(self.application_id),
                "version": self.new_id(),
            }
            if key is not None:
                entry["guild_id"] = str(key)
            stored.append(entry)
        self.commands[key] = stored
        return 200, stored

    def _create_dm(self, call: RecordedCall, p: dict[str, str]) -> HandlerResult:
        recipient = (call.json or {}).get("recipient_id")
        user = self._user_by_id(recipient) if recipient is not None else None
        if user is None:
            return 400, {"message": "Invalid Recipient(s)", "code": 50033}
        channel = self._dm_channel_for(user)
        return 200, self._channel_payload(channel.id)

    # ----------------------------------------------------------------------------------------------------------
    # REST handlers: interactions and webhooks
    # ----------------------------------------------------------------------------------------------------------

    def _interaction_callback(self, call: RecordedCall, p: dict[str, str]) -> HandlerResult:
        """Acknowledge an interaction once, within the deadline, and answer ``with_response`` like Discord."""
        record = self.interactions.get(p["interaction_id"])
        if record is None or record.token != p["token"]:
            return 404, {"message": "Unknown interaction", "code": 10062}
        if record.acked_at is not None:
            return 400, {"message": "Interaction has already been acknowledged.", "code": 40060}
        if call.received_at - record.sent_at > self.ack_deadline:
            return 404, {"message": "Unknown interaction", "code": 10062}
        body = call.json if isinstance(call.json, dict) else {}
        ctype = body.get("type")
        itype = int(record.payload["type"])
        if ctype not in _ALLOWED_CALLBACKS.get(itype, frozenset()):
            problem = {"code": "INTERACTION_CALLBACK_TYPE_INVALID", "message": f"Callback {ctype} not allowed here."}
            return 400, {"message": "Invalid Form Body", "code": 50035, "errors": {"type": {"_errors": [problem]}}}
        data = body.get("data") or {}
        channel_id = str(record.payload.get("channel_id") or record.payload.get("channel", {}).get("id"))
        guild_id = int(record.payload["guild_id"]) if record.payload.get("guild_id") else None
        source_message = record.payload.get("message")
        message: dict[str, Any] | None = None

        if ctype == CALLBACK_AUTOCOMPLETE_RESULT and self.validate and len(data.get("choices") or []) > 25:
            too_many = {"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 25 or fewer in length."}
            return self._form_error({"data.choices": {"_errors": [too_many]}})
        if ctype in (CALLBACK_CHANNEL_MESSAGE, CALLBACK_UPDATE_MESSAGE):
            creating = ctype == CALLBACK_CHANNEL_MESSAGE
            errors = self._validate_message(data, creating=creating, has_files=bool(call.files))
            if errors:
                return self._form_error(errors)

        record.acked_at = call.received_at
        record.callback_type = ctype
        self._notify()

        if ctype == CALLBACK_CHANNEL_MESSAGE:
            mtype = 20 if itype == INTERACTION_APPLICATION_COMMAND else 0
            message = self._store_message(channel_id, data, guild_id=guild_id, message_type=mtype,
                                          webhook_id=str(self.application_id), interaction=record,
                                          attachments=self._attachments_from(call))
            record.original_message_id = message["id"]
        elif ctype == CALLBACK_DEFERRED_CHANNEL_MESSAGE:
            mtype = 20 if itype == INTERACTION_APPLICATION_COMMAND else 0
            message = self._store_message(channel_id, {"content": "", "flags": int(data.get("flags") or 0)},
                                          guild_id=guild_id, message_type=mtype, extra_flags=FLAG_LOADING,
                                          webhook_id=str(self.application_id), interaction=record)
            record.original_message_id = message["id"]
        elif ctype in (CALLBACK_DEFERRED_UPDATE_MESSAGE, CALLBACK_UPDATE_MESSAGE) and source_message:
            mid = str(source_message["id"])
            record.original_message_id = mid
            stored = self.messages.get(mid)
            if stored is None:  # a message the stand-in did not create; keep it so edits are visible
                stored = dict(source_message)
                self.messages[mid] = stored
                self._message_order.append(mid)
            if ctype == CALLBACK_UPDATE_MESSAGE:
                self._edit_message(stored, data, self._attachments_from(call))
            message = stored

        if not _truthy(call.query.get("with_response")):
            return 204, None
        interaction_info: dict[str, Any] = {"id": record.id, "type": itype}
        resource: dict[str, Any] = {"type": ctype}
        if message is not None:
            interaction_info["response_message_id"] = message["id"]
            interaction_info["response_message_loading"] = ctype == CALLBACK_DEFERRED_CHANNEL_MESSAGE
            interaction_info["response_message_ephemeral"] = bool(message["flags"] & FLAG_EPHEMERAL)
            if ctype != CALLBACK_DEFERRED_UPDATE_MESSAGE:
                resource["message"] = message
        return 200, {"interaction": interaction_info, "resource": resource}

    def _webhook_interaction(self, p: dict[str, str]) -> InteractionRecord | HandlerResult:
        """Interaction webhooks exist once the interaction is acknowledged (then live 15 minutes)."""
        record = self._interactions_by_token.get(p["token"])
        if p["app_id"] != str(self.application_id) or record is None or record.acked_at is None:
            return 404, {"message": "Unknown Webhook", "code": 10015}
        return record

    def _webhook_message(self, record: InteractionRecord, message_id: str) -> dict[str, Any] | None:
        if message_id == "@original":
            return self.messages.get(record.original_message_id or "")
        message = self.messages.get(message_id)
        if message is None or message.get("interaction_metadata", {}).get("id") != record.id:
            return None
        return message

    def _webhook_execute(self, call: RecordedCall, p: dict[str, str]) -> HandlerResult:
        """Follow-up message; ``?wait=1`` returns it, otherwise 204 as Discord does."""
        found = self._webhook_interaction(p)
        if not isinstance(found, InteractionRecord):
            return found
        body = call.json if isinstance(call.json, dict) else {}
        errors = self._validate_message(body, creating=True, has_files=bool(call.files))
        if errors:
            return self._form_error(errors)
        payload = found.payload
        channel_id = str(payload.get("channel_id") or payload.get("channel", {}).get("id"))
        guild_id = int(payload["guild_id"]) if payload.get("guild_id") else None
        message = self._store_message(channel_id, body, guild_id=guild_id, message_type=0,
                                      webhook_id=str(self.application_id), interaction=found,
                                      attachments=self._attachments_from(call))
        return (200, message) if _truthy(call.query.get("wait")) else (204, None)

    def _webhook_get(self, call: RecordedCall, p: dict[str, str]) -> HandlerResult:
        found = self._webhook_interaction(p)
        if not isinstance(found, InteractionRecord):
            return found
        message = self._webhook_message(found, p["message_id"])
        return (200, message) if message else (404, {"message": "Unknown Message", "code": 10008})

    def _webhook_edit(self, call: RecordedCall, p: dict[str, str]) -> HandlerResult:
        """Edit the original response (e.g. after a defer) or a follow-up."""
        found = self._webhook_interaction(p)
        if not isinstance(found, InteractionRecord):
            return found
        message = self._webhook_message(found, p["message_id"])
        if message is None:
            return 404, {"message": "Unknown Message", "code": 10008}
        body = call.json if isinstance(call.json, dict) else {}
        errors = self._validate_message(body, creating=False, has_files=bool(call.files))
        if errors:
            return self._form_error(errors)
        return 200, self._edit_message(message, body, self._attachments_from(call))

    def _webhook_delete(self, call: RecordedCall, p: dict[str, str]) -> HandlerResult:
        found = self._webhook_interaction(p)
        if not isinstance(found, InteractionRecord):
            return found
        message = self._webhook_message(found, p["message_id"])
        if message is None:
            return 404, {"message": "Unknown Message", "code": 10008}
        self.messages.pop(message["id"], None)
        return 204, None

    # ----------------------------------------------------------------------------------------------------------
    # REST handlers: channels, guilds, scheduled events
    # ----------------------------------------------------------------------------------------------------------

    def _no_content(self, call: RecordedCall, p: dict[str, str]) -> HandlerResult:
        return 204, None

    def _get_channel(self, call: RecordedCall, p: dict[str, str]) -> HandlerResult:
        payload = self._channel_payload(p["channel_id"])
        return (200, payload) if payload else (404, {"message": "Unknown Channel", "code": 10003})

    def _create_message(self, call: RecordedCall, p: dict[str, str]) -> HandlerResult:
        channel, guild = self._find_channel(p["channel_id"])
        if channel is None:
            return 404, {"message": "Unknown Channel", "code": 10003}
        if channel.type in (2, 4, 13, 15):
            return 400, {"message": "Cannot send messages in a non-text channel", "code": 50008}
        if guild is None and self._dm_recipient(channel.id) in self.closed_dms:
            return 403, {"message": REFUSALS[50007][1], "code": 50007}
        body = call.json if isinstance(call.json, dict) else {}
        errors = self._validate_message(body, creating=True, has_files=bool(call.files))
        if errors:
            return self._form_error(errors)
        earlier = self._same_nonce(body)
        if earlier is not None:
            self.nonce_repeats.append(earlier["id"])
            return 200, earlier
        message = self._store_message(str(channel.id), body, guild_id=guild.id if guild else None,
                                      attachments=self._attachments_from(call))
        self._remember_nonce(message, body)
        return 200, message

    def _same_nonce(self, body: Mapping[str, Any]) -> dict[str, Any] | None:
        """The bot's message created with this nonce in the past few minutes, when the body enforces the nonce."""
        if body.get("nonce") is None or not body.get("enforce_nonce"):
            return None
        found = self._nonces.get((str(self.bot_user.id), str(body["nonce"])))
        if found is None or time.monotonic() - found[1] > NONCE_WINDOW:
            return None
        return self.messages.get(found[0])

    def _remember_nonce(self, message: dict[str, Any], body: Mapping[str, Any]) -> None:
        if body.get("nonce") is None:
            return
        message["nonce"] = body["nonce"]  # the create answer (and MESSAGE_CREATE) carry it; a fetched message does not
        self._nonces[(str(self.bot_user.id), str(body["nonce"]))] = (message["id"], time.monotonic())

    def _list_messages(self, call: RecordedCall, p: dict[str, str]) -> HandlerResult:
        if self._find_channel(p["channel_id"])[0] is None:
            return 404, {"message": "Unknown Channel", "code": 10003}
        limit = int(call.query.get("limit", "50"))
        return 200, [_fetched(m) for m in reversed(self.channel_messages(p["channel_id"]))][:limit]

    def _channel_message(self, p: dict[str, str]) -> dict[str, Any] | None:
        message = self.messages.get(p["message_id"])
        return message if message and message["channel_id"] == p["channel_id"] else None

    def _get_message(self, call: RecordedCall, p: dict[str, str]) -> HandlerResult:
        message = self._channel_message(p)
        return (200, _fetched(message)) if message else (404, {"message": "Unknown Message", "code": 10008})

    def _edit_channel_message(self, call: RecordedCall, p: dict[str, str]) -> HandlerResult:
        if self._find_channel(p["channel_id"])[0] is None:
            return 404, {"message": "Unknown Channel", "code": 10003}
        message = self._channel_message(p)
        if message is None:
            return 404, {"message": "Unknown Message", "code": 10008}
        body = call.json if isinstance(call.json, dict) else {}
        errors = self._validate_message(body, creating=False, has_files=bool(call.files))
        if errors:
            return self._form_error(errors)
        return 200, self._edit_message(message, body, self._attachments_from(call))

    def _delete_channel_message(self, call: RecordedCall, p: dict[str, str]) -> HandlerResult:
        if self._channel_message(p) is None:
            return 404, {"message": "Unknown Message", "code": 10008}
        self.messages.pop(p["message_id"], None)
        return 204, None

    def _get_guild(self, call: RecordedCall, p: dict[str, str]) -> HandlerResult:
        guild = self.guild_by_id(p["guild_id"])
        if guild is None:
            return 404, {"message": "Unknown Guild", "code": 10004}
        payload = guild.to_payload()
        for gateway_only in ("members", "channels", "threads", "presences", "voice_states", "joined_at", "large",
                             "member_count", "stage_instances", "guild_scheduled_events", "soundboard_sounds",
                             "unavailable"):
            payload.pop(gateway_only, None)
        return 200, payload

    def _get_guild_channels(self, call: RecordedCall, p: dict[str, str]) -> HandlerResult:
        guild = self.guild_by_id(p["guild_id"])
        if guild is None:
            return 404, {"message": "Unknown Guild", "code": 10004}
        return 200, [c.to_payload(guild.id) for c in guild.channels]

    def _get_member(self, call: RecordedCall, p: dict[str, str]) -> HandlerResult:
        guild = self.guild_by_id(p["guild_id"])
        if guild is None:
            return 404, {"message": "Unknown Guild", "code": 10004}
        member = guild.member(int(p["user_id"]))
        return (200, member.to_payload()) if member else (404, {"message": "Unknown Member", "code": 10007})

    def _guild_events(self, guild_id: str) -> list[dict[str, Any]]:
        return [e for e in self.scheduled_events.values() if e["guild_id"] == guild_id]

    def _list_events(self, call: RecordedCall, p: dict[str, str]) -> HandlerResult:
        if self.guild_by_id(p["guild_id"]) is None:
            return 404, {"message": "Unknown Guild", "code": 10004}
        return 200, self._guild_events(p["guild_id"])

    def _missing_permissions(self, guild: GuildSpec, *needs: int) -> HandlerResult | None:
        """403 ``50013`` unless the bot holds one of ``needs`` in the guild (ADMINISTRATOR holds them all)."""
        have = guild.permissions_of(self.bot_user.id)
        if any(have & need == need for need in needs):
            return None
        return 403, {"message": REFUSALS[50013][1], "code": 50013}

    def _event_errors(self, event: Mapping[str, Any], *, start_changed: bool) -> dict[str, Any]:
        """Discord's checks of a scheduled event (the merged state after a create or an edit), as ``50035`` errors."""
        errors: dict[str, Any] = {}

        def err(key: str, message: str, code: str = "BASE_TYPE_BAD_LENGTH") -> None:
            errors[key] = {"_errors": [{"code": code, "message": message}]}

        name = event.get("name")
        if not isinstance(name, str) or not 1 <= len(name) <= 100:
            err("name", "Must be between 1 and 100 in length.")
        description = event.get("description")
        if description is not None and len(str(description)) > 1000:
            err("description", "Must be 1000 or fewer in length.", "BASE_TYPE_MAX_LENGTH")
        if event.get("privacy_level") != PRIVACY_GUILD_ONLY:
            err("privacy_level", f"Value must be one of ({PRIVACY_GUILD_ONLY},).", "ENUM_TYPE_COERCE")
        if event.get("entity_type") not in (1, 2, ENTITY_EXTERNAL):
            err("entity_type", "This field is required", "BASE_TYPE_REQUIRED")
        start, end = _parse_instant(event.get("scheduled_start_time")), _parse_instant(event.get("scheduled_end_time"))
        if start is None:
            err("scheduled_start_time", "Could not interpret the value as an ISO8601 timestamp.", "DATE_TYPE_PARSE")
        elif start_changed and start < self.clock():
            err("scheduled_start_time", "Cannot schedule event in the past.", "GUILD_SCHEDULED_EVENT_SCHEDULE_PAST")
        if event.get("scheduled_end_time") is not None and end is None:
            err("scheduled_end_time", "Could not interpret the value as an ISO8601 timestamp.", "DATE_TYPE_PARSE")
        if start is not None and end is not None and end <= start:
            err("scheduled_end_time", "Cannot schedule event to end before starting.",
                "GUILD_SCHEDULED_EVENT_END_BEFORE_START")
        if event.get("entity_type") == ENTITY_EXTERNAL:
            location = (event.get("entity_metadata") or {}).get("location")
            if not isinstance(location, str) or not 1 <= len(location) <= 100:
                err("entity_metadata.location", "Must be between 1 and 100 in length.")
            if event.get("scheduled_end_time") is None:
                err("scheduled_end_time", "This field is required for external events", "BASE_TYPE_REQUIRED")
            if event.get("channel_id") is not None:
                err("channel_id", "Must be null for external events", "CHANNEL_ID_MUST_BE_NULL")
        return errors

    def _create_event(self, call: RecordedCall, p: dict[str, str]) -> HandlerResult:
        """Create a scheduled event as Discord does: Manage Events (or Create Events) needed, else ``50013``; the
        fields checked (see :meth:`_event_errors`); at most 100 scheduled/active events a guild (``30038``)."""
        guild = self.guild_by_id(p["guild_id"])
        if guild is None:
            return 404, {"message": "Unknown Guild", "code": 10004}
        refused = self._missing_permissions(guild, Permission.MANAGE_EVENTS, Permission.CREATE_EVENTS)
        if refused is not None:
            return refused
        body = call.json if isinstance(call.json, dict) else {}
        errors = self._event_errors(body, start_changed=True)
        if errors:
            return self._form_error(errors)
        upcoming = [e for e in self._guild_events(p["guild_id"]) if e["status"] in (EVENT_SCHEDULED, EVENT_ACTIVE)]
        if len(upcoming) >= 100:
            return 400, {"message": "Maximum number of uncompleted guild scheduled events reached (100)", "code": 30038}
        event = {
            "description": None,
            "channel_id": None,
            "scheduled_end_time": None,
            "entity_metadata": None,
            "image": None,
            "recurrence_rule": None,
            **body,
            "id": self.new_id(),
            "guild_id": p["guild_id"],
            "creator_id": str(self.bot_user.id),
            "creator": self.bot_user.to_payload(),
            "entity_id": None,
            "status": EVENT_SCHEDULED,
            "user_count": 0,
        }
        self.scheduled_events[event["id"]] = event
        self.event_log.append(("create", event["id"], dict(body)))
        return 200, event

    def _guild_event(self, p: dict[str, str]) -> tuple[GuildSpec | None, dict[str, Any] | None]:
        event = self.scheduled_events.get(p["event_id"])
        if event is None or event["guild_id"] != p["guild_id"]:
            return self.guild_by_id(p["guild_id"]), None
        return self.guild_by_id(p["guild_id"]), event

    def _may_manage_event(self, guild: GuildSpec, event: Mapping[str, Any]) -> HandlerResult | None:
        """Manage Events covers every event; Create Events only the bot's own (Discord's rule since 2024)."""
        if event.get("creator_id") == str(self.bot_user.id):
            return self._missing_permissions(guild, Permission.MANAGE_EVENTS, Permission.CREATE_EVENTS)
        return self._missing_permissions(guild, Permission.MANAGE_EVENTS)

    def _get_event(self, call: RecordedCall, p: dict[str, str]) -> HandlerResult:
        event = self._guild_event(p)[1]
        if event is None:
            return 404, {"message": "Unknown Guild Scheduled Event", "code": 10070}
        return 200, event

    def _edit_event(self, call: RecordedCall, p: dict[str, str]) -> HandlerResult:
        """PATCH: only keys present change; status moves only SCHEDULED -> ACTIVE/CANCELED and ACTIVE -> COMPLETED."""
        guild, event = self._guild_event(p)
        if guild is None or event is None:
            return 404, {"message": "Unknown Guild Scheduled Event", "code": 10070}
        refused = self._may_manage_event(guild, event)
        if refused is not None:
            return refused
        body = call.json if isinstance(call.json, dict) else {}
        allowed = _EVENT_TRANSITIONS.get(int(event["status"]), frozenset())
        if not allowed or ("status" in body and body["status"] not in allowed):
            return self._form_error({"status": {"_errors": [{
                "code": "GUILD_SCHEDULED_EVENT_INVALID_STATUS_TRANSITION",
                "message": f"Cannot change status from {event['status']} to {body.get('status', event['status'])}."}]}})
        merged = {**event, **body}
        start_changed = "scheduled_start_time" in body and body["scheduled_start_time"] != event["scheduled_start_time"]
        errors = self._event_errors(merged, start_changed=start_changed)
        if errors:
            return self._form_error(errors)
        event.update(body)
        self.event_log.append(("edit", event["id"], dict(body)))
        return 200, event

    def _delete_event(self, call: RecordedCall, p: dict[str, str]) -> HandlerResult:
        guild, event = self._guild_event(p)
        if guild is None or event is None:
            return 404, {"message": "Unknown Guild Scheduled Event", "code": 10070}
        refused = self._may_manage_event(guild, event)
        if refused is not None:
            return refused
        self.deleted_events[event["id"]] = self.scheduled_events.pop(event["id"])
        self.event_log.append(("delete", event["id"], {}))
        return 204, None

    # ----------------------------------------------------------------------------------------------------------
    # REST handlers: threads
    # ----------------------------------------------------------------------------------------------------------

    def _start_thread(self, call: RecordedCall, p: dict[str, str]) -> HandlerResult:
        """Start a public thread on a message (``POST /channels/{c}/messages/{m}/threads``), as Discord does:
        Create Public Threads (or Manage Threads) needed, else ``50013``; one thread a message (``160004``); the
        thread gets the message's id and is a channel of type 11 that takes messages like any other."""
        channel, guild = self._find_channel(p["channel_id"])
        if channel is None:
            return 404, {"message": "Unknown Channel", "code": 10003}
        if guild is None or channel.type not in (0, 5):
            return 400, {"message": "Cannot execute action on this channel type", "code": 50024}
        message = self._channel_message(p)
        if message is None:
            return 404, {"message": "Unknown Message", "code": 10008}
        refused = self._missing_permissions(guild, Permission.CREATE_PUBLIC_THREADS, Permission.MANAGE_THREADS)
        if refused is not None:
            return refused
        if message["id"] in self.threads:
            return 400, {"message": "A thread has already been created for this message", "code": 160004}
        body = call.json if isinstance(call.json, dict) else {}
        name = body.get("name")
        errors: dict[str, Any] = {}
        if not isinstance(name, str) or not 1 <= len(name) <= 100:
            errors["name"] = {"_errors": [{"code": "BASE_TYPE_BAD_LENGTH", "message": "Must be between 1 and 100 in length."}]}
        archive = body.get("auto_archive_duration") or 1440
        if archive not in ARCHIVE_DURATIONS:
            errors["auto_archive_duration"] = {"_errors": [{"code": "BASE_TYPE_CHOICES",
                                                            "message": f"Value must be one of {ARCHIVE_DURATIONS}."}]}
        if errors:
            return self._form_error(errors)
        thread = ChannelSpec(int(message["id"]), str(name), type=11, parent_id=channel.id)
        self._thread_specs[thread.id] = (thread, guild)
        payload = {
            **thread.to_payload(guild.id),
            "owner_id": str(self.bot_user.id),
            "rate_limit_per_user": int(body.get("rate_limit_per_user") or 0),
            "message_count": 0,
            "member_count": 1,
            "total_message_sent": 0,
            "thread_metadata": {"archived": False, "auto_archive_duration": archive, "archive_timestamp": _now_iso(),
                                "locked": False, "create_timestamp": _now_iso()},
            "member": {"id": message["id"], "user_id": str(self.bot_user.id), "join_timestamp": _now_iso(), "flags": 0},
        }
        self.threads[message["id"]] = payload
        message["thread"] = payload
        message["flags"] |= FLAG_HAS_THREAD
        return 201, payload

    def thread_messages(self, thread_id: int | str) -> list[dict[str, Any]]:
        """Messages posted into a thread, oldest first (a thread is a channel: its id is its starter message's)."""
        return self.channel_messages(thread_id)

    # ----------------------------------------------------------------------------------------------------------
    # Switches: the bot's own permissions
    # ----------------------------------------------------------------------------------------------------------

    def bot_role(self, guild_id: int | str | None = None) -> RoleSpec:
        """The bot's own role in a guild (the default guild unless named)."""
        guild = self.guild_by_id(guild_id) if guild_id is not None else self.guild
        if guild is None:
            raise KeyError(f"no guild {guild_id}")
        role = guild.role(guild.id + BOT_ROLE_OFFSET)
        if role is None:
            raise KeyError(f"the bot has no role of its own in guild {guild.id}")
        return role

    async def grant_bot(self, permissions: int, guild_id: int | str | None = None) -> None:
        """Give the bot ``permissions`` (e.g. ``Permission.MANAGE_EVENTS``) in a guild, as an admin editing its role
        would; a connected bot gets GUILD_ROLE_UPDATE so ``guild.me.guild_permissions`` agrees."""
        role = self.bot_role(guild_id)
        role.permissions |= permissions
        await self._role_updated(role, guild_id)

    async def revoke_bot(self, permissions: int, guild_id: int | str | None = None) -> None:
        """Take ``permissions`` away from the bot's role (the ``@everyone`` role may still grant them)."""
        role = self.bot_role(guild_id)
        role.permissions &= ~permissions
        await self._role_updated(role, guild_id)

    async def _role_updated(self, role: RoleSpec, guild_id: int | str | None) -> None:
        if self.connected_sessions():
            gid = str(guild_id) if guild_id is not None else str(self.guild.id)
            await self.dispatch("GUILD_ROLE_UPDATE", {"guild_id": gid, "role": role.to_payload()})

CLIENT_READY_TIMEOUT = 5.0


@contextlib.asynccontextmanager
async def client_running(client: Any, standin: DiscordStandIn, timeout: float = CLIENT_READY_TIMEOUT) -> AsyncIterator[Any]:
    """Run a discord.py client (one with a ``ready_event`` set in ``on_ready``) against the stand-in until it is
    ready; always close it, before the stand-in stops, or discord.py would try to reconnect."""
    task = asyncio.create_task(client.start(standin.token or "any-token"))
    try:
        ready = asyncio.create_task(client.ready_event.wait())
        done, _ = await asyncio.wait({task, ready}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        if ready not in done:
            ready.cancel()
            if task in done:
                task.result()  # re-raise why the client stopped
            raise AssertionError("the client did not become ready against the stand-in")
        yield client
    finally:
        await client.close()
        await asyncio.wait_for(task, timeout=timeout)
