"""The Slack adapter through the REAL slack-bolt / slack_sdk code paths, against the Slack stand-in on 127.0.0.1.

Signed HTTP requests go to the app exactly as Slack sends them; everything the app sends back (acks, response_url
posts, Web API calls) is recorded by the stand-in, which also enforces Block Kit limits. Nothing of ours is mocked.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import subprocess
import sys
import time
import urllib.parse
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientSession
from sqlalchemy import text

from bots.slack.app import EVENTS_PATH, SlackAdapter, SlackConfig, create_adapter
from bots.slack.main import run, serve_http
from bots.slack.notifier import SlackNotifier
from bots.slack.render import MAX_BLOCKS, MAX_FIELDS, MAX_SECTION, render
from commands.replies import Button, Card, Field, Reply
from commands.runtime import bind_duties
from core.clock import FrozenClock
from core.settings import Settings
from testkit.slack_process import free_port
from testkit.standins.slack_standin import (
    ADMIN_ID,
    DEFAULT_CHANNEL_ID,
    MEMBER_ID,
    OWNER_ID,
    TEAM_ID,
    HttpDelivery,
    RecordedCall,
    SlackStandIn,
    serve_web_app,
    validate_blocks,
)

_ROOT = Path(__file__).resolve().parents[2]  # the repository, where subprocesses run

SECRET = "adapter-signing-secret"
BOT_TOKEN = "xoxb-adapter-bot-token"
APP_TOKEN = "xapp-adapter-app-token"
COMMUNITY = f"slack:{TEAM_ID}"
LETTERS = ["A", "B", "C", "D", "E"]


@pytest.fixture(autouse=True)
def _no_proxy_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """slack_sdk reads HTTP(S)_PROXY itself and ignores NO_PROXY, so a CI proxy would swallow 127.0.0.1 traffic."""
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)


@dataclass
class Rig:
    slack: SlackStandIn
    adapter: SlackAdapter
    url: str
    clock: FrozenClock

    @property
    def services(self) -> Any:
        return self.adapter.services

    async def command(self, command: str, text: str = "", **fields: Any) -> HttpDelivery:
        delivery = await self.slack.send_slash_command(self.url, secret=SECRET, command=command, text=text, **fields)
        assert delivery.status == 200, (delivery.status, delivery.body)
        assert delivery.body == ""  # a bare ack: the reply comes through the response_url
        return delivery

    async def reply(self, delivery: HttpDelivery | dict[str, Any]) -> RecordedCall:
        sent = delivery.sent if isinstance(delivery, HttpDelivery) else delivery
        return await self.slack.wait_for_response(self.slack.token_of(sent["response_url"]))

    async def ask(self, command: str, text: str = "", **fields: Any) -> RecordedCall:
        return await self.reply(await self.command(command, text, **fields))

    async def press(self, action_id: str, **fields: Any) -> RecordedCall:
        payload = self.slack.block_actions_payload(action_id, value=action_id, **fields)
        delivery = await self.slack.send_interactive(self.url, payload, secret=SECRET)
        assert delivery.status == 200, (delivery.status, delivery.body)
        return await self.reply(payload)


@pytest.fixture
async def rig(db_path: str, clock: FrozenClock) -> AsyncIterator[Rig]:
    async with SlackStandIn() as slack:
        adapter = await create_adapter(Settings(db_path=db_path), config(slack), clock=clock)
        try:
            async with serve_web_app(adapter.web_app()) as base:
                yield Rig(slack, adapter, base + EVENTS_PATH, clock)
        finally:
            await adapter.close()


def config(slack: SlackStandIn, **overrides: Any) -> SlackConfig:
    return SlackConfig(bot_token=BOT_TOKEN, signing_secret=SECRET, app_token=APP_TOKEN, api_url=slack.api_url, **overrides)


def texts(call: RecordedCall) -> str:
    """Everything a person would read in a message: fallback text and every block, as JSON."""
    return json.dumps({"text": call.get("text"), "blocks": call.get("blocks")}, ensure_ascii=False)


def buttons(call: RecordedCall) -> list[dict[str, Any]]:
    return [e for b in call.get("blocks") or [] if b["type"] == "actions" for e in b["elements"]]


async def answer_count(rig: Rig) -> int:
    row = await rig.services.db.fetchone(text("SELECT COUNT(*) AS n FROM answers"))
    return int(row["n"])


# ---------------------------------------------------------------------------------------------------- /qotd and buttons


async def test_qotd_replies_ephemeral_block_kit_with_answer_buttons(rig: Rig) -> None:
    response = await rig.ask("/qotd")

    assert response.status == 200 and response.params["response_type"] == "ephemeral"
    blocks = response.get("blocks")
    assert validate_blocks(blocks) == []
    kinds = [b["type"] for b in blocks]
    assert kinds[0] == "header" and "section" in kinds and "context" in kinds and kinds[-1] == "actions"
    assert blocks[0]["text"]["text"].startswith("Question of the day · Tue 24 Nov 2026")
    assert "*A.*" in json.dumps(blocks)  # **A.** became Slack bold
    assert response.get("text")  # fallback text for notifications
    post, _ = await rig.services.qotd.today(await rig.services.communities.get(COMMUNITY))
    assert [b["text"]["text"] for b in buttons(response)] == LETTERS
    for letter, element in zip(LETTERS, buttons(response), strict=True):
        assert element["action_id"] == element["value"] == f"rounds:qotd.answer:{post.id}:{letter}"
    # the workspace is the community, named after its domain
    rows = await rig.services.db.fetchall(text("SELECT id, name FROM communities"))
    assert [(r["id"], r["name"]) for r in rows] == [(COMMUNITY, "rounds-test")]


async def test_answer_button_counts_once_when_pressed_again(rig: Rig) -> None:
    question = await rig.ask("/qotd")
    b_button = buttons(question)[1]["action_id"]

    first = await rig.press(b_button, ephemeral=True)
    again = await rig.press(b_button, ephemeral=True)  # a double click: a second, distinct delivery
    rig.clock.advance(seconds=10)  # the window for changing a mis-tap has closed
    later = await rig.press(b_button, ephemeral=True)

    assert first.params["response_type"] == "ephemeral" and first.params["replace_original"] is False
    assert texts(first).startswith('{"text": "You chose *B*.\\nMis-tap?')  # right or wrong only after the window
    assert "You chose *B*." in texts(again) and "Changed" not in texts(again)
    post = await rig.services.qotd.post(int(b_button.split(":")[2]))
    verdict = "✅ correct" if (await rig.services.bank.get(post.question_id)).answer == "B" else "❌ not quite"
    assert f"You already answered this one: *B*, {verdict}. Only your first answer counts." in texts(later)
    assert await answer_count(rig) == 1
    member = await rig.services.db.fetchone(text("SELECT member_id FROM answers"))
    assert member["member_id"] == f"slack:{MEMBER_ID}"
    dist = await rig.services.qotd.distribution(int(b_button.split(":")[2]))
    assert dist.total == 1 and dist.counts.get("B") == 1


async def test_slack_retries_are_acked_but_never_handled_twice(rig: Rig) -> None:
    url = rig.url
    payload = rig.slack.slash_command_payload("/qotd", "")
    body = urllib.parse.urlencode(payload)
    original = await rig.slack.post_signed(url, body, secret=SECRET)
    retry = await rig.slack.post_signed(url, body, secret=SECRET,
                                        headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})
    assert (original.status, retry.status) == (200, 200)
    question = await rig.reply(payload)

    action_id = buttons(question)[0]["action_id"]
    press = rig.slack.block_actions_payload(action_id, value=action_id, ephemeral=True)
    for headers in (None, {"X-Slack-Retry-Num": "1"}, {"X-Slack-Retry-Num": "2"}):
        delivery = await rig.slack.send_interactive(url, press, secret=SECRET, headers=headers)
        assert delivery.status == 200
    await rig.reply(press)
    await asyncio.sleep(0.2)  # time for a (wrongly) repeated reply to show up

    assert len(rig.slack.responses(rig.slack.token_of(payload["response_url"]))) == 1
    assert len(rig.slack.responses(rig.slack.token_of(press["response_url"]))) == 1
    assert await answer_count(rig) == 1
    claimed = await rig.services.db.fetchall(text("SELECT key FROM deliveries"))
    assert sorted(r["key"] for r in claimed) == sorted(f"slack:{TEAM_ID}:{p['trigger_id']}" for p in (payload, press))


async def test_forged_and_stale_signatures_get_401_and_leave_no_trace(rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    forged = await rig.slack.send_slash_command(rig.url, secret="not-the-secret", command="/qotd")
    stale = await rig.slack.send_slash_command(rig.url, secret=SECRET, command="/qotd", timestamp=int(time.time()) - 301)
    await asyncio.sleep(0.2)

    assert (forged.status, stale.status) == (401, 401)
    assert rig.slack.calls() == []  # no reply, no Web API call, not even auth.test
    assert await rig.services.db.fetchall(text("SELECT * FROM deliveries")) == []
    assert await rig.services.db.fetchall(text("SELECT * FROM communities")) == []
    logged = caplog.text
    for delivery in (forged, stale):  # bolt would log the body with its response_url: a credential
        assert rig.slack.token_of(delivery.sent["response_url"]) not in logged
    assert SECRET not in logged and BOT_TOKEN not in logged


async def test_slash_text_containing_the_word_payload_reaches_the_command(rig: Rig) -> None:
    response = await rig.ask("/qotd", "payload")
    assert "I did not understand `payload`" in texts(response)
    assert "Usage: `/qotd`" in texts(response)


# ---------------------------------------------------------------------------------------------------- options, admins


async def test_subcommand_takes_key_value_and_positional_options(rig: Rig) -> None:
    keyed = await rig.ask("/rounds", "timezone zone:Asia/Karachi", user_id=ADMIN_ID)
    positional = await rig.ask("/rounds", "reveal 6h", user_id=OWNER_ID)
    quoted = await rig.ask("/rounds", "tags \u201cstep1 cardiovascular\u201d", user_id=ADMIN_ID)  # Slack's curly quotes

    assert "Asia/Karachi" in texts(keyed)
    assert "6h after posting" in texts(positional)
    assert "Daily questions now come from" in texts(quoted)
    community = await rig.services.communities.get(COMMUNITY)
    assert community.timezone == "Asia/Karachi" and community.reveal_delay_minutes == 360
    assert community.tag_filter.slugs == {"step1", "cardiovascular"}


async def test_bad_input_gets_a_private_usage_message(rig: Rig) -> None:
    extra = await rig.ask("/qotd-stats", "everything")
    unclosed = await rig.ask("/rounds", 'time "07:30', user_id=ADMIN_ID)
    bad_time = await rig.ask("/rounds", "time 25:99", user_id=ADMIN_ID)
    no_sub = await rig.ask("/rounds", "")

    assert extra.params["response_type"] == "ephemeral"
    assert "Usage: `/qotd-stats`" in texts(extra)
    assert "quote is not closed" in texts(unclosed)
    assert bad_time.params["response_type"] == "ephemeral" and "25:99" in texts(bad_time)
    assert "needs a subcommand" in texts(no_sub) and "/rounds time" in texts(no_sub)
    assert (await rig.services.communities.get(COMMUNITY)).post_time.strftime("%H:%M") == "09:00"


async def test_admin_commands_are_refused_to_members_and_allowed_to_admins(rig: Rig) -> None:
    refused = await rig.ask("/rounds", "time 07:30", user_id=MEMBER_ID)
    assert refused.params["response_type"] == "ephemeral"
    assert "Only community admins can use `/rounds time`" in texts(refused)
    assert (await rig.services.communities.get(COMMUNITY)).post_time.strftime("%H:%M") == "09:00"

    allowed = await rig.ask("/rounds", "time time:07:30", user_id=ADMIN_ID)
    assert "07:30" in texts(allowed)
    assert (await rig.services.communities.get(COMMUNITY)).post_time.strftime("%H:%M") == "07:30"
    looked_up = {c.get("user") for c in rig.slack.calls("users.info")}
    assert looked_up == {MEMBER_ID, ADMIN_ID}  # only admin commands look anyone up

    await rig.ask("/rounds", "time 06:00", user_id=ADMIN_ID)  # the answer is cached: no second lookup
    assert len(rig.slack.calls("users.info")) == 2
    await rig.ask("/qotd", user_id=MEMBER_ID)
    assert len(rig.slack.calls("users.info")) == 2


async def test_configured_admins_and_user_group_admin_role(db_path: str, clock: FrozenClock) -> None:
    async with SlackStandIn() as slack:
        adapter = await create_adapter(Settings(db_path=db_path), config(slack, admins=frozenset({"U0TRUSTED"})), clock=clock)
        try:
            async with serve_web_app(adapter.web_app()) as base:
                rig = Rig(slack, adapter, base + EVENTS_PATH, clock)
                trusted = await rig.ask("/rounds", "reveal immediately", user_id="U0TRUSTED", user_name="trusted")
                assert "revealed" in texts(trusted) and "Only community admins" not in texts(trusted)
                assert slack.calls("users.info") == []  # the configured list needs no lookup

                slack.set_handler("usergroups.users.list", lambda params, token: {
                    "ok": True, "users": [MEMBER_ID] if params.get("usergroup") == "S0LEADS" else []})
                role = await rig.ask("/rounds", "admin-role <!subteam^S0LEADS|@study-leads>", user_id=ADMIN_ID)
                assert "<!subteam^S0LEADS>" in texts(role)  # our <@&S0LEADS> rendered as Slack's group mention
                assert (await adapter.services.communities.get(COMMUNITY)).admin_role == "S0LEADS"

                by_group = await rig.ask("/rounds", "time 08:15", user_id=MEMBER_ID)
                assert "08:15" in texts(by_group)
                group_calls = slack.calls("usergroups.users.list")
                assert group_calls and group_calls[-1].get("usergroup") == "S0LEADS"
        finally:
            await adapter.close()


async def test_required_options_missing_opens_a_modal_whose_submission_runs_the_command(rig: Rig) -> None:
    delivery = await rig.command("/rounds", "timezone", user_id=ADMIN_ID)
    opened = await rig.slack.wait_for_call("views.open")
    assert opened.ok, opened.response
    assert opened.get("trigger_id") == delivery.sent["trigger_id"]
    view = opened.get("view")
    inputs = [b for b in view["blocks"] if b["type"] == "input"]
    assert [(b["block_id"], b["optional"], b["element"]["type"]) for b in inputs] == [("zone", False, "plain_text_input")]

    values = {"zone": {"value": {"type": "plain_text_input", "value": "Europe/Berlin"}}}
    submission = rig.slack.view_submission_payload(view["callback_id"], values, private_metadata=view["private_metadata"],
                                                   user_id=ADMIN_ID)
    answered = await rig.slack.send_interactive(rig.url, submission, secret=SECRET)
    assert answered.status == 200 and answered.body == ""  # ack closes the modal

    confirmation = await rig.slack.wait_for_call("chat.postEphemeral")
    assert confirmation.ok and confirmation.get("user") == ADMIN_ID and confirmation.get("channel") == DEFAULT_CHANNEL_ID
    assert "Europe/Berlin" in texts(confirmation)
    assert (await rig.services.communities.get(COMMUNITY)).timezone == "Europe/Berlin"
    assert rig.slack.responses(rig.slack.token_of(delivery.sent["response_url"])) == []  # the modal was the answer


async def test_members_get_the_refusal_instead_of_a_modal(rig: Rig) -> None:
    refused = await rig.ask("/rounds", "timezone", user_id=MEMBER_ID)
    assert "Only community admins" in texts(refused)
    assert rig.slack.calls("views.open") == []


# ---------------------------------------------------------------------------------------------------- rendering


async def test_user_text_cannot_mass_mention_or_break_mrkdwn(rig: Rig) -> None:
    response = await rig.ask("/qotd", "<!channel>")
    shown = texts(response)
    assert "<!channel>" not in shown and "&lt;!channel&gt;" in shown

    typed = "hi <!here> @everyone *loud* _tilt_ ~gone~ `code` & <@U1>"
    message = render(Reply(text=f"{typed} in <#C0GENERAL> for <@&S0LEADS> **ok**"))
    section = message.blocks[0]["text"]["text"]
    assert "<!here>" not in section and "&lt;!here&gt;" in section
    assert "@everyone" not in section and "&lt;@U1&gt;" in section and "&amp;" in section
    assert "*loud*" not in section and "_tilt_" not in section and "~gone~" not in section
    assert "<#C0GENERAL>" in section and "<!subteam^S0LEADS>" in section and "*ok*" in section and "`code`" in section
    assert "<!here>" not in message.text


async def test_oversized_reply_fits_slack_limits_and_is_accepted(rig: Rig) -> None:
    long_line = "word " * 1200  # 6,000 characters on one line
    card = Card(title="T" * 400, body=("• a line of text & <more>\n" * 400) + long_line,
                fields=tuple(Field(f"f{i}", "v" * 2500) for i in range(25)) + (Field("wide", "w" * 7000, inline=False),),
                footer="x" * 5000)
    reply = Reply(text="intro", cards=(card,) * 6, buttons=tuple(Button(f"b{i}", "noop", (str(i),)) for i in range(30)))
    message = render(reply)

    assert len(message.blocks) <= MAX_BLOCKS and validate_blocks(message.blocks) == []
    for block in message.blocks:
        if block["type"] == "section":
            assert len((block.get("text") or {}).get("text", "")) <= MAX_SECTION
            assert len(block.get("fields") or []) <= MAX_FIELDS
    assert message.blocks[-2]["type"] == "actions" and message.blocks[-1]["type"] == "actions"  # all 30 buttons kept
    assert "shortened" in json.dumps(message.blocks)
    assert len(message.text) <= 3000

    await SlackNotifier(rig.adapter.client).post(DEFAULT_CHANNEL_ID, reply)
    posted = await rig.slack.wait_for_call("chat.postMessage")
    assert posted.ok, posted.response  # the stand-in's validator accepted it


# ---------------------------------------------------------------------------------------------------- scheduled posts, 429s


async def test_scheduled_post_arrives_by_chat_post_message_and_its_buttons_work(rig: Rig) -> None:
    rig.clock.set(datetime(2026, 11, 24, 8, 0, tzinfo=UTC))  # before the 09:00 post
    confirmed = await rig.ask("/rounds", "channel", user_id=ADMIN_ID)
    assert f"<#{DEFAULT_CHANNEL_ID}>" in texts(confirmed)
    rig.services.runner.serve(*bind_duties(rig.services, [SlackNotifier(rig.adapter.client)]))
    assert await rig.services.runner.run_due() == 0 and rig.slack.calls("chat.postMessage") == []

    rig.clock.set(datetime(2026, 11, 24, 9, 0, tzinfo=UTC))
    assert await rig.services.runner.run_due() == 1  # the runner waking at 09:00
    posted = await rig.slack.wait_for_call("chat.postMessage")
    assert posted.ok and posted.get("channel") == DEFAULT_CHANNEL_ID and posted.token == BOT_TOKEN
    assert [b["text"]["text"] for b in buttons(posted)] == LETTERS
    assert posted.get("blocks")[0]["text"]["text"].startswith("Question of the day")

    [discussion] = rig.slack.thread_replies(DEFAULT_CHANNEL_ID, posted.response["ts"])  # discussion: its thread
    assert discussion["text"].startswith("💬 Discuss today's question here") and "<!date^" in discussion["text"]

    assert await rig.services.runner.run_due() == 0  # a second wake posts nothing more
    feedback = await rig.press(buttons(posted)[2]["action_id"], message_ts=posted.response["ts"])
    assert feedback.params["response_type"] == "ephemeral"  # the channel does not see who answered what
    assert len(rig.slack.calls("chat.postMessage")) == 2  # the question and its thread's first reply
    assert await answer_count(rig) == 1


async def test_rate_limited_web_api_and_response_url_calls_are_retried(rig: Rig) -> None:
    rig.slack.rate_limit_next("chat.postMessage", retry_after=0)
    rig.slack.rate_limit_next("response_url", retry_after=0)
    await rig.command("/qotd")  # its reply to the response_url gets a 429 first
    await SlackNotifier(rig.adapter.client).post(DEFAULT_CHANNEL_ID, Reply(text="after a 429"))
    await rig.slack.wait_for(lambda c: c.method == "response_url" and c.status == 200)

    limited, landed = rig.slack.responses()
    assert (limited.status, landed.status) == (429, 200)
    assert landed.params == limited.params and [b["text"]["text"] for b in buttons(landed)] == LETTERS
    first, second = rig.slack.calls("chat.postMessage")
    assert (first.status, second.status) == (429, 200) and second.ok and second.params == first.params


# ---------------------------------------------------------------------------------------------------- Socket Mode, /healthz


async def test_socket_mode_round_trip(db_path: str, clock: FrozenClock) -> None:
    async with SlackStandIn() as slack:
        adapter = await create_adapter(Settings(db_path=db_path), config(slack), clock=clock, socket_mode=True)
        handler = adapter.socket_handler(APP_TOKEN)
        try:
            await handler.connect_async()
            envelope = await slack.push_slash_command("/qotd", "", user_id=MEMBER_ID)
            ack = await slack.wait_for_ack(envelope)
            payload = slack.pushed_payload(envelope)
            response = await slack.wait_for_response(slack.token_of(payload["response_url"]))

            retried = await slack.push_envelope("slash_commands", payload, retry_attempt=1, retry_reason="timeout")
            await slack.wait_for_ack(retried)
            await asyncio.sleep(0.2)
        finally:
            await handler.close_async()
            await adapter.close()

    assert ack.payload is None and ack.latency is not None and ack.latency < 3
    assert response.params["response_type"] == "ephemeral"
    assert [b["text"]["text"] for b in buttons(response)] == LETTERS
    assert len(slack.responses(slack.token_of(payload["response_url"]))) == 1  # the redelivery was a no-op
    (opened,) = slack.calls("apps.connections.open")
    assert opened.token == APP_TOKEN


async def test_socket_mode_envelopes_slack_would_never_send_are_acked_and_write_nothing(
        db_path: str, clock: FrozenClock, caplog: pytest.LogCaptureFixture) -> None:
    """The same door as HTTP, after the (absent) signature: acked so Slack does not redeliver, and nothing stored."""
    async with SlackStandIn() as slack:
        adapter = await create_adapter(Settings(db_path=db_path), config(slack), clock=clock, socket_mode=True)
        handler = adapter.socket_handler(APP_TOKEN)
        try:
            await handler.connect_async()
            no_team = slack.slash_command_payload("/qotd")
            del no_team["team_id"]
            press = slack.block_actions_payload("rounds:qotd.answer:1:A")
            press["actions"] = [None]
            no_user = slack.block_actions_payload("rounds:qotd.answer:1:A")
            del no_user["user"]
            envelopes = [await slack.push_envelope("slash_commands", no_team),
                         await slack.push_interactive(press), await slack.push_interactive(no_user)]
            acks = [await slack.wait_for_ack(e) for e in envelopes]
            await asyncio.sleep(0.2)
            stored = {t: (await adapter.services.db.fetchone(text(f"SELECT COUNT(*) AS n FROM {t}")))["n"]
                      for t in ("communities", "deliveries", "answers")}
        finally:
            await handler.close_async()
            await adapter.close()

    assert [a.payload for a in acks] == [None, None, None]
    assert stored == {"communities": 0, "deliveries": 0, "answers": 0}
    assert [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info] == []
    assert slack.responses() == []


async def test_healthz(rig: Rig) -> None:
    async with ClientSession() as http, http.get(rig.url.replace(EVENTS_PATH, "/healthz")) as resp:
        assert resp.status == 200 and (await resp.json()) == {"ok": True}


# ---------------------------------------------------------------------------------------------------- the process


def test_missing_environment_exits_2_naming_the_variables(capsys: pytest.CaptureFixture[str]) -> None:
    from argparse import Namespace

    assert run(Namespace(http=False, port=3000, action=None), env={}) == 2
    socket_err = capsys.readouterr().err
    assert "SLACK_BOT_TOKEN" in socket_err and "SLACK_APP_TOKEN" in socket_err and "SIGNING" not in socket_err

    assert run(Namespace(http=True, port=3000, action=None), env={"SLACK_BOT_TOKEN": "xoxb-1"}) == 2
    http_err = capsys.readouterr().err
    assert "SLACK_SIGNING_SECRET" in http_err and "SLACK_BOT_TOKEN" not in http_err

    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    done = subprocess.run([sys.executable, "-m", "bots.cli", "slack", "--http"], env=env, cwd=_ROOT,
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 2
    assert "SLACK_BOT_TOKEN" in done.stderr and "SLACK_SIGNING_SECRET" in done.stderr


async def test_a_refused_bot_token_stops_start_up_with_exit_1(db_path: str, capsys: pytest.CaptureFixture[str]) -> None:
    async with SlackStandIn(valid_tokens={"xoxb-the-real-one"}) as slack:
        assert await serve_http(Settings(db_path=db_path), config(slack), free_port(), "127.0.0.1") == 1
    err = capsys.readouterr().err
    assert "SLACK_BOT_TOKEN was refused by Slack (invalid_auth)" in err and BOT_TOKEN not in err


def _process_env(slack: SlackStandIn, tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy") and not k.startswith("SLACK_")}
    env.update(SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_API_URL=slack.api_url, ROUNDS_DB=str(tmp_path / "process.db"),
               PYTHONUNBUFFERED="1", **extra)
    return env


async def _stop(process: asyncio.subprocess.Process) -> str:
    """SIGTERM, as a process manager would; the app must finish cleanly and say nothing secret."""
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(process.wait(), 8)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    assert process.stderr is not None
    return (await process.stderr.read()).decode()


async def test_rounds_slack_http_as_a_separate_process_serves_qotd(tmp_path: Path) -> None:
    async with SlackStandIn() as slack:
        port = free_port()
        env = _process_env(slack, tmp_path, SLACK_SIGNING_SECRET=SECRET, ROUNDS_HTTP_HOST="127.0.0.1")
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bots.cli", "slack", "--http", "--port", str(port), cwd=_ROOT, env=env,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
        try:
            base = f"http://127.0.0.1:{port}"
            async with ClientSession() as http:
                deadline = time.monotonic() + 8
                while True:
                    try:
                        async with http.get(base + "/healthz") as resp:
                            if resp.status == 200:
                                break
                    except OSError:
                        pass
                    if process.returncode is not None or time.monotonic() > deadline:
                        raise AssertionError("the app did not come up")
                    await asyncio.sleep(0.05)

            delivery = await slack.send_slash_command(base + EVENTS_PATH, secret=SECRET, command="/qotd")
            assert delivery.status == 200
            response = await slack.wait_for_response(slack.token_of(delivery.sent["response_url"]))
            assert response.params["response_type"] == "ephemeral"
            assert validate_blocks(response.get("blocks")) == []
            assert [b["text"]["text"] for b in buttons(response)] == LETTERS
        finally:
            stderr = await _stop(process)
    assert process.returncode == 0, stderr[-2000:]
    assert BOT_TOKEN not in stderr and SECRET not in stderr


async def test_rounds_slack_in_socket_mode_as_a_separate_process(tmp_path: Path) -> None:
    async with SlackStandIn() as slack:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bots.cli", "slack", cwd=_ROOT, env=_process_env(slack, tmp_path, SLACK_APP_TOKEN=APP_TOKEN),
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
        try:
            await slack.wait_connected(timeout=8)
            envelope = await slack.push_slash_command("/qotd-stats", "")
            ack = await slack.wait_for_ack(envelope)
            response = await slack.wait_for_response(slack.token_of(slack.pushed_payload(envelope)["response_url"]))
        finally:
            stderr = await _stop(process)
    assert ack.payload is None and response.params["response_type"] == "ephemeral"
    assert "not answered a question of the day" in texts(response)
    assert process.returncode == 0, stderr[-2000:]
    assert BOT_TOKEN not in stderr and APP_TOKEN not in stderr
