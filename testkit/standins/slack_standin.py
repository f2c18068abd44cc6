"""An in-process stand-in of Slack for tests that run the REAL slack-bolt ``AsyncApp``.

Why this exists: mocking bolt internals proves nothing about the adapter. Instead the tests run the genuine
bolt / slack_sdk code paths (signature check, lazy ``auth.test``, ack timing, ``respond()`` over HTTP, retry
handlers, Socket Mode framing) against a small aiohttp server on 127.0.0.1 that behaves like the slice of Slack
Rounds uses. Everything the app sends is recorded so a test can assert on it, and Slack's failure modes that
matter to us (429 + ``Retry-After``, API errors, expired trigger ids, Block Kit limits) can be injected.

The stand-in plays both sides of Slack:

* **Slack's servers** (what the app calls): ``POST|GET /api/<method>`` for the Web API, ``POST /response/<token>``
  for ``response_url`` (what bolt's ``respond()`` posts to), ``POST /upload/v1/<file_id>`` for the upload URLs
  ``files.getUploadURLExternal`` hands out (``files_upload_v2``'s second step), and the Socket Mode websocket at
  ``/link``. Direct messages: ``conversations.open`` gives each member one ``D…`` IM; ``close_dms`` makes a member's
  IM refuse messages (``messages_tab_disabled``) and ``SlackChannel(is_member=False)`` a channel the bot left.
  ``conversations.history`` reads back the messages posted into a conversation, newest first, between ``oldest``
  and ``latest`` (exclusive unless ``inclusive``), ``limit`` at a time (default 100, at most 999) with cursor
  paging, and each message's ``metadata`` only with ``include_all_metadata``, as Slack documents it;
  ``conversations.replies`` reads a message's thread the same way (the parent first, then its replies).
* **Slack's delivery** (what calls the app): signed HTTP requests (``send_slash_command`` / ``send_interactive``)
  and Socket Mode envelopes (``push_slash_command`` / ``push_interactive``), each timed until its ack so tests
  can compute median / p99 ack latency. What Slack never sends, for the app to refuse, goes by ``post_raw`` (raw
  bytes, signed over the bytes or not at all, any timestamp header, chunked if asked); ``storm`` delivers many
  presses at once and reports what each got, None where the app died before answering.

Typical use::

    async with SlackStandIn() as slack:
        client = AsyncWebClient(token="xoxb-test", base_url=slack.api_url)
        app = AsyncApp(client=client, signing_secret=SECRET)
        ...
        async with serve_web_app(app.web_app(path="/slack/events")) as base:
            delivery = await slack.send_slash_command(base + "/slack/events", secret=SECRET, text="today")
        call = await slack.wait_for_call("chat.postMessage")

Messages are checked as Slack checks them where a renderer could get it wrong: Block Kit limits, and every
``<!date^UNIX^FORMAT[^link]|fallback>`` token (``validate_date_tokens``) in blocks (``invalid_blocks``) and in
``text`` (``invalid_arguments``).  A ``thread_ts`` reply joins its parent's thread (``thread_replies``).

Everything runs on the test's event loop; nothing here is thread-safe and nothing needs to be.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import itertools
import json
import re
import secrets
import time
import urllib.parse
import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from types import TracebackType
from typing import Any, Literal, Self, TypeVar
from zoneinfo import ZoneInfo

from aiohttp import ClientError, ClientSession, ClientTimeout, TCPConnector, WSCloseCode, WSMsgType, web
from slack_sdk.signature import SignatureVerifier

from testkit.standins.latency import LatencyStats

__all__ = [
    "ADMIN_ID",
    "APP_ID",
    "BOT_ID",
    "BOT_USER_ID",
    "DEFAULT_CHANNEL_ID",
    "MEMBER_ID",
    "OWNER_ID",
    "RESPONSE_URL_METHOD",
    "TEAM_ID",
    "UPLOAD_METHOD",
    "HttpDelivery",
    "LatencyStats",
    "RecordedCall",
    "SlackChannel",
    "SlackStandIn",
    "SlackUser",
    "SocketAck",
    "UploadedFile",
    "default_channels",
    "default_users",
    "eventually",
    "interactive_body",
    "serve_web_app",
    "signed_headers",
    "signed_raw_headers",
    "validate_blocks",
    "validate_date_tokens",
]

# --------------------------------------------------------------------------------------------------------------
# Fixed identities. Stable ids make assertions readable and let other stand-ins / fixtures agree on them.

TEAM_ID = "T0ROUNDS"
TEAM_NAME = "Rounds Test"
TEAM_DOMAIN = "rounds-test"
APP_ID = "A0ROUNDS"
BOT_ID = "B0ROUNDS"
BOT_USER_ID = "U0ROUNDSBOT"
BOT_USER_NAME = "rounds"
MEMBER_ID = "U0MEMBER"
ADMIN_ID = "U0ADMIN"
OWNER_ID = "U0OWNER"
DEFAULT_CHANNEL_ID = "C0GENERAL"
DEFAULT_CHANNEL_NAME = "general"

#: The ``method`` under which posts to a ``response_url`` are recorded (they are not Web API calls).
RESPONSE_URL_METHOD = "response_url"
#: The ``method`` under which POSTs of file bytes to an upload URL are recorded (not Web API calls either).
UPLOAD_METHOD = "file_upload"

#: Slack sends this deprecated verification token in every payload; bolt ignores it unless told otherwise.
VERIFICATION_TOKEN = "standin-verification-token"

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
JSON_CONTENT_TYPE = "application/json"

# Block Kit limits enforced by ``validate_blocks`` (the ones the renderers must respect; see PLATFORMS.md).
MAX_MESSAGE_BLOCKS = 50
MAX_MODAL_BLOCKS = 100
MAX_SECTION_TEXT = 3000
MAX_SECTION_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_ACTIONS_ELEMENTS = 25
MAX_HEADER_TEXT = 150
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_SELECT_OPTIONS = 100
HISTORY_LIMIT = 100  # conversations.history's default page
MAX_HISTORY_LIMIT = 999

# Fields Slack sends as JSON *inside* a form-encoded body; decoded so tests see the same shape either way.
_JSON_FIELDS = ("blocks", "attachments", "view", "metadata")

T = TypeVar("T")


# --------------------------------------------------------------------------------------------------------------
# Workspace model


@dataclass
class SlackUser:
    """A workspace member as ``users.info`` reports it; the flags drive the adapter's permission checks."""

    id: str
    name: str
    real_name: str = ""
    tz: str = "UTC"
    is_admin: bool = False
    is_owner: bool = False
    is_primary_owner: bool = False
    is_bot: bool = False
    deleted: bool = False

    def to_api(self, team_id: str) -> dict[str, Any]:
        """Render as Slack does, including ``tz_offset`` for *now* (so DST is honoured like the real API)."""
        offset = datetime.now(UTC).astimezone(ZoneInfo(self.tz)).utcoffset()
        real_name = self.real_name or self.name
        return {
            "id": self.id,
            "team_id": team_id,
            "name": self.name,
            "real_name": real_name,
            "deleted": self.deleted,
            "tz": self.tz,
            "tz_label": self.tz,
            "tz_offset": int(offset.total_seconds()) if offset is not None else 0,
            "is_admin": self.is_admin,
            "is_owner": self.is_owner,
            "is_primary_owner": self.is_primary_owner,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": self.is_bot,
            "is_app_user": False,
            "profile": {"real_name": real_name, "display_name": self.name, "team": team_id},
        }


@dataclass
class SlackChannel:
    """A conversation as ``conversations.info`` reports it."""

    id: str
    name: str
    is_private: bool = False
    is_im: bool = False
    is_member: bool = True

    def to_api(self) -> dict[str, Any]:
        """Render the subset of fields adapters read (ids, kind flags, membership)."""
        return {
            "id": self.id,
            "name": self.name,
            "is_channel": not self.is_im and not self.is_private,
            "is_group": self.is_private and not self.is_im,
            "is_im": self.is_im,
            "is_private": self.is_private,
            "is_member": self.is_member,
            "is_archived": False,
            "created": 1_700_000_000,
        }


def default_users() -> list[SlackUser]:
    """A member, an admin and an owner in different zones, so permission and timezone rules get exercised."""
    return [
        SlackUser(MEMBER_ID, "maya", "Maya Raman", tz="Asia/Kolkata"),
        SlackUser(ADMIN_ID, "omar", "Omar Haddad", tz="America/New_York", is_admin=True),
        SlackUser(OWNER_ID, "lena", "Lena Petrova", tz="America/Chicago", is_admin=True, is_owner=True,
                  is_primary_owner=True),
        SlackUser(BOT_USER_ID, BOT_USER_NAME, "Rounds", is_bot=True),
    ]


def default_channels() -> list[SlackChannel]:
    """One public channel the bot is in; add more with ``SlackStandIn.add_channel``."""
    return [SlackChannel(DEFAULT_CHANNEL_ID, DEFAULT_CHANNEL_NAME)]


# --------------------------------------------------------------------------------------------------------------
# Records


@dataclass(frozen=True)
class RecordedCall:
    """One request the app made to the stand-in: a Web API call or a post to a ``response_url``.

    ``params`` merges the query string and the body (JSON or form), with ``blocks`` / ``view`` / ... decoded from
    JSON when they came form-encoded, so assertions do not depend on which encoding slack_sdk picked.
    ``at`` is ``time.monotonic()`` on arrival: compare calls with each other, not with wall clock time.
    """

    method: str
    params: dict[str, Any]
    http_method: str
    body_kind: Literal["json", "form", "multipart", "bytes", "none"]
    raw_body: bytes
    headers: dict[str, str]
    token: str | None
    at: float
    status: int
    response: Any
    response_token: str | None = None

    @property
    def ok(self) -> bool:
        """True when the call succeeded from Slack's point of view (HTTP 200 and, for the Web API, ``ok``)."""
        if self.status != 200:
            return False
        return not isinstance(self.response, dict) or bool(self.response.get("ok", True))

    def get(self, key: str, default: Any = None) -> Any:
        """Shorthand for ``params.get`` so assertions read like ``call.get("channel")``."""
        return self.params.get(key, default)


@dataclass
class UploadedFile:
    """One file of ``files_upload_v2``: announced by ``files.getUploadURLExternal``, its bytes POSTed to the upload
    URL, then shared by ``files.completeUploadExternal`` (``channel_id`` / ``title`` set then)."""

    id: str
    filename: str
    length: int
    alt_txt: str | None = None
    data: bytes | None = None
    channel_id: str | None = None
    title: str | None = None
    thread_ts: str | None = None

    @property
    def uploaded(self) -> bool:
        return self.data is not None

    @property
    def completed(self) -> bool:
        return self.channel_id is not None

    def to_api(self) -> dict[str, Any]:
        """The file object ``files.completeUploadExternal`` answers with (the fields adapters may read)."""
        return {"id": self.id, "name": self.filename, "title": self.title or self.filename, "size": len(self.data or b""),
                "mimetype": "image/png" if self.filename.endswith(".png") else "application/octet-stream",
                "alt_txt": self.alt_txt, "channels": [self.channel_id] if self.channel_id else []}


@dataclass(frozen=True)
class HttpDelivery:
    """One signed request the stand-in delivered to the app over HTTP, and bolt's answer (the ack)."""

    label: str
    url: str
    sent: dict[str, Any]
    status: int
    body: str
    headers: dict[str, str]
    sent_at: float
    acked_at: float

    @property
    def latency(self) -> float:
        """Seconds from sending the request to reading the full response: what Slack's 3 s clock measures."""
        return self.acked_at - self.sent_at

    def json(self) -> Any:
        """The ack body parsed as JSON (bolt answers ``ack(text=...)`` with JSON), or None when empty."""
        return json.loads(self.body) if self.body else None


@dataclass(frozen=True)
class SocketAck:
    """An ack frame the app sent back over Socket Mode, matched to the envelope the stand-in pushed."""

    envelope_id: str
    payload: dict[str, Any] | None
    raw: str
    sent_at: float | None
    acked_at: float

    @property
    def latency(self) -> float | None:
        """Seconds from pushing the envelope to receiving its ack; None for an ack of an unknown envelope."""
        return None if self.sent_at is None else self.acked_at - self.sent_at


@dataclass
class _Fault:
    """A pending injected failure for one method: a 429, or an ``ok: false`` error with an HTTP status."""

    kind: Literal["ratelimit", "error"]
    remaining: int
    retry_after: int = 1
    error: str = ""
    status: int = 200


@dataclass
class _PushedEnvelope:
    envelope_id: str
    type: str
    payload: dict[str, Any]
    sent_at: float


# --------------------------------------------------------------------------------------------------------------
# Helpers usable without a running stand-in


def signed_headers(secret: str, body: str | bytes, timestamp: int | str | None = None) -> dict[str, str]:
    """Slack's request signing headers for ``body``, computed with slack_sdk's own ``SignatureVerifier``.

    Using the SDK's signer (not a re-implementation) means a test can only pass if bolt accepts exactly what
    Slack would send. Pass an old ``timestamp`` to provoke bolt's 5-minute replay check.
    """
    ts = str(int(time.time())) if timestamp is None else str(int(timestamp))
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    assert signature is not None  # only None when timestamp is None, which cannot happen here
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature}


def signed_raw_headers(secret: str, body: bytes, timestamp: int | str | None = None) -> dict[str, str]:
    """The same signature over raw bytes. ``SignatureVerifier`` decodes the body as UTF-8 first, so it cannot sign
    bytes that are not UTF-8: the very requests a test sends to check they are refused after the signature."""
    ts = str(int(time.time())) if timestamp is None else str(timestamp)
    digest = hmac.new(secret.encode(), b"v0:" + ts.encode() + b":" + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


def interactive_body(payload: Mapping[str, Any]) -> str:
    """Form-encode an interactive payload the way Slack posts it: a single ``payload=<json>`` field."""
    return urllib.parse.urlencode({"payload": json.dumps(payload)})


def validate_blocks(blocks: Any, *, max_blocks: int = MAX_MESSAGE_BLOCKS, pointer: str = "/blocks") -> list[str]:
    """Check the Block Kit limits Slack enforces with ``invalid_blocks``; return Slack-style error strings.

    Why: the renderers must truncate or paginate, never crash or get rejected. Enforcing the limits here turns a
    silently dropped message into a failing test. Only the limits Rounds can plausibly hit are checked.
    """
    if blocks is None:
        return []
    if not isinstance(blocks, list):
        return [f"must be an array [json-pointer:{pointer}]"]
    errors: list[str] = []
    if len(blocks) > max_blocks:
        errors.append(f"no more than {max_blocks} items allowed [json-pointer:{pointer}]")
    for i, block in enumerate(blocks):
        where = f"{pointer}/{i}"
        if not isinstance(block, dict) or "type" not in block:
            errors.append(f"missing required field: type [json-pointer:{where}]")
            continue
        kind = block["type"]
        if kind == "section":
            text = (block.get("text") or {}).get("text", "")
            if len(text) > MAX_SECTION_TEXT:
                errors.append(f"must be less than {MAX_SECTION_TEXT + 1} characters [json-pointer:{where}/text/text]")
            fields = block.get("fields") or []
            if len(fields) > MAX_SECTION_FIELDS:
                errors.append(f"no more than {MAX_SECTION_FIELDS} items allowed [json-pointer:{where}/fields]")
            for j, fld in enumerate(fields):
                if len(fld.get("text", "")) > MAX_FIELD_TEXT:
                    errors.append(
                        f"must be less than {MAX_FIELD_TEXT + 1} characters [json-pointer:{where}/fields/{j}/text]"
                    )
            if block.get("accessory"):
                errors.extend(_validate_element(block["accessory"], f"{where}/accessory"))
        elif kind == "header":
            if len((block.get("text") or {}).get("text", "")) > MAX_HEADER_TEXT:
                errors.append(f"must be less than {MAX_HEADER_TEXT + 1} characters [json-pointer:{where}/text/text]")
        elif kind == "actions":
            elements = block.get("elements") or []
            if len(elements) > MAX_ACTIONS_ELEMENTS:
                errors.append(f"no more than {MAX_ACTIONS_ELEMENTS} items allowed [json-pointer:{where}/elements]")
            for j, element in enumerate(elements):
                errors.extend(_validate_element(element, f"{where}/elements/{j}"))
        errors.extend(_date_problems_in(block, where))
    return errors


#: Slack's ``<!date^UNIX^FORMAT[^LINK]|FALLBACK>`` (api.slack.com "Formatting text for app surfaces": dates).
DATE_FORMAT_TOKENS = frozenset({
    "date_num", "date", "date_short", "date_long", "date_pretty", "date_short_pretty", "date_long_pretty",
    "time", "time_secs", "ago", "day_divider_pretty",
})
_DATE_TOKEN = re.compile(r"<!date\^(?P<unix>[^^|>]*)\^(?P<format>[^^|>]*)(?:\^(?P<link>[^|>]*))?(?:\|(?P<fallback>[^>]*))?>")
_DATE_START = re.compile(r"<!date\b")


def _date_token_problem(token: re.Match[str]) -> str | None:
    """What is wrong with one ``<!date…>`` token, or ``None`` when Slack would render it."""
    if not re.fullmatch(r"-?\d+", token["unix"]):
        return f"date timestamp must be integer unix seconds, got {token['unix']!r}"
    names = re.findall(r"\{([^{}]*)\}", token["format"])
    if not names:
        return f"date format {token['format']!r} names no token such as {{date_long_pretty}}"
    unknown = [n for n in names if n not in DATE_FORMAT_TOKENS]
    if unknown:
        return f"unknown date format token(s) {', '.join('{' + n + '}' for n in unknown)}"
    if token["link"] is not None and not re.match(r"https?://\S+$", token["link"]):
        return f"date link must be an http(s) URL, got {token['link']!r}"
    if not token["fallback"]:
        return "date token needs a |fallback text"
    return None


def validate_date_tokens(text: str, where: str) -> list[str]:
    """Check every ``<!date^…>`` token in one text: integer seconds, known ``{tokens}``, an optional http(s)
    ``^link`` and a required ``|fallback`` (what clients that cannot render the date show). Why: a malformed token
    is shown raw to every reader, in no one's zone, so a renderer that builds one wrongly must fail a test."""
    errors: list[str] = []
    for start in _DATE_START.finditer(text):
        token = _DATE_TOKEN.match(text, start.start())
        problem = "malformed date token" if token is None else _date_token_problem(token)
        if problem is not None:
            errors.append(f"{problem} [json-pointer:{where}]")
    return errors


def _date_problems_in(value: Any, where: str) -> list[str]:
    """Date-token problems in every string inside a block structure (texts, fields, elements, context)."""
    if isinstance(value, str):
        return validate_date_tokens(value, where)
    if isinstance(value, list):
        return [e for i, item in enumerate(value) for e in _date_problems_in(item, f"{where}/{i}")]
    if isinstance(value, dict):
        return [e for k, item in value.items() for e in _date_problems_in(item, f"{where}/{k}")]
    return []


def _validate_element(element: Mapping[str, Any], where: str) -> list[str]:
    """Limits of interactive elements (button text/value, select option count)."""
    errors: list[str] = []
    if element.get("type") == "button":
        if len((element.get("text") or {}).get("text", "")) > MAX_BUTTON_TEXT:
            errors.append(f"must be less than {MAX_BUTTON_TEXT + 1} characters [json-pointer:{where}/text/text]")
        if len(str(element.get("value", ""))) > MAX_BUTTON_VALUE:
            errors.append(f"must be less than {MAX_BUTTON_VALUE + 1} characters [json-pointer:{where}/value]")
    options = element.get("options")
    if isinstance(options, list) and len(options) > MAX_SELECT_OPTIONS:
        errors.append(f"no more than {MAX_SELECT_OPTIONS} items allowed [json-pointer:{where}/options]")
    return errors


@asynccontextmanager
async def serve_web_app(app: web.Application, host: str = "127.0.0.1") -> AsyncIterator[str]:
    """Serve an aiohttp app (e.g. bolt's ``app.web_app()``) on a free port; yield its base URL.

    A short shutdown timeout keeps test teardown fast: aiohttp's default waits up to 60 s for open handlers.
    """
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, 0)
        await site.start()
        port = runner.addresses[0][1]
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


async def eventually(condition: Callable[[], bool], timeout: float = 5.0, interval: float = 0.01) -> None:
    """Poll ``condition`` until it holds, for state the stand-in cannot observe (a handler's side effects).

    Prefer ``SlackStandIn.wait_for*`` for anything that crosses the wire: those wake on arrival, no polling.
    """
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            raise TimeoutError(f"condition still false after {timeout}s")
        await asyncio.sleep(interval)


async def _chunks(body: bytes, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    """A body sent chunked (no Content-Length), so the app cannot refuse it by its announced size."""
    for start in range(0, len(body), size):
        yield body[start:start + size]


def _err(error: str, **extra: Any) -> dict[str, Any]:
    return {"ok": False, "error": error, **extra}


def _flag(value: Any) -> bool:
    """A boolean argument as slack_sdk sends it (1/0 in a query string) or as JSON."""
    return value is True or str(value).lower() in ("1", "true")


def _window(params: dict[str, Any]) -> tuple[Decimal, Decimal | None, int, bool] | None:
    """A history call's `oldest`, `latest`, `limit` and `inclusive` (None when one is not a number)."""
    try:
        oldest = Decimal(str(params.get("oldest") or "0"))
        latest = Decimal(str(params["latest"])) if params.get("latest") else None
        limit = min(max(int(params.get("limit") or HISTORY_LIMIT), 1), MAX_HISTORY_LIMIT)
    except (InvalidOperation, ValueError):
        return None
    return oldest, latest, limit, _flag(params.get("inclusive"))


def _cursor_ts(cursor: str) -> Decimal | None:
    """The timestamp a conversations.history cursor continues from, or None for a cursor Slack never gave."""
    try:
        text = base64.b64decode(cursor, validate=True).decode()
        return Decimal(text.removeprefix("next_ts:")) if text.startswith("next_ts:") else None
    except (binascii.Error, UnicodeDecodeError, InvalidOperation):
        return None


def _bearer(headers: Mapping[str, str]) -> str | None:
    value = headers.get("Authorization", "")
    if not value.startswith("Bearer "):
        return None
    return value[len("Bearer "):].strip() or None


def _decode_json_fields(params: dict[str, Any]) -> dict[str, Any]:
    for key in _JSON_FIELDS:
        value = params.get(key)
        if isinstance(value, str) and value[:1] in ("[", "{"):
            with suppress(json.JSONDecodeError):  # else left as sent; the method handler reports the problem
                params[key] = json.loads(value)
    return params


# --------------------------------------------------------------------------------------------------------------
# The stand-in

ApiHandler = Callable[[dict[str, Any], str], dict[str, Any]]
CallPredicate = Callable[[RecordedCall], bool]


class SlackStandIn:
    """A local Slack: Web API, ``response_url`` endpoints, Socket Mode, and signed delivery to an HTTP app.

    Args:
        users: workspace members for ``users.info`` (default: ``default_users()``).
        channels: conversations for ``conversations.info`` (default: ``default_channels()``).
        valid_tokens: if given, only these tokens authenticate (others get ``invalid_auth``); by default any
            non-empty token is accepted and recorded, so tests can assert which token was used.
        trigger_ttl: seconds a ``trigger_id`` stays valid for ``views.open`` (Slack: 3 s).
    """

    def __init__(
        self,
        *,
        users: Iterable[SlackUser] | None = None,
        channels: Iterable[SlackChannel] | None = None,
        valid_tokens: Iterable[str] | None = None,
        trigger_ttl: float = 3.0,
    ) -> None:
        self.team_id = TEAM_ID
        self.users: dict[str, SlackUser] = {u.id: u for u in (users if users is not None else default_users())}
        self.channels: dict[str, SlackChannel] = {
            c.id: c for c in (channels if channels is not None else default_channels())
        }
        self.valid_tokens: frozenset[str] | None = frozenset(valid_tokens) if valid_tokens is not None else None
        self.trigger_ttl = trigger_ttl

        self._calls: list[RecordedCall] = []
        self._deliveries: list[HttpDelivery] = []
        self._acks: list[SocketAck] = []
        self._pushed: dict[str, _PushedEnvelope] = {}
        self._faults: dict[str, list[_Fault]] = {}
        self._overrides: dict[str, ApiHandler] = {}
        self._messages: dict[tuple[str, str], dict[str, Any]] = {}
        self._views: dict[str, dict[str, Any]] = {}
        self._triggers: dict[str, float] = {}
        self._used_triggers: set[str] = set()
        self._sockets: list[web.WebSocketResponse] = []
        self._ims: dict[str, str] = {}  # user id -> IM channel id
        self.closed_dms: set[str] = set()  # members whose IM refuses the app's messages
        self.files: dict[str, UploadedFile] = {}
        self.socket_connections = 0
        self._ts_counter = itertools.count(1)
        self._changed = asyncio.Event()

        self._runner: web.AppRunner | None = None
        self._host = "127.0.0.1"
        self._session: ClientSession | None = None
        self._port: int | None = None

        self._api: dict[str, ApiHandler] = {
            "auth.test": self._auth_test,
            "apps.connections.open": self._apps_connections_open,
            "chat.postMessage": self._chat_post_message,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.update": self._chat_update,
            "chat.delete": self._chat_delete,
            "views.open": self._views_open,
            "views.push": self._views_open,
            "views.update": self._views_update,
            "views.publish": self._views_publish,
            "users.info": self._users_info,
            "conversations.info": self._conversations_info,
            "conversations.open": self._conversations_open,
            "conversations.history": self._conversations_history,
            "conversations.replies": self._conversations_replies,
            "files.getUploadURLExternal": self._files_get_upload_url,
            "files.completeUploadExternal": self._files_complete_upload,
        }

    # ---------------------------------------------------------------- lifecycle

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> SlackStandIn:
        """Bind on ``host`` (a free port by default) and open the client session used for deliveries."""
        if self._runner is not None:
            raise RuntimeError("stand-in already started")
        app = web.Application(client_max_size=8 * 1024 * 1024)
        app.router.add_route("*", "/api/{method}", self._handle_api)
        app.router.add_post("/response/{token}", self._handle_response_url)
        app.router.add_post("/upload/v1/{file_id}", self._handle_upload)
        app.router.add_get("/link", self._handle_link)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        self._runner = runner
        self._host = host
        self._port = runner.addresses[0][1]
        self._session = ClientSession(timeout=ClientTimeout(total=10))
        return self

    async def stop(self) -> None:
        """Close websockets (code 1001, like a Slack server going away), the delivery session and the server.

        Close the app's Socket Mode handler *before* this, or its auto-reconnect will log connection errors.
        """
        for ws in list(self._sockets):
            await ws.close(code=WSCloseCode.GOING_AWAY, message=b"stand-in stopping")
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    # ---------------------------------------------------------------- addresses

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` of the running stand-in."""
        if self._port is None:
            raise RuntimeError("stand-in not started")
        return f"http://{self._host}:{self._port}"

    @property
    def api_url(self) -> str:
        """Pass as ``AsyncWebClient(base_url=...)``; the trailing slash matters to slack_sdk's URL join."""
        return f"{self.base_url}/api/"

    @property
    def socket_url(self) -> str:
        """The websocket URL handed out by ``apps.connections.open``."""
        return f"ws://{self._host}:{self._port}/link"

    # ---------------------------------------------------------------- workspace setup

    def add_user(self, user: SlackUser) -> SlackUser:
        """Add or replace a member (e.g. to test a permission change between two commands)."""
        self.users[user.id] = user
        return user

    def add_channel(self, channel: SlackChannel) -> SlackChannel:
        """Add or replace a conversation."""
        self.channels[channel.id] = channel
        return channel

    def new_response_url(self) -> tuple[str, str]:
        """A fresh ``(token, url)`` for a ``response_url`` served by this stand-in."""
        token = secrets.token_hex(8)
        return token, f"{self.base_url}/response/{token}"

    def new_trigger_id(self) -> str:
        """A fresh ``trigger_id``, valid for ``views.open`` for ``trigger_ttl`` seconds and only once."""
        trigger_id = f"{next(self._ts_counter)}.{secrets.randbelow(10**12)}.{secrets.token_hex(16)}"
        self._triggers[trigger_id] = time.monotonic()
        return trigger_id

    # ---------------------------------------------------------------- fault injection / overrides

    def rate_limit_next(self, method: str, retry_after: int = 1, times: int = 1) -> None:
        """Answer the next ``times`` calls to ``method`` with HTTP 429, ``Retry-After`` and ``ratelimited``.

        slack_sdk's ``AsyncRateLimitErrorRetryHandler`` sleeps ``Retry-After`` + a random 0-1 s, then retries.
        ``method`` may also be ``RESPONSE_URL_METHOD``.
        """
        self._faults.setdefault(method, []).append(_Fault("ratelimit", times, retry_after=retry_after))

    def fail_next(self, method: str, error: str, times: int = 1, *, status: int = 200) -> None:
        """Answer the next ``times`` calls to ``method`` with ``{"ok": false, "error": error}``.

        Slack reports refusals with HTTP 200; pass ``status=500`` (e.g. ``internal_error``) for a server failure.
        ``method`` may also be ``RESPONSE_URL_METHOD`` or ``UPLOAD_METHOD`` (those answer ``status`` or 404/500).
        """
        self._faults.setdefault(method, []).append(_Fault("error", times, error=error, status=status))

    def close_dms(self, user_id: str) -> None:
        """The member turned off messages from apps: chat.postMessage into their IM gets ``messages_tab_disabled``."""
        self.closed_dms.add(user_id)

    def set_handler(self, method: str, handler: ApiHandler | Mapping[str, Any]) -> None:
        """Replace the answer for a Web API method: a fixed dict, or ``handler(params, token) -> dict``."""
        if isinstance(handler, Mapping):
            fixed = dict(handler)
            self._overrides[method] = lambda _params, _token: dict(fixed)
        else:
            self._overrides[method] = handler

    # ---------------------------------------------------------------- inspection

    def calls(self, method: str | None = None) -> list[RecordedCall]:
        """Every recorded request (including rejected ones, e.g. 429s), optionally for one method, in order."""
        return [c for c in self._calls if method is None or c.method == method]

    def responses(self, token: str | None = None) -> list[RecordedCall]:
        """Posts to ``response_url`` endpoints, optionally for one token (see ``token_of``)."""
        return [c for c in self.calls(RESPONSE_URL_METHOD) if token is None or c.response_token == token]

    @staticmethod
    def token_of(response_url: str) -> str:
        """The token part of a ``response_url`` issued by this stand-in."""
        return response_url.rstrip("/").rsplit("/", 1)[-1]

    def im_of(self, user_id: str) -> str | None:
        """The IM channel id ``conversations.open`` gave this member, if it was opened."""
        return self._ims.get(user_id)

    def channel_messages(self, channel_id: str) -> list[dict[str, Any]]:
        """The messages now in a conversation (edits applied, deleted ones gone), oldest first."""
        found = [m for (c, _), m in self._messages.items() if c == channel_id]
        return sorted(found, key=lambda m: Decimal(m["ts"]))

    def shared_files(self, channel_id: str | None = None) -> list[UploadedFile]:
        """Files completed by ``files.completeUploadExternal``, optionally only those shared into one channel."""
        return [f for f in self.files.values() if f.completed and (channel_id is None or f.channel_id == channel_id)]

    def deliveries(self) -> list[HttpDelivery]:
        """Signed HTTP requests delivered to the app, with status, ack body and latency."""
        return list(self._deliveries)

    def acks(self) -> list[SocketAck]:
        """Socket Mode ack frames received, in arrival order."""
        return list(self._acks)

    def ack_latencies(self, kind: Literal["http", "socket"] | None = None) -> list[float]:
        """Ack latencies in seconds: HTTP deliveries answered 200 and socket acks of known envelopes."""
        samples: list[float] = []
        if kind in (None, "http"):
            samples += [d.latency for d in self._deliveries if d.status == 200]
        if kind in (None, "socket"):
            samples += [a.latency for a in self._acks if a.latency is not None]
        return samples

    def latency_stats(self, kind: Literal["http", "socket"] | None = None) -> LatencyStats:
        """Median / p99 / max of ``ack_latencies(kind)``."""
        return LatencyStats.from_samples(self.ack_latencies(kind))

    def reset(self) -> None:
        """Forget recorded calls, deliveries and acks (e.g. after a warm-up request); keeps users and faults."""
        self._calls.clear()
        self._deliveries.clear()
        self._acks.clear()
        self._notify()

    # ---------------------------------------------------------------- waiting

    async def wait_for(self, predicate: CallPredicate, timeout: float = 5.0) -> RecordedCall:
        """The first recorded call matching ``predicate``, waiting up to ``timeout`` for it to arrive.

        Needed because bolt runs everything after ``ack()`` in a background task: the HTTP response (or ack
        frame) comes back before ``respond()`` / ``chat.postMessage`` reach the stand-in.
        """

        def find() -> RecordedCall | None:
            return next((c for c in self._calls if predicate(c)), None)

        return await self._wait_until(find, timeout, "a matching call")

    async def wait_for_call(
        self, method: str, where: CallPredicate | None = None, *, ok: bool | None = None, timeout: float = 5.0
    ) -> RecordedCall:
        """The first call to ``method`` (optionally also matching ``where`` and/or ``ok``)."""
        return await self.wait_for(
            lambda c: c.method == method
            and (ok is None or c.ok == ok)
            and (where is None or where(c)),
            timeout,
        )

    async def wait_for_response(self, token: str | None = None, timeout: float = 5.0) -> RecordedCall:
        """The first post to a ``response_url`` (optionally the one with ``token``)."""
        return await self.wait_for(
            lambda c: c.method == RESPONSE_URL_METHOD and (token is None or c.response_token == token), timeout
        )

    async def wait_for_ack(self, envelope_id: str, timeout: float = 5.0) -> SocketAck:
        """The ack frame for ``envelope_id``. Bolt sends none when no listener acked within 3 s."""

        def find() -> SocketAck | None:
            return next((a for a in self._acks if a.envelope_id == envelope_id), None)

        return await self._wait_until(find, timeout, f"ack of envelope {envelope_id}")

    async def wait_connected(self, timeout: float = 5.0) -> web.WebSocketResponse:
        """The newest open Socket Mode connection, waiting for the app to connect if needed."""

        def find() -> web.WebSocketResponse | None:
            return next((ws for ws in reversed(self._sockets) if not ws.closed), None)

        return await self._wait_until(find, timeout, "a Socket Mode connection")

    async def _wait_until(self, find: Callable[[], T | None], timeout: float, what: str) -> T:
        deadline = time.monotonic() + timeout
        while True:
            changed = self._changed  # captured before checking, so a change in between is never missed
            found = find()
            if found is not None:
                return found
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                seen = [f"{c.method}:{c.status}" for c in self._calls]
                raise TimeoutError(f"timed out after {timeout}s waiting for {what}; calls so far: {seen}")
            with suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), remaining)

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    # ---------------------------------------------------------------- payload builders

    def _user_name(self, user_id: str) -> str:
        user = self.users.get(user_id)
        return user.name if user is not None else "user"

    def _channel_name(self, channel_id: str) -> str:
        channel = self.channels.get(channel_id)
        return channel.name if channel is not None else "directmessage"

    def slash_command_payload(
        self,
        command: str = "/rounds",
        text: str = "",
        *,
        user_id: str = MEMBER_ID,
        user_name: str | None = None,
        channel_id: str = DEFAULT_CHANNEL_ID,
        channel_name: str | None = None,
        team_id: str | None = None,
        response_url: str | None = None,
        trigger_id: str | None = None,
    ) -> dict[str, str]:
        """The fields Slack sends for a slash command (all strings), with a fresh response_url and trigger_id.

        This dict is the Socket Mode ``payload``; ``slash_command_body`` form-encodes it for HTTP mode.
        """
        return {
            "token": VERIFICATION_TOKEN,
            "team_id": team_id or self.team_id,
            "team_domain": TEAM_DOMAIN,
            "channel_id": channel_id,
            "channel_name": channel_name or self._channel_name(channel_id),
            "user_id": user_id,
            "user_name": user_name or self._user_name(user_id),
            "command": command,
            "text": text,
            "api_app_id": APP_ID,
            "is_enterprise_install": "false",
            "response_url": response_url or self.new_response_url()[1],
            "trigger_id": trigger_id or self.new_trigger_id(),
        }

    def slash_command_body(self, command: str = "/rounds", text: str = "", **fields: Any) -> str:
        """``slash_command_payload`` form-encoded, as Slack POSTs it in HTTP mode."""
        return urllib.parse.urlencode(self.slash_command_payload(command, text, **fields))

    def block_actions_payload(
        self,
        action_id: str,
        value: str = "",
        *,
        block_id: str | None = None,
        user_id: str = MEMBER_ID,
        channel_id: str = DEFAULT_CHANNEL_ID,
        message_ts: str | None = None,
        message_text: str = "",
        message_blocks: list[dict[str, Any]] | None = None,
        ephemeral: bool = False,
        button_text: str = "Button",
        response_url: str | None = None,
        trigger_id: str | None = None,
    ) -> dict[str, Any]:
        """A ``block_actions`` payload for a button press on a bot message (or an ephemeral one).

        Ephemeral messages carry no ``message`` in the payload (Slack never shows them to the app again), so
        adapters must not rely on it; ``container.is_ephemeral`` tells them apart.
        """
        ts = message_ts or self._next_ts()
        block_id = block_id or f"b-{action_id}"
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": {"id": user_id, "username": self._user_name(user_id), "name": self._user_name(user_id),
                     "team_id": self.team_id},
            "api_app_id": APP_ID,
            "token": VERIFICATION_TOKEN,
            "container": {"type": "message", "message_ts": ts, "channel_id": channel_id,
                          "is_ephemeral": ephemeral},
            "trigger_id": trigger_id or self.new_trigger_id(),
            "team": {"id": self.team_id, "domain": TEAM_DOMAIN},
            "enterprise": None,
            "is_enterprise_install": False,
            "channel": {"id": channel_id, "name": self._channel_name(channel_id)},
            "state": {"values": {}},
            "response_url": response_url or self.new_response_url()[1],
            "actions": [{
                "action_id": action_id,
                "block_id": block_id,
                "text": {"type": "plain_text", "text": button_text, "emoji": True},
                "value": value,
                "type": "button",
                "action_ts": f"{time.time():.6f}",
            }],
        }
        if not ephemeral:
            payload["message"] = {
                "type": "message", "subtype": "bot_message", "user": BOT_USER_ID, "bot_id": BOT_ID,
                "app_id": APP_ID, "team": self.team_id, "ts": ts, "text": message_text,
                "blocks": message_blocks or [],
            }
        return payload

    def view_submission_payload(
        self,
        callback_id: str,
        values: dict[str, dict[str, dict[str, Any]]] | None = None,
        *,
        private_metadata: str = "",
        user_id: str = MEMBER_ID,
        view_id: str | None = None,
        trigger_id: str | None = None,
    ) -> dict[str, Any]:
        """A ``view_submission`` payload; ``values`` is ``state.values`` ({block_id: {action_id: {...}}}).

        Note there is no ``response_url`` on a view submission: the reply must be ``ack(response_action=...)``
        or a Web API call.
        """
        return {
            "type": "view_submission",
            "team": {"id": self.team_id, "domain": TEAM_DOMAIN},
            "user": {"id": user_id, "username": self._user_name(user_id), "name": self._user_name(user_id),
                     "team_id": self.team_id},
            "api_app_id": APP_ID,
            "token": VERIFICATION_TOKEN,
            "trigger_id": trigger_id or self.new_trigger_id(),
            "view": {
                "id": view_id or f"V{secrets.token_hex(5).upper()}",
                "team_id": self.team_id,
                "type": "modal",
                "callback_id": callback_id,
                "private_metadata": private_metadata,
                "state": {"values": values or {}},
                "hash": secrets.token_hex(8),
                "title": {"type": "plain_text", "text": "Rounds"},
                "blocks": [],
                "app_id": APP_ID,
                "bot_id": BOT_ID,
            },
            "response_urls": [],
            "is_enterprise_install": False,
            "enterprise": None,
        }

    @staticmethod
    def interactive_body(payload: Mapping[str, Any]) -> str:
        """See module-level ``interactive_body``."""
        return interactive_body(payload)

    @staticmethod
    def signed_headers(secret: str, body: str | bytes, timestamp: int | str | None = None) -> dict[str, str]:
        """See module-level ``signed_headers``."""
        return signed_headers(secret, body, timestamp)

    # ---------------------------------------------------------------- HTTP delivery to the app

    async def post_signed(
        self,
        url: str,
        body: str,
        *,
        secret: str,
        content_type: str = FORM_CONTENT_TYPE,
        timestamp: int | str | None = None,
        headers: Mapping[str, str] | None = None,
        label: str = "request",
        sent: dict[str, Any] | None = None,
    ) -> HttpDelivery:
        """POST ``body`` to the app signed with ``secret`` and record status, ack body and latency.

        ``headers`` can add e.g. ``X-Slack-Retry-Num`` / ``X-Slack-Retry-Reason`` to simulate Slack's retries
        (bolt passes them through to listeners; deduplication is the app's job).
        """
        if self._session is None:
            raise RuntimeError("stand-in not started")
        all_headers = {
            "Content-Type": content_type,
            "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
            **signed_headers(secret, body, timestamp),
            **(headers or {}),
        }
        sent_at = time.monotonic()
        async with self._session.post(url, data=body.encode("utf-8"), headers=all_headers) as resp:
            text = await resp.text()
            acked_at = time.monotonic()
            delivery = HttpDelivery(label, url, sent or {}, resp.status, text, dict(resp.headers), sent_at, acked_at)
        self._deliveries.append(delivery)
        self._notify()
        return delivery

    async def send_slash_command(
        self,
        url: str,
        *,
        secret: str,
        timestamp: int | str | None = None,
        headers: Mapping[str, str] | None = None,
        **fields: Any,
    ) -> HttpDelivery:
        """Build a slash command (``fields`` as for ``slash_command_payload``) and deliver it signed.

        The delivery's ``sent`` holds the payload, e.g. ``sent["response_url"]`` to find its responses.
        """
        payload = self.slash_command_payload(**fields)
        return await self.post_signed(
            url, urllib.parse.urlencode(payload), secret=secret, timestamp=timestamp, headers=headers,
            label=f"slash_commands {payload['command']}", sent=payload,
        )

    async def send_interactive(
        self,
        url: str,
        payload: Mapping[str, Any],
        *,
        secret: str,
        timestamp: int | str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> HttpDelivery:
        """Deliver an interactive payload (``block_actions``, ``view_submission``) as Slack does: signed form."""
        return await self.post_signed(
            url, interactive_body(payload), secret=secret, timestamp=timestamp, headers=headers,
            label=f"interactive {payload.get('type')}", sent=dict(payload),
        )

    async def post_raw(
        self,
        url: str,
        body: bytes,
        *,
        secret: str | None,
        content_type: str = FORM_CONTENT_TYPE,
        timestamp: int | str | None = None,
        headers: Mapping[str, str] | None = None,
        chunked: bool = False,
    ) -> HttpDelivery:
        """POST raw bytes, signed over the bytes with ``secret`` (None: no signature headers, only ``headers``).

        For what Slack never sends: bodies that are not UTF-8, timestamps that are not numbers, bodies sent in
        chunks with no Content-Length. ``timestamp`` is sent as given (any text), so it can be malformed.
        """
        if self._session is None:
            raise RuntimeError("stand-in not started")
        all_headers = {"Content-Type": content_type, **(signed_raw_headers(secret, body, timestamp) if secret else {}),
                       **(headers or {})}
        data: Any = _chunks(body) if chunked else body
        sent_at = time.monotonic()
        async with self._session.post(url, data=data, headers=all_headers) as resp:
            text = await resp.text(errors="replace")
            acked_at = time.monotonic()
            delivery = HttpDelivery("raw", url, {}, resp.status, text, dict(resp.headers), sent_at, acked_at)
        self._deliveries.append(delivery)
        self._notify()
        return delivery

    async def storm(self, url: str, payloads: Iterable[Mapping[str, Any]], *, secret: str, timeout: float = 30.0,
                    on_answer: Callable[[int | None], None] | None = None) -> list[int | None]:
        """Deliver every interactive payload at once, each on its own connection, as a crowd pressing together:
        the HTTP status each got, or None where the app never answered (it died with the request in flight). What
        Slack saw is what counts: a 200 is an acknowledgement Slack will never send again. ``on_answer`` hears of
        each outcome as it comes (e.g. to kill the app mid-storm)."""
        bodies = [interactive_body(p) for p in payloads]
        connector = TCPConnector(limit=0, force_close=True)
        async with ClientSession(connector=connector, timeout=ClientTimeout(total=timeout)) as session:

            async def one(body: str) -> int | None:
                headers = {"Content-Type": FORM_CONTENT_TYPE, **signed_headers(secret, body)}
                status: int | None = None
                try:
                    async with session.post(url, data=body.encode(), headers=headers) as resp:
                        await resp.read()
                        status = resp.status
                except (TimeoutError, ClientError, OSError):
                    status = None
                if on_answer is not None:
                    on_answer(status)
                return status

            return list(await asyncio.gather(*(one(body) for body in bodies)))

    # ---------------------------------------------------------------- Socket Mode delivery to the app

    async def push_envelope(
        self,
        type: str,
        payload: dict[str, Any],
        *,
        envelope_id: str | None = None,
        accepts_response_payload: bool = False,
        retry_attempt: int | None = None,
        retry_reason: str | None = None,
        timeout: float = 5.0,
    ) -> str:
        """Send one envelope on the newest connection (waiting up to ``timeout`` for one); return its id.

        The send time is recorded so ``wait_for_ack`` can report the ack latency.
        """
        ws = await self.wait_connected(timeout)
        envelope_id = envelope_id or str(uuid.uuid4())
        frame: dict[str, Any] = {
            "envelope_id": envelope_id,
            "type": type,
            "payload": payload,
            "accepts_response_payload": accepts_response_payload,
        }
        if retry_attempt is not None:
            frame["retry_attempt"] = retry_attempt
            frame["retry_reason"] = retry_reason or "timeout"
        self._pushed[envelope_id] = _PushedEnvelope(envelope_id, type, payload, time.monotonic())
        await ws.send_str(json.dumps(frame))
        return envelope_id

    async def push_slash_command(self, command: str = "/rounds", text: str = "", **fields: Any) -> str:
        """Push a ``slash_commands`` envelope; ``fields`` as for ``slash_command_payload``. Returns envelope id."""
        payload = self.slash_command_payload(command, text, **fields)
        return await self.push_envelope("slash_commands", payload, accepts_response_payload=True)

    async def push_interactive(self, payload: dict[str, Any]) -> str:
        """Push an ``interactive`` envelope; like Slack, only view submissions accept a response payload."""
        return await self.push_envelope(
            "interactive", payload, accepts_response_payload=payload.get("type") == "view_submission"
        )

    def pushed_payload(self, envelope_id: str) -> dict[str, Any]:
        """The payload of a pushed envelope (e.g. to read the ``response_url`` it carried)."""
        return self._pushed[envelope_id].payload

    async def disconnect_sockets(self, reason: str = "refresh_requested") -> None:
        """Send Slack's ``disconnect`` message; slack_sdk then re-opens a connection via apps.connections.open."""
        for ws in list(self._sockets):
            if not ws.closed:
                await ws.send_str(json.dumps({"type": "disconnect", "reason": reason,
                                              "debug_info": {"host": "standin"}}))

    # ---------------------------------------------------------------- server: Web API

    async def _handle_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        arrived = time.monotonic()
        params, kind, raw = await self._read_params(request)
        headers = dict(request.headers)
        token = _bearer(headers) or (params.get("token") if isinstance(params.get("token"), str) else None)

        status = 200
        extra_headers: dict[str, str] = {}
        body: dict[str, Any]
        fault = self._take_fault(method)
        if fault is not None and fault.kind == "ratelimit":
            status, body = 429, _err("ratelimited")
            extra_headers = {"Retry-After": str(fault.retry_after)}
        elif fault is not None:
            status, body = fault.status, _err(fault.error)
        elif not token:
            body = _err("not_authed")
        elif self.valid_tokens is not None and token not in self.valid_tokens:
            body = _err("invalid_auth")
        else:
            handler = self._overrides.get(method) or self._api.get(method)
            body = handler(params, token) if handler is not None else _err("unknown_method")

        self._record(RecordedCall(method, params, request.method, kind, raw, headers, token, arrived, status, body))
        return web.json_response(body, status=status, headers=extra_headers)

    @staticmethod
    async def _read_params(
        request: web.Request,
    ) -> tuple[dict[str, Any], Literal["json", "form", "multipart", "none"], bytes]:
        """Merge query and body parameters, whatever encoding slack_sdk chose for this method."""
        params: dict[str, Any] = dict(request.query)
        if request.content_type.startswith("multipart/"):
            form = await request.post()
            params.update({k: v if isinstance(v, str) else "(file)" for k, v in form.items()})
            return _decode_json_fields(params), "multipart", b""
        raw = await request.read()
        if not raw:
            return params, "none", raw
        if request.content_type == JSON_CONTENT_TYPE:
            params.update(json.loads(raw))
            return params, "json", raw
        params.update(urllib.parse.parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
        return _decode_json_fields(params), "form", raw

    def _take_fault(self, method: str) -> _Fault | None:
        queue = self._faults.get(method)
        if not queue:
            return None
        fault = queue[0]
        fault.remaining -= 1
        if fault.remaining <= 0:
            queue.pop(0)
        return fault

    def _record(self, call: RecordedCall) -> None:
        self._calls.append(call)
        self._notify()

    def _next_ts(self) -> str:
        return f"{int(time.time())}.{next(self._ts_counter):06d}"

    # Web API methods. Each takes the merged params and the caller's token and returns the JSON body.

    def _auth_test(self, params: dict[str, Any], token: str) -> dict[str, Any]:
        return {
            "ok": True, "url": f"https://{TEAM_DOMAIN}.slack.com/", "team": TEAM_NAME, "user": BOT_USER_NAME,
            "team_id": self.team_id, "user_id": BOT_USER_ID, "bot_id": BOT_ID, "is_enterprise_install": False,
        }

    def _apps_connections_open(self, params: dict[str, Any], token: str) -> dict[str, Any]:
        if not token.startswith("xapp-"):
            return _err("not_allowed_token_type")  # what Slack says to a bot token here
        return {"ok": True, "url": self.socket_url}

    def _check_message(self, params: dict[str, Any]) -> dict[str, Any] | None:
        if not params.get("channel"):
            return _err("channel_not_found")
        if not any(params.get(k) for k in ("text", "blocks", "attachments")):
            return _err("no_text")
        problems = validate_blocks(params.get("blocks"))
        if problems:
            return _err("invalid_blocks", errors=problems)
        text_problems = validate_date_tokens(str(params.get("text") or ""), "/text")
        if text_problems:
            return _err("invalid_arguments", response_metadata={"messages": text_problems})
        metadata = params.get("metadata")
        if metadata is not None and not (isinstance(metadata, dict) and isinstance(metadata.get("event_type"), str)
                                         and isinstance(metadata.get("event_payload"), dict)):
            return _err("invalid_metadata_format")
        return None

    def _message(self, params: dict[str, Any], ts: str) -> dict[str, Any]:
        message: dict[str, Any] = {
            "type": "message", "user": BOT_USER_ID, "bot_id": BOT_ID, "app_id": APP_ID, "team": self.team_id,
            "text": params.get("text", ""), "ts": ts,
        }
        for key in ("blocks", "attachments", "thread_ts", "metadata"):
            if params.get(key):
                message[key] = params[key]
        return message

    def _check_conversation(self, channel_id: str) -> dict[str, Any] | None:
        """Refusals of a known conversation: one the bot left, or a member's IM whose messages are closed.

        A user id as ``channel`` (Slack posts into the app's IM with that user) counts as that user's IM.
        """
        channel = self.channels.get(channel_id)
        if channel is not None and not channel.is_member:
            return _err("not_in_channel")
        if self._im_recipient(channel_id) in self.closed_dms:
            return _err("messages_tab_disabled")
        return None

    def _im_recipient(self, channel_id: str) -> str | None:
        """The member an IM id (or a bare user id, which Slack treats as their IM) belongs to."""
        if channel_id in self.users:
            return channel_id
        return next((user for user, im in self._ims.items() if im == channel_id), None)

    def _chat_post_message(self, params: dict[str, Any], token: str) -> dict[str, Any]:
        problem = self._check_message(params) or self._check_conversation(str(params["channel"]))
        if problem is not None:
            return problem
        ts = self._next_ts()
        message = self._message(params, ts)
        self._join_thread(str(params["channel"]), message)
        self._messages[(params["channel"], ts)] = message
        return {"ok": True, "channel": params["channel"], "ts": ts, "message": message}

    def _join_thread(self, channel: str, reply: dict[str, Any]) -> None:
        """A reply (``thread_ts``) joins its parent's thread as on Slack: a ``thread_ts`` naming a reply means that
        reply's thread, and the parent counts its replies (``reply_count``, ``latest_reply``, ``reply_users``)."""
        if not reply.get("thread_ts"):
            return
        parent = self._messages.get((channel, str(reply["thread_ts"])))
        if parent is None:
            return  # Slack posts it anyway, as a reply to a thread no one can see; nothing to count
        root_ts = parent.get("thread_ts", parent["ts"])
        root = self._messages.get((channel, root_ts), parent)
        reply["thread_ts"] = root["ts"]
        root["thread_ts"] = root["ts"]
        root["reply_count"] = int(root.get("reply_count", 0)) + 1
        root["latest_reply"] = reply["ts"]
        root["reply_users"] = sorted({*root.get("reply_users", []), BOT_USER_ID})

    def thread_replies(self, channel_id: str, thread_ts: str) -> list[dict[str, Any]]:
        """The replies in a message's thread (the parent itself not included), oldest first."""
        return [m for m in self.channel_messages(channel_id) if m.get("thread_ts") == thread_ts and m["ts"] != thread_ts]

    def _chat_post_ephemeral(self, params: dict[str, Any], token: str) -> dict[str, Any]:
        problem = self._check_message(params)
        if problem is not None:
            return problem
        if not params.get("user"):
            return _err("user_not_found")
        return {"ok": True, "message_ts": self._next_ts()}

    def _chat_update(self, params: dict[str, Any], token: str) -> dict[str, Any]:
        """As Slack does: only a message that is there can change; `blocks` or `attachments` left out are kept, an
        empty array removes them."""
        if not params.get("ts"):
            return _err("message_not_found")
        problem = self._check_message(params)
        if problem is not None:
            return problem
        channel, ts = str(params["channel"]), str(params["ts"])
        known = self.channels.get(channel)
        if known is None and self._im_recipient(channel) is None:
            return _err("channel_not_found")
        if known is not None and not known.is_member:
            return _err("not_in_channel")
        earlier = self._messages.get((channel, ts))
        if earlier is None:
            return _err("message_not_found")
        message = {**earlier, **self._message(params, ts), "edited": {"user": BOT_USER_ID, "ts": self._next_ts()}}
        for key in ("blocks", "attachments"):
            if key in params and not params[key]:
                message.pop(key, None)
        self._messages[(channel, ts)] = message
        return {"ok": True, "channel": channel, "ts": ts, "text": message["text"], "message": message}

    def _chat_delete(self, params: dict[str, Any], token: str) -> dict[str, Any]:
        key = (str(params.get("channel", "")), str(params.get("ts", "")))
        if self._messages.pop(key, None) is None:
            return _err("message_not_found")
        return {"ok": True, "channel": key[0], "ts": key[1]}

    def _store_view(self, view: dict[str, Any], view_id: str | None = None) -> dict[str, Any]:
        stored = {
            **view, "id": view_id or f"V{secrets.token_hex(5).upper()}", "team_id": self.team_id,
            "state": {"values": {}}, "hash": secrets.token_hex(8), "app_id": APP_ID, "bot_id": BOT_ID,
        }
        self._views[stored["id"]] = stored
        return stored

    def _check_view(self, view: Any) -> dict[str, Any] | None:
        if not isinstance(view, dict) or "type" not in view:
            return _err("invalid_arguments")
        problems = validate_blocks(view.get("blocks"), max_blocks=MAX_MODAL_BLOCKS, pointer="/view/blocks")
        return _err("invalid_arguments", response_metadata={"messages": problems}) if problems else None

    def _views_open(self, params: dict[str, Any], token: str) -> dict[str, Any]:
        trigger_id = str(params.get("trigger_id", ""))
        issued = self._triggers.get(trigger_id)
        if issued is None:
            return _err("invalid_trigger_id")
        if trigger_id in self._used_triggers:
            return _err("trigger_exchanged")
        if time.monotonic() - issued > self.trigger_ttl:
            return _err("expired_trigger_id")
        problem = self._check_view(params.get("view"))
        if problem is not None:
            return problem
        self._used_triggers.add(trigger_id)
        return {"ok": True, "view": self._store_view(params["view"])}

    def _views_update(self, params: dict[str, Any], token: str) -> dict[str, Any]:
        view_id = params.get("view_id")
        if view_id not in self._views:
            return _err("not_found")
        problem = self._check_view(params.get("view"))
        if problem is not None:
            return problem
        return {"ok": True, "view": self._store_view(params["view"], view_id)}

    def _views_publish(self, params: dict[str, Any], token: str) -> dict[str, Any]:
        if params.get("user_id") not in self.users:
            return _err("user_not_found")
        problem = self._check_view(params.get("view"))
        if problem is not None:
            return problem
        return {"ok": True, "view": self._store_view(params["view"])}

    def _users_info(self, params: dict[str, Any], token: str) -> dict[str, Any]:
        user = self.users.get(str(params.get("user", "")))
        if user is None:
            return _err("user_not_found")
        return {"ok": True, "user": user.to_api(self.team_id)}

    def _conversations_info(self, params: dict[str, Any], token: str) -> dict[str, Any]:
        channel = self.channels.get(str(params.get("channel", "")))
        if channel is None:
            return _err("channel_not_found")
        return {"ok": True, "channel": channel.to_api()}

    def _conversations_open(self, params: dict[str, Any], token: str) -> dict[str, Any]:
        """One IM per member, the same id every time (like Slack); bots and deactivated members cannot be opened."""
        users = [u for u in str(params.get("users", "")).split(",") if u]
        if not users:
            return _err("users_list_not_supplied")
        if len(users) > 1:
            return _err("not_implemented")  # multi-person IMs are not modelled
        user = self.users.get(users[0])
        if user is None:
            return _err("user_not_found")
        if user.is_bot:
            return _err("cannot_dm_bot")
        if user.deleted:
            return _err("user_disabled")
        channel_id = self._ims.setdefault(user.id, "D" + user.id[1:])
        self.channels.setdefault(channel_id, SlackChannel(channel_id, user.id, is_im=True))
        return {"ok": True, "channel": {"id": channel_id}}

    def _conversations_history(self, params: dict[str, Any], token: str) -> dict[str, Any]:
        """A conversation's messages, newest first, one page at a time; replies in threads are not among them."""
        channel_id = str(params.get("channel") or "")
        channel = self.channels.get(channel_id)
        if channel is None and self._im_recipient(channel_id) is None:
            return _err("channel_not_found")
        if channel is not None and not channel.is_member:
            return _err("not_in_channel")
        window = _window(params)
        if window is None:
            return _err("invalid_arguments")
        oldest, latest, limit, inclusive = window
        found = sorted((m for (c, _), m in self._messages.items()
                        if c == channel_id and m.get("thread_ts", m["ts"]) == m["ts"]
                        and (oldest <= Decimal(m["ts"]) if inclusive else oldest < Decimal(m["ts"]))
                        and (latest is None or (Decimal(m["ts"]) <= latest if inclusive else Decimal(m["ts"]) < latest))),
                       key=lambda m: Decimal(m["ts"]), reverse=True)
        if params.get("cursor"):
            before = _cursor_ts(str(params["cursor"]))
            if before is None:
                return _err("invalid_cursor")
            found = [m for m in found if Decimal(m["ts"]) <= before]
        page, rest = found[:limit], found[limit:]
        metadata = _flag(params.get("include_all_metadata"))
        body: dict[str, Any] = {
            "ok": True, "messages": [m if metadata else {k: v for k, v in m.items() if k != "metadata"} for m in page],
            "has_more": bool(rest), "pin_count": 0, "channel_actions_ts": None, "channel_actions_count": 0,
        }
        if rest:
            body["response_metadata"] = {"next_cursor": base64.b64encode(f"next_ts:{rest[0]['ts']}".encode()).decode()}
        return body

    def _conversations_replies(self, params: dict[str, Any], token: str) -> dict[str, Any]:
        """A message's thread, oldest first: the parent on the first page (whatever ``oldest`` says), then the
        replies between ``oldest`` and ``latest``, ``limit`` at a time with cursor paging; ``ts`` may name the
        parent or any reply (``thread_not_found`` when it names no message). ``metadata`` as in the history."""
        channel_id = str(params.get("channel") or "")
        channel = self.channels.get(channel_id)
        if channel is None and self._im_recipient(channel_id) is None:
            return _err("channel_not_found")
        if channel is not None and not channel.is_member:
            return _err("not_in_channel")
        named = self._messages.get((channel_id, str(params.get("ts") or "")))
        if named is None:
            return _err("thread_not_found")
        root = self._messages.get((channel_id, named.get("thread_ts", named["ts"])), named)
        window = _window(params)
        if window is None:
            return _err("invalid_arguments")
        oldest, latest, limit, inclusive = window
        replies = [m for m in self.thread_replies(channel_id, root["ts"])
                   if (oldest <= Decimal(m["ts"]) if inclusive else oldest < Decimal(m["ts"]))
                   and (latest is None or (Decimal(m["ts"]) <= latest if inclusive else Decimal(m["ts"]) < latest))]
        found = [root, *replies]
        if params.get("cursor"):
            after = _cursor_ts(str(params["cursor"]))
            if after is None:
                return _err("invalid_cursor")
            found = [m for m in replies if Decimal(m["ts"]) >= after]
        page, rest = found[:limit], found[limit:]
        metadata = _flag(params.get("include_all_metadata"))
        body: dict[str, Any] = {
            "ok": True, "messages": [m if metadata else {k: v for k, v in m.items() if k != "metadata"} for m in page],
            "has_more": bool(rest),
        }
        if rest:
            body["response_metadata"] = {"next_cursor": base64.b64encode(f"next_ts:{rest[0]['ts']}".encode()).decode()}
        return body

    def _files_get_upload_url(self, params: dict[str, Any], token: str) -> dict[str, Any]:
        """Step 1 of files_upload_v2: an upload URL served by this stand-in, and the file's id."""
        filename, length = str(params.get("filename") or ""), str(params.get("length") or "")
        if not filename or not length.isdigit():
            return _err("invalid_arguments")
        file_id = f"F{secrets.token_hex(5).upper()}"
        alt = params.get("alt_txt")
        self.files[file_id] = UploadedFile(file_id, filename, int(length), alt if isinstance(alt, str) else None)
        return {"ok": True, "upload_url": f"{self.base_url}/upload/v1/{file_id}", "file_id": file_id}

    def _files_complete_upload(self, params: dict[str, Any], token: str) -> dict[str, Any]:
        """Step 3: every listed file must have had its bytes uploaded; then it is shared into ``channel_id``."""
        try:
            listed = json.loads(params["files"]) if isinstance(params.get("files"), str) else params.get("files")
        except (KeyError, json.JSONDecodeError):
            return _err("invalid_arguments")
        if not isinstance(listed, list) or not listed:
            return _err("invalid_arguments")
        uploads = {str(item.get("id")): item for item in listed if isinstance(item, dict)}
        if len(uploads) != len(listed) or not all(self.files.get(i) and self.files[i].uploaded for i in uploads):
            return _err("file_not_found")
        channel_id = str(params.get("channel_id") or "")  # "" = uploaded, shared nowhere
        problem = self._check_conversation(channel_id) if channel_id else None
        if problem is not None:
            return problem
        for file_id, item in uploads.items():
            upload = self.files[file_id]
            upload.title, upload.channel_id = item.get("title") or upload.filename, channel_id
            upload.thread_ts = params.get("thread_ts") or None
        return {"ok": True, "files": [self.files[i].to_api() for i in uploads]}

    # ---------------------------------------------------------------- server: file uploads (files_upload_v2 step 2)

    async def _handle_upload(self, request: web.Request) -> web.Response:
        """Receive the bytes for an upload URL. Slack answers ``OK - <size>``; an unknown id gets 404 and a size
        other than the announced ``length`` gets 400, so a client that sends the wrong bytes fails here."""
        arrived = time.monotonic()
        file_id = request.match_info["file_id"]
        data = await request.read()
        upload = self.files.get(file_id)
        status, text = 200, f"OK - {len(data)}"
        fault = self._take_fault(UPLOAD_METHOD)
        if fault is not None:
            status, text = (fault.status if fault.status != 200 else 500), fault.error or "upload_failed"
        elif upload is None:
            status, text = 404, "file_not_found"
        elif len(data) != upload.length:
            status, text = 400, f"length mismatch: announced {upload.length}, received {len(data)}"
        else:
            upload.data = data
        params = {"file_id": file_id, "size": len(data)}
        self._record(RecordedCall(UPLOAD_METHOD, params, request.method, "bytes" if data else "none", data,
                                  dict(request.headers), None, arrived, status, text))
        return web.Response(status=status, text=text)

    # ---------------------------------------------------------------- server: response_url

    async def _handle_response_url(self, request: web.Request) -> web.Response:
        """Record what ``respond()`` posts. Slack answers a plain-text ``ok``; bad blocks get a 400."""
        arrived = time.monotonic()
        response_token = request.match_info["token"]
        params, kind, raw = await self._read_params(request)
        if "payload" in params and isinstance(params["payload"], str):  # form-encoded ``payload=<json>``
            params = json.loads(params["payload"])
        headers = dict(request.headers)

        status, text = 200, "ok"
        extra_headers: dict[str, str] = {}
        fault = self._take_fault(RESPONSE_URL_METHOD)
        if fault is not None and fault.kind == "ratelimit":
            status, text, extra_headers = 429, "rate_limited", {"Retry-After": str(fault.retry_after)}
        elif fault is not None:
            status, text = 404, fault.error
        elif validate_blocks(params.get("blocks")):
            status, text = 400, "invalid_blocks"
        elif not any(params.get(k) for k in ("text", "blocks", "attachments", "delete_original")):
            status, text = 500, "no_text"

        self._record(RecordedCall(
            RESPONSE_URL_METHOD, params, request.method, kind, raw, headers, None, arrived, status, text,
            response_token=response_token,
        ))
        return web.Response(status=status, text=text, headers=extra_headers)

    # ---------------------------------------------------------------- server: Socket Mode websocket

    async def _handle_link(self, request: web.Request) -> web.WebSocketResponse:
        """Socket Mode: greet with ``hello``, then record every ack frame the client sends back.

        ``autoping`` answers slack_sdk's ``sdk-ping-pong`` pings with the same data, which is how the SDK
        decides the connection is alive; ``timeout`` bounds the close handshake so ``stop()`` stays fast.
        """
        ws = web.WebSocketResponse(timeout=1.0, autoping=True)
        await ws.prepare(request)
        self._sockets.append(ws)
        self.socket_connections += 1
        await ws.send_str(json.dumps({
            "type": "hello",
            "num_connections": len(self._sockets),
            "debug_info": {"host": "standin", "build_number": 1, "approximate_connection_time": 3600},
            "connection_info": {"app_id": APP_ID},
        }))
        self._notify()
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    self._on_socket_text(msg.data)
        finally:
            self._sockets.remove(ws)
            self._notify()
        return ws

    def _on_socket_text(self, data: str) -> None:
        acked_at = time.monotonic()
        try:
            frame = json.loads(data)
        except json.JSONDecodeError:
            return
        if not isinstance(frame, dict) or "envelope_id" not in frame:
            return
        pushed = self._pushed.get(frame["envelope_id"])
        self._acks.append(SocketAck(
            frame["envelope_id"], frame.get("payload"), data, pushed.sent_at if pushed else None, acked_at,
        ))
        self._notify()
