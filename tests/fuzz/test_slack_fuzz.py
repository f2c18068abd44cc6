"""Fuzzing through the REAL bolt app (`bots.slack.app.create_adapter`) against the Slack stand-in, over HTTP.

Every request is correctly signed (HMAC over the raw bytes, as Slack does), so what is tested is what happens after
the signature: arbitrary slash-command texts, malformed interactive payloads (actions `[]` / `"x"` / `[{}]` /
`[null]` / a numeric action_id, no user, no team, another team), JSON nested 200,000 deep, bodies that are not
UTF-8 and timestamp headers that are not integers.

Properties (issue 8): the HTTP status is never 5xx; nothing is logged at ERROR; a well-formed command always gets a
reply, never the generic internal error; nothing is written for a refused or malformed request.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
import urllib.parse
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientSession
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bots.slack.app import EVENTS_PATH, SlackAdapter, SlackConfig, create_adapter
from commands.dispatch import INTERNAL_ERROR
from core.clock import FrozenClock
from core.settings import Settings
from testkit.standins.slack_standin import ADMIN_ID, MEMBER_ID, TEAM_ID, SlackStandIn, serve_web_app
from tests.conftest import START
from tests.fuzz.support import (
    ADMIN_SPECS,
    ALL_TABLES,
    CATALOG,
    SPECS,
    STATE_TABLES,
    LoopRunner,
    changed,
    custom_id,
    digest,
    examples,
    garbage_line,
    member_may_write,
    option_words,
    pending_work,
    post_ids,
    recording_errors,
    until,
    valid_answer,
    with_nasty_chars,
)

SECRET = "fuzz-signing-secret"
BOT_TOKEN = "xoxb-fuzz-bot-token"
REPLY_METHODS = {"response_url", "views.open", "chat.postEphemeral", "chat.postMessage"}
REPLY_WAIT = 3.0  # Slack's own deadline; a reply normally lands in milliseconds
TOO_LARGE_FOR_SLACK = 64 * 1024  # bytes; a real slash command or press is far smaller
FORM = "application/x-www-form-urlencoded"
IDLE_GRACE = 0.2  # seconds before "no task of the app is working on it" is believed


@pytest.fixture(autouse=True)
def _no_proxy_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """slack_sdk reads HTTP(S)_PROXY itself and ignores NO_PROXY, so a CI proxy would swallow 127.0.0.1 traffic."""
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)


def sign(body: bytes, timestamp: str) -> dict[str, str]:
    """Slack's v0 signature over the raw bytes (slack_sdk's signer only takes text)."""
    base = b"v0:" + timestamp.encode() + b":" + body
    return {"X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": "v0=" + hmac.new(SECRET.encode(), base, hashlib.sha256).hexdigest()}


@asynccontextmanager
async def _adapter(db_path: str, slack: SlackStandIn) -> AsyncIterator[SlackAdapter]:
    config = SlackConfig(bot_token=BOT_TOKEN, signing_secret=SECRET, app_token="xapp-fuzz", api_url=slack.api_url)
    adapter = await create_adapter(Settings(db_path=db_path), config, clock=FrozenClock(START))
    try:
        yield adapter
    finally:
        await adapter.close()


@asynccontextmanager
async def _session() -> AsyncIterator[ClientSession]:
    async with ClientSession() as session:  # made inside the loop it will run on
        yield session


class SlackRig:
    def __init__(self, tmp_path: Path) -> None:
        self.db_path = str(tmp_path / "fuzz.db")
        self.runner = LoopRunner()
        try:
            self.slack = self.runner.enter(SlackStandIn())
            self.adapter = self.runner.enter(_adapter(self.db_path, self.slack))
            self.url = self.runner.enter(serve_web_app(self.adapter.web_app())) + EVENTS_PATH
            self.http = self.runner.enter(_session())
            # The workspace and today's post exist before fuzzing, so "nothing written" is exact from then on.
            status, reply, _ = self.runner.run(self.command("/qotd", "", MEMBER_ID))
            assert status == 200 and reply, "the warm-up /qotd got no reply"
        except BaseException:
            self.runner.close()
            raise
        self.posts = post_ids(self.db_path)

    async def post(self, body: bytes, *, content_type: str = "application/x-www-form-urlencoded",
                   timestamp: str | None = None) -> int:
        headers = {"Content-Type": content_type, **sign(body, str(int(time.time())) if timestamp is None else timestamp)}
        async with self.http.post(self.url, data=body, headers=headers) as response:
            await response.read()
            return response.status

    async def settle(self) -> None:
        """Let the work a request started finish: the adapter's tasks in flight, then a moment for stragglers."""
        inflight = getattr(self.adapter, "_inflight", None)
        if inflight:
            await asyncio.wait(list(inflight), timeout=REPLY_WAIT)
        await asyncio.sleep(0.01)

    async def command(self, command: str, text: str, user_id: str, *, as_json: bool = False) -> tuple[int, list[Any], int]:
        """A signed slash command; returns the status, the replies it got (response_url, modal or post) and the
        size of the body sent.
        As Slack sends it (a form; a lone surrogate goes out as the bytes it would be), or as JSON, the shape a
        Socket Mode payload has (there a lone surrogate arrives as a `\\ud800` escape)."""
        payload = self.slack.slash_command_payload(command, "", user_id=user_id)
        payload["text"] = text
        seen = len(self.slack.calls())
        token = self.slack.token_of(payload["response_url"])
        baseline = asyncio.all_tasks()
        if as_json:
            body, content_type = json.dumps(payload).encode(), "application/json"
        else:
            body, content_type = urllib.parse.urlencode(payload, errors="surrogatepass").encode(), FORM
        status = await self.post(body, content_type=content_type)
        started = asyncio.get_running_loop().time()

        def replies() -> list[Any]:
            return [c for c in self.slack.calls()[seen:] if c.method in REPLY_METHODS
                    and (c.method != "response_url" or c.response_token == token)]

        def done() -> bool:  # answered, or nothing of the app is still working on it
            idle = not pending_work(baseline) and asyncio.get_running_loop().time() - started > IDLE_GRACE
            return bool(replies()) or idle

        if status == 200:
            await until(done, REPLY_WAIT)
        await self.settle()
        return status, replies(), len(body)

    async def interactive(self, payload: Any) -> tuple[int, list[Any]]:
        seen = len(self.slack.calls())
        body = urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()
        status = await self.post(body)
        await self.settle()
        return status, [c for c in self.slack.calls()[seen:] if c.method in REPLY_METHODS]

    def close(self) -> None:
        self.runner.close()


# ------------------------------------------------------------------------------------------------ slash commands


@st.composite
def slash_command(draw: st.DrawFn) -> tuple[str | None, str, str]:
    """(the command meant, `/name`, text): real commands with typed option words, or garbage after a real name."""
    if draw(st.integers(0, 3)) == 0:
        name = draw(st.sampled_from(CATALOG.top_level()))
        return None, f"/{name}", draw(garbage_line)
    spec = CATALOG.commands[draw(st.sampled_from([s.name for s in SPECS + ADMIN_SPECS]))]
    text = " ".join([*spec.path[1:], *draw(option_words(spec))])
    if draw(st.integers(0, 3)) == 0:
        text = draw(with_nasty_chars(text))
    return spec.name, f"/{spec.path[0]}", text


def test_signed_command_texts_never_fail_and_refusals_write_nothing(tmp_path: Path) -> None:
    rig = SlackRig(tmp_path)
    try:
        with recording_errors() as errors:
            @settings(max_examples=examples(200))
            @given(sent=slash_command(), admin=st.booleans(), as_json=st.booleans())
            @example(sent=(None, "/rounds", '" "'), admin=True, as_json=False)
            @example(sent=("rounds time", "/rounds", "time \ud800"), admin=True, as_json=True)  # a JSON \ud800
            @example(sent=("rounds tags", "/rounds", "tags \ud800"), admin=True, as_json=False)  # invalid UTF-8, %-encoded
            @example(sent=("qotd", "/qotd", "x" * 100_000), admin=False, as_json=False)
            def someone_types(sent: tuple[str | None, str, str], admin: bool, as_json: bool) -> None:
                meant, command, text = sent
                spec = CATALOG.commands[meant] if meant else None
                errors.clear()
                before = digest(rig.db_path, ALL_TABLES)
                status, replies, size = rig.runner.run(rig.command(command, text, ADMIN_ID if admin else MEMBER_ID, as_json=as_json))
                errors.check((command, text))
                assert status < 500, f"HTTP {status} for {command} {text!r}"
                if status == 413:  # far more than Slack ever sends (its text is a few thousand characters) may be refused
                    assert size > TOO_LARGE_FOR_SLACK, f"HTTP 413 for a body of {size:,} bytes"
                    return
                assert status == 200, f"HTTP {status} for {command} {text!r}"
                assert replies, f"no reply to {command} {text!r}"
                shown = json.dumps([c.params for c in replies], ensure_ascii=False)
                assert INTERNAL_ERROR not in shown, f"generic error for {command} {text!r}"
                # A member's admin command is refused; so is anything after /rounds but a real subcommand, and
                # text after /help, /qotd-stats and /qotd-review reads nothing it could write. (/qotd may make a
                # new day's post when an admin's example moved the time zone: a legitimate write.)
                if not admin and (spec.admin if spec else command != "/qotd"):
                    moved = changed(before, digest(rig.db_path, (*STATE_TABLES, "duties")))
                    allowed = set() if spec and spec.admin else member_may_write(command)
                    assert set(moved) <= allowed, f"a member's {command} {text!r} wrote {moved}"

            someone_types()
    finally:
        rig.close()


# ------------------------------------------------------------------------------------------------ interactive payloads

DELETED = "<deleted>"
ACTIONS_SHAPES: list[Any] = [[], "x", [{}], [None], [{"action_id": 123}], [{"action_id": 1.5, "value": 2}],
                             [{"action_id": None}], [{"action_id": True}], [{"action_id": ["rounds:x"]}],
                             [{"value": "rounds:qotd.answer:1:A"}], {"action_id": "rounds:qotd.answer:1:A"}, [[]], [""],
                             [{"action_id": {"deep": {"er": []}}}], 0, None, [{"action_id": ""}], DELETED]
USER_SHAPES: list[Any] = [DELETED, None, "x", {}, {"id": None}, {"id": 123}, {"id": ""}, {"id": []}, [MEMBER_ID],
                          {"id": "U0\ud800"}, {"name": "maya"}]
TEAM_SHAPES: list[Any] = [DELETED, None, "x", {}, {"id": None}, {"id": ""}, {"id": 5}, {"domain": "x"},
                          {"id": "T0OTHER", "domain": "other"}, {"id": "T0\ud800"}]
OTHER_FIELDS = ["type", "container", "channel", "response_url", "trigger_id", "message", "api_app_id", "token"]
ODD_VALUES: list[Any] = [None, "", 0, -1, [], {}, "x", True, "\ud800", 10**30]


@st.composite
def press_recipe(draw: st.DrawFn, posts: list[int]) -> dict[str, Any]:
    """How to break a block_actions press: its action id, and which parts are replaced (or `<deleted>`). A recipe
    (not the payload) is what hypothesis draws and prints, so a falsifying example shows only what was broken."""
    recipe: dict[str, Any] = {"action_id": draw(custom_id(posts))}
    for part in draw(st.lists(st.sampled_from(["actions", "user", "team", "field"]), max_size=3, unique=True)):
        if part == "actions":
            recipe["actions"] = draw(st.sampled_from(ACTIONS_SHAPES))
        elif part == "user":
            recipe["user"] = draw(st.sampled_from(USER_SHAPES))
        elif part == "team":
            recipe["team"] = draw(st.sampled_from(TEAM_SHAPES))
            if recipe["team"] == DELETED and draw(st.booleans()):
                recipe["user.team_id"] = DELETED
        else:
            for name in draw(st.lists(st.sampled_from(OTHER_FIELDS), min_size=1, max_size=3, unique=True)):
                recipe[name] = DELETED if draw(st.booleans()) else draw(st.sampled_from(ODD_VALUES))
    return recipe


def build_press(slack: SlackStandIn, recipe: dict[str, Any]) -> dict[str, Any]:
    payload = slack.block_actions_payload(recipe["action_id"], value=recipe["action_id"])
    for name, value in recipe.items():
        if name == "action_id":
            continue
        if name == "user.team_id":
            if isinstance(payload.get("user"), dict):
                payload["user"].pop("team_id", None)
        elif value == DELETED:
            payload.pop(name, None)
        else:
            payload[name] = value
    return payload


def classify(recipe: dict[str, Any], posts: list[int]) -> str:
    """'malformed' (nothing may be written, not even a delivery claim), 'foreign' or 'invalid' (well-formed but
    refused: no state written) or 'valid'. A user or team id with a lone surrogate is not malformed (cleaning it at
    the edge is as good as refusing it), nor is a press without a channel or response_url (it can be answered some
    other way)."""
    user, team = recipe.get("user", {"id": MEMBER_ID}), recipe.get("team", {"id": TEAM_ID})
    if "actions" in recipe or recipe.get("type", "block_actions") != "block_actions":
        return "malformed"
    if not (isinstance(user, dict) and isinstance(user.get("id"), str) and user["id"]):
        return "malformed"
    if not (isinstance(team, dict) and isinstance(team.get("id"), str) and team["id"]):
        return "malformed"
    if team["id"] != TEAM_ID:
        return "foreign"
    return "valid" if valid_answer(recipe["action_id"], posts) else "invalid"


def test_malformed_interactive_payloads_never_fail_and_write_nothing(tmp_path: Path) -> None:
    rig = SlackRig(tmp_path)
    try:
        with recording_errors() as errors:
            @settings(max_examples=examples(200))
            @given(recipe=press_recipe(rig.posts))
            # The payloads of issue 8, every run.
            @example(recipe={"action_id": "rounds:qotd.answer:1:A", "actions": []})
            @example(recipe={"action_id": "rounds:qotd.answer:1:A", "actions": "x"})
            @example(recipe={"action_id": "rounds:qotd.answer:1:A", "actions": [{}]})
            @example(recipe={"action_id": "rounds:qotd.answer:1:A", "actions": [None]})
            @example(recipe={"action_id": "rounds:qotd.answer:1:A", "actions": [{"action_id": 123}]})
            @example(recipe={"action_id": "rounds:qotd.answer:1:A", "user": DELETED})
            @example(recipe={"action_id": "rounds:qotd.answer:1:A", "team": DELETED, "user.team_id": DELETED})
            @example(recipe={"action_id": "rounds:qotd.answer:1:A", "team": {"id": "T0OTHER", "domain": "other"}})
            @example(recipe={"action_id": "rounds:qotd.answer:1:²"})
            @example(recipe={"action_id": "rounds:qotd.answer:" + "9" * 20 + ":A"})
            @example(recipe={"action_id": "rounds:qotd.answer:1"})
            def slack_delivers(recipe: dict[str, Any]) -> None:
                kind = classify(recipe, post_ids(rig.db_path))
                errors.clear()
                before = digest(rig.db_path, ALL_TABLES)
                status, replies = rig.runner.run(rig.interactive(build_press(rig.slack, recipe)))
                errors.check(kind)
                assert status < 500, f"HTTP {status} for a {kind} press"
                shown = json.dumps([c.params for c in replies], ensure_ascii=False)
                assert INTERNAL_ERROR not in shown, f"generic error for a {kind} press"
                after = digest(rig.db_path, ALL_TABLES)
                if kind == "malformed":
                    assert not changed(before, after), f"a malformed press (HTTP {status}) wrote {changed(before, after)}"
                elif kind in ("foreign", "invalid"):
                    moved = {t: v for t, v in changed(before, after).items() if t in STATE_TABLES}
                    assert not moved, f"a refused {kind} press wrote {moved}"

            slack_delivers()
    finally:
        rig.close()


# ------------------------------------------------------------------------------------------------ raw bodies, headers

BAD_TIMESTAMPS = ["abc", "", "1.5e9", "9" * 5_000, "-1", "0x10", " 1", "1 ", "١٢٣", "nan", "1" * 20]


def _deep(depth: int, opener: str) -> str:
    closer = {"[": "]", "{\"a\":": "}"}[opener]
    return opener * depth + "1" + closer * depth


@st.composite
def raw_recipe(draw: st.DrawFn) -> dict[str, Any]:
    """What to send (drawn and printed as a recipe; `build_raw` makes the bytes): bodies Slack never sends, and
    timestamp headers that are not integers, all signed correctly over the raw bytes."""
    kind = draw(st.sampled_from(["not-utf8", "deep", "json-not-object", "form-odd", "bad-timestamp", "bytes"]))
    recipe: dict[str, Any] = {"kind": kind}
    if kind == "not-utf8":
        recipe["junk"] = draw(st.sampled_from([b"\xff", b"\xfe\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\x80", b"\xf4\x90\x80\x80"]))
        recipe["at"] = draw(st.integers(0, 100))  # percent of the way into a real slash-command form
    elif kind == "deep":
        recipe["depth"] = draw(st.sampled_from([1_000, 10_000, 100_000, 200_000]))
        recipe["open"] = draw(st.sampled_from(["[", "{\"a\":"]))
        recipe["as_form"] = draw(st.booleans())
    elif kind == "json-not-object":
        recipe["json"] = draw(st.sampled_from(["[]", "5", "null", '"x"', "true", "[{}]", "{", "{}}", "NaN", '{"payload": 1}']))
        recipe["as_form"] = draw(st.booleans())
    elif kind == "form-odd":
        recipe["body"] = draw(st.sampled_from([b"", b"=", b"&&&", b"payload=", b"payload=%", b"payload=%zz", b"command=&text=",
                                               b"payload=a&payload=b", b"command=%2Fqotd", b"command=%2Frounds&text=time+07%3A30",
                                               b"team_id=&user_id=&command=%2Fqotd", b"text=" + b"a" * 100_000]))
    elif kind == "bytes":
        recipe["body"] = draw(st.binary(max_size=300))
    if kind == "bad-timestamp" or draw(st.integers(0, 4)) == 0:
        recipe["timestamp"] = draw(st.sampled_from(BAD_TIMESTAMPS))
    if kind != "bad-timestamp":
        recipe["content_type"] = draw(st.sampled_from(["application/x-www-form-urlencoded", "application/json", "text/plain", ""]))
    return recipe


def build_raw(slack: SlackStandIn, recipe: dict[str, Any]) -> tuple[bytes, str, str | None]:
    content_type = recipe.get("content_type", "application/x-www-form-urlencoded")
    form = urllib.parse.urlencode(slack.slash_command_payload("/qotd", "")).encode()
    kind = recipe["kind"]
    if kind == "not-utf8":
        at = len(form) * recipe["at"] // 100
        body = form[:at] + recipe["junk"] + form[at:]
    elif kind in ("deep", "json-not-object"):
        inner = _deep(recipe["depth"], recipe["open"]) if kind == "deep" else recipe["json"]
        body = ("payload=" + urllib.parse.quote(inner) if recipe["as_form"] else inner).encode()
    elif kind == "bad-timestamp":
        body = form
    else:
        body = recipe["body"]
    return body, content_type, recipe.get("timestamp")


def test_unreadable_bodies_and_headers_never_fail_and_write_nothing(tmp_path: Path) -> None:
    rig = SlackRig(tmp_path)
    try:
        with recording_errors() as errors:
            @settings(max_examples=examples(100))
            @given(recipe=raw_recipe())
            @example(recipe={"kind": "bad-timestamp", "timestamp": "abc"})
            @example(recipe={"kind": "bad-timestamp", "timestamp": ""})
            @example(recipe={"kind": "bad-timestamp", "timestamp": "1.5e9"})
            @example(recipe={"kind": "bad-timestamp", "timestamp": "9" * 5_000})
            @example(recipe={"kind": "not-utf8", "junk": b"\xff", "at": 50, "content_type": FORM})
            @example(recipe={"kind": "deep", "depth": 200_000, "open": "[", "as_form": False, "content_type": "application/json"})
            @example(recipe={"kind": "deep", "depth": 100_000, "open": "[", "as_form": True, "content_type": FORM})
            def slack_delivers(recipe: dict[str, Any]) -> None:
                body, content_type, timestamp = build_raw(rig.slack, recipe)
                errors.clear()
                before = digest(rig.db_path, ALL_TABLES)

                async def send() -> int:
                    status = await rig.post(body, content_type=content_type, timestamp=timestamp)
                    await rig.settle()
                    return status

                status = rig.runner.run(send())
                errors.check(recipe)
                assert status < 500, f"HTTP {status}"
                moved = changed(before, digest(rig.db_path, ALL_TABLES))
                assert not moved, f"an unreadable request (HTTP {status}) wrote {moved}"

            slack_delivers()
    finally:
        rig.close()

