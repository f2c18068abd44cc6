"""The door of the Slack adapter: what a request must be before anything parses it, runs it or writes for it.

Over HTTP the checks run cheapest first, so a request nobody signed costs next to nothing whatever its size:
1. its size (Content-Length, then the read itself is capped) -> 413;
2. the signature headers' form and age, with no byte of the body read -> 401;
3. the HMAC over the raw bytes -> 401;
4. UTF-8, then parsing, with a limit on nesting -> 400;
5. its shape: a slash command, a button press or a form submission, from a user, in a team -> 400.
Only then does bolt see it, with bolt's own verification off (it would parse the body twice more). Socket Mode has no
signature (the connection is Slack's own) but passes 4 and 5 the same way. Every string is cleaned on the way in
(lone surrogates from a JSON '\\ud800' cannot be stored in SQLite), so nothing behind the door meets them.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import re
import time
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl

from commands.replies import CUSTOM_ID_PREFIX
from core.text import clean

# A press carries the whole message it was on. The only messages with buttons are questions of the day; the largest
# one (a 10,000-character stem of emoji, each sent as a 16-character escape) makes a press of about 240 KB
# (tests/adapters/test_slack_edge.py measures it). Twice that is room to spare; anything bigger is not Slack.
MAX_BODY = 512 * 1024
MAX_AGE = 300  # seconds between Slack signing a request and us checking it (Slack's own rule)
MAX_DEPTH = 48  # Slack's payloads nest about a dozen levels (a modal's state); parsing stops far above that
MAX_FIELDS = 100  # a slash command has about fifteen form fields, an interaction one
LARGE = 64 * 1024  # a refused body this big, or of unannounced size, counts toward a flood

COMMAND, ACTION, VIEW, SSL_CHECK = "command", "action", "view", "ssl_check"

_TIMESTAMP = re.compile(r"[0-9]{1,12}")  # ASCII digits only: '²' passes str.isdigit() and then fails int()
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")
_ID = re.compile(r"[A-Za-z0-9_.-]{1,64}")  # Slack's ids (T…, U…, W…, E…) are short runs of letters and digits
_COMMAND_TEXTS = ("text", "response_url", "trigger_id", "channel_id", "channel_name", "user_name", "team_domain")


class Refused(Exception):
    """A request we answer with `status` and nothing else: no parsing beyond this point, no write, no traceback.
    `kind` names the family of the problem, for the rate-limited warning."""

    def __init__(self, status: int, kind: str, why: str) -> None:
        super().__init__(why)
        self.status = status
        self.kind = kind
        self.why = why


class Complaints:
    """At most one WARNING line per kind of refused request a minute: a flood of bad requests must not flood the
    log (nor cost the event loop a line each). The next line says how many were not logged."""

    def __init__(self, logger: logging.Logger, every: float = 60.0) -> None:
        self._log = logger
        self._every = every
        self._last: dict[str, float] = {}
        self._quiet: dict[str, int] = {}

    def warn(self, kind: str, message: str) -> None:
        now = time.monotonic()
        last = self._last.get(kind)
        if last is not None and now - last < self._every:
            self._quiet[kind] = self._quiet.get(kind, 0) + 1
            return
        self._last[kind] = now
        quiet = self._quiet.pop(kind, 0)
        self._log.warning("%s%s", message, f" (and {quiet} more like it since the last such line)" if quiet else "")


class FloodGate:
    """Holds back the answer to large refused requests while they come in a flood.

    Refusing a large body is cheap, but a client that always has a dozen in flight sends the next the moment it has
    its answer: the faster the refusal, the more bodies a second, and each one's first bytes are read anyway. So
    when more than `burst` large requests were refused in the last second, each further one waits `hold` seconds
    (its connection's reading paused, so the wait costs a socket, not the event loop) before its answer: a dozen
    in flight then make a dozen a `hold`. At most `max_held` wait at once; beyond that the answer goes at once.
    Requests that come one at a time (tests, a misconfigured client) are never held."""

    def __init__(self, burst: int = 8, hold: float = 1.0, max_held: int = 256,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.burst = burst
        self.hold = hold
        self.max_held = max_held
        self._clock = clock
        self._recent: deque[float] = deque()
        self._held = 0

    def note(self) -> bool:
        """Count one large refusal; True when it should be held."""
        now = self._clock()
        self._recent.append(now)
        while self._recent and now - self._recent[0] > 1.0:
            self._recent.popleft()
        return len(self._recent) > self.burst and self._held < self.max_held and self.hold > 0

    async def wait(self) -> None:
        self._held += 1
        try:
            await asyncio.sleep(self.hold)
        finally:
            self._held -= 1


# ---------------------------------------------------------------------------------------------------- the signature


def signature_headers(headers: Mapping[str, str], now: float) -> tuple[str, str]:
    """The timestamp and signature, checked for form and age before the body is read. `now` is the platform's
    clock (the wall clock in production): Slack's timestamp is measured against it, not against a test's frozen day."""
    timestamp = headers.get("X-Slack-Request-Timestamp") or ""
    if not _TIMESTAMP.fullmatch(timestamp):
        raise Refused(401, "timestamp", "its X-Slack-Request-Timestamp is not a whole number of seconds")
    if abs(now - int(timestamp)) > MAX_AGE:
        raise Refused(401, "stale", "it was signed more than five minutes away from now")
    signature = headers.get("X-Slack-Signature") or ""
    if not _SIGNATURE.fullmatch(signature):
        raise Refused(401, "signature", "its X-Slack-Signature is not a v0 signature")
    return timestamp, signature


def verify(secret: str, timestamp: str, signature: str, raw: bytes) -> None:
    """Slack's v0 HMAC over the raw bytes, before anything decodes them. slack_sdk's SignatureVerifier decodes the
    body as UTF-8 first (so bytes that are not UTF-8 would raise instead of failing the check) and reads the wall
    clock itself; the computation is the same three lines."""
    if not secret:
        raise Refused(401, "signature", "no signing secret is configured")
    base = b"v0:" + timestamp.encode("ascii") + b":" + raw
    expected = "v0=" + hmac.new(secret.encode("utf-8"), base, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature):
        raise Refused(401, "signature", "its signature does not match the body")


# ---------------------------------------------------------------------------------------------------- the body


def parse(raw: bytes, content_type: str | None) -> dict[str, Any]:
    """The verified bytes as Slack means them, cleaned, or Refused(400). bolt 1.30 decides 'interactive payload' when
    the word "payload" appears anywhere in the body, so a slash command whose text says "payload" would parse as {}:
    here only a form whose sole field is `payload` is one."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused(400, "encoding", "its body is not UTF-8") from None
    try:
        body = _parse_text(text, content_type)
    except RecursionError:
        raise Refused(400, "depth", "its JSON is nested too deeply") from None
    except ValueError:
        raise Refused(400, "unreadable", "its body is neither a form nor JSON") from None
    if not isinstance(body, dict):
        raise Refused(400, "unreadable", "its body is not an object")
    return cleaned(body)


def _parse_text(text: str, content_type: str | None) -> Any:
    if not text:
        return {}
    if content_type == "application/json" or text.startswith("{"):
        return json.loads(text)
    fields = dict(parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FIELDS))
    if set(fields) == {"payload"}:
        return json.loads(fields["payload"])
    return fields


def cleaned(value: Any, depth: int = 0) -> Any:
    """Every string (keys too) with lone surrogates and control characters cleaned, and nesting bounded, so nothing
    downstream recurses without end or meets text SQLite refuses."""
    if depth > MAX_DEPTH:
        raise Refused(400, "depth", "its JSON is nested too deeply")
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, dict):
        return {clean(str(key)): cleaned(item, depth + 1) for key, item in value.items()}
    if isinstance(value, list):
        return [cleaned(item, depth + 1) for item in value]
    return value


# ---------------------------------------------------------------------------------------------------- the shape


def admit(body: Mapping[str, Any]) -> str:
    """What kind of work the body is, once it has everything the work reads, of the right type; else Refused(400).
    A press with no user would be stored for member 'slack:', a payload with no team for community 'slack:unknown'."""
    if "command" in body:
        _command(body)
        return COMMAND
    kind = body.get("type")
    if kind == "block_actions":
        _press(body)
        return ACTION
    if kind == "view_submission":
        _submission(body)
        return VIEW
    if body.get("ssl_check"):
        return SSL_CHECK
    raise Refused(400, "shape", "it is not a slash command, a button press or a form submission")


def _command(body: Mapping[str, Any]) -> None:
    command = body.get("command")
    if not isinstance(command, str) or not command.startswith("/"):
        raise Refused(400, "shape", "its command is not a /name")
    _an_id(body.get("user_id"), "user")
    _an_id(team_id_of(body), "team")
    if any(not isinstance(body.get(name, ""), str) for name in _COMMAND_TEXTS):
        raise Refused(400, "shape", "a field of its slash command is not text")


def _press(body: Mapping[str, Any]) -> None:
    _interaction(body)
    actions = body.get("actions")
    first = actions[0] if isinstance(actions, list) and actions else None
    if not isinstance(first, dict) or not isinstance(first.get("action_id"), str) or not first["action_id"]:
        raise Refused(400, "action", "its actions are not a list whose first item has a text action_id")
    if not first["action_id"].startswith(f"{CUSTOM_ID_PREFIX}:"):  # only our buttons are on our messages
        raise Refused(400, "action", "its action_id is not one of Rounds' buttons")
    if not isinstance(first.get("value", ""), str):
        raise Refused(400, "action", "its action value is not text")
    for name in ("channel", "container"):
        if not isinstance(body.get(name) or {}, dict):
            raise Refused(400, "shape", f"its {name} is not an object")


def _submission(body: Mapping[str, Any]) -> None:
    _interaction(body)
    view = body.get("view")
    if not isinstance(view, dict) or not isinstance(view.get("callback_id"), str):
        raise Refused(400, "shape", "its view has no callback_id")
    if not isinstance(view.get("private_metadata") or "", str) or not isinstance(view.get("state") or {}, dict):
        raise Refused(400, "shape", "its view's metadata or state is malformed")


def _interaction(body: Mapping[str, Any]) -> None:
    user = body.get("user")
    _an_id(user.get("id") if isinstance(user, dict) else None, "user")
    _an_id(team_id_of(body), "team")
    if not isinstance(body.get("response_url") or "", str) or not isinstance(body.get("trigger_id") or "", str):
        raise Refused(400, "shape", "its response_url or trigger_id is not text")


def _an_id(value: Any, what: str) -> None:
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise Refused(400, f"no {what}", f"it names no {what} (a Slack {what} id)")


def team_id_of(body: Mapping[str, Any]) -> str | None:
    """The workspace a payload comes from: `team.id` on interactions, `team_id` on slash commands and (for a modal)
    `view.team_id`. None when there is none: such a payload is refused, never filed under a made-up team."""
    team = body.get("team")
    view = body.get("view")
    for candidate in (team.get("id") if isinstance(team, dict) else None, body.get("team_id"),
                      view.get("team_id") if isinstance(view, dict) else None):
        if isinstance(candidate, str) and candidate:
            return candidate
    return None


def mapping(value: Any) -> dict[str, Any]:
    """`value` when it is an object, else an empty one: for optional parts of a payload read after admission."""
    return value if isinstance(value, dict) else {}


def text_of(value: Any) -> str | None:
    """`value` when it is non-empty text, else None."""
    return value if isinstance(value, str) and value else None
