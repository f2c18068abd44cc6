"""The door of `rounds slack --http`, through the REAL bolt app against the Slack stand-in: the signature is checked
on the raw bytes before anything parses them, bad requests get a 4xx and at most one warning line (never a 500 or a
traceback), and a signed payload Slack would never send (no user, no team, another team, malformed actions) is
refused before anything is written. Strings are cleaned before the dispatcher or the inbox meets them.
"""
# ruff: noqa: F811  (the rig fixture is imported from test_slack_adapter and named by the tests that use it)

from __future__ import annotations

import asyncio
import json
import logging
import urllib.parse
from typing import Any

import pytest
from sqlalchemy import text

from bots.slack.edge import MAX_BODY, FloodGate
from bots.slack.render import render
from commands.replies import Button, Card, Reply
from testkit.standins.slack_standin import MEMBER_ID, TEAM_ID, interactive_body
from tests.adapters.test_slack_adapter import (  # noqa: F401  (fixtures: the rig, and no proxy for 127.0.0.1)
    COMMUNITY,
    SECRET,
    Rig,
    _no_proxy_env,
    answer_count,
    buttons,
    rig,
    texts,
)

FORM = "application/x-www-form-urlencoded"
BAD_TIMESTAMPS = ["abc", "", "1.5e9", "9" * 5_000, "١٢٣", "-1", " 1"]


async def written(rig: Rig) -> dict[str, int]:
    """Row counts of every table a request could write to."""
    counts = {}
    for table in ("communities", "members", "answers", "daily_posts", "deliveries"):
        row = await rig.services.db.fetchone(text(f"SELECT COUNT(*) AS n FROM {table}"))  # a fixed list of names
        counts[table] = int(row["n"])
    return counts


def warnings_from_the_adapter(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name.startswith("bots.slack") and r.levelno == logging.WARNING]


def no_errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [f"{r.name}: {r.getMessage()}" for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


def deep(depth: int) -> str:
    return "[" * depth + "]" * depth


async def press_with(rig: Rig, **changes: Any) -> int:
    """A signed press on a real button of today's post, with parts replaced (None removes a part)."""
    question = await rig.ask("/qotd")
    payload = rig.slack.block_actions_payload(buttons(question)[0]["action_id"], value="x", ephemeral=True)
    for name, value in changes.items():
        if value is None:
            payload.pop(name, None)
        else:
            payload[name] = value
    return (await rig.slack.send_interactive(rig.url, payload, secret=SECRET)).status


# ---------------------------------------------------------------------------------------------------- the signature


async def test_timestamps_that_are_not_whole_seconds_get_401_and_one_warning(rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    body = rig.slack.slash_command_body("/qotd").encode()
    statuses = [(await rig.slack.post_raw(rig.url, body, secret=SECRET, timestamp=ts)).status for ts in BAD_TIMESTAMPS]

    assert statuses == [401] * len(BAD_TIMESTAMPS)  # the old code raised ValueError in int(): 500 and a traceback
    assert no_errors(caplog) == []
    assert len([w for w in warnings_from_the_adapter(caplog) if "Timestamp" in w]) == 1  # rate-limited: one line
    assert await written(rig) == dict.fromkeys(("communities", "members", "answers", "daily_posts", "deliveries"), 0)
    assert rig.slack.calls() == []  # not even auth.test: bolt never saw them


async def test_the_signature_is_checked_before_the_body_is_parsed(rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    """Forged bodies that would be costly or fatal to parse (deep JSON, bytes that are not UTF-8) are refused by
    their signature alone: the old code parsed first and answered them with a 500."""
    caplog.set_level(logging.INFO)
    forged = [deep(20_000).encode(), b"payload=" + urllib.parse.quote(deep(20_000)).encode(),
              b"command=%2Fqotd&text=\xff\xfe", b"\xed\xa0\x80" * 1000]
    statuses = [(await rig.slack.post_raw(rig.url, body, secret="not-the-secret")).status for body in forged]
    unsigned = await rig.slack.post_raw(rig.url, deep(20_000).encode(), secret=None, content_type="application/json")

    assert statuses == [401] * len(forged) and unsigned.status == 401
    assert no_errors(caplog) == []
    assert await written(rig) == dict.fromkeys(("communities", "members", "answers", "daily_posts", "deliveries"), 0)


async def test_a_body_over_the_cap_gets_413_signed_or_not_announced_or_chunked(rig: Rig) -> None:
    big = b"a=" + b"b" * MAX_BODY
    announced = await rig.slack.post_raw(rig.url, big, secret=None)
    chunked = await rig.slack.post_raw(rig.url, big, secret=SECRET, chunked=True)
    assert (announced.status, chunked.status) == (413, 413)
    assert (await written(rig))["deliveries"] == 0


async def test_the_largest_question_message_a_press_can_carry_fits_under_the_cap(rig: Rig) -> None:
    """The cap is what Slack sends: a press carries the whole message it was on, and questions of the day are the only
    messages with buttons. The largest one Rounds can render (a 10,000-character stem, 300-character lead-in and
    200-character options, all emoji, which Slack escapes in 16 characters each) still fits, and is answered."""
    emoji = "\U0001f600"
    options = "\n".join(f"**{letter}.** {emoji * 200}" for letter in "ABCDE")
    card = Card(title="Question of the day", body=f"{emoji * 10_000}\n\n**{emoji * 299}?**\n\n{options}", footer=emoji * 300)
    question = await rig.ask("/qotd")
    action_id = buttons(question)[1]["action_id"]
    message = render(Reply(cards=(card,), buttons=tuple(Button(x, "qotd.answer", ("1", x)) for x in "ABCDE")))
    payload = rig.slack.block_actions_payload(action_id, value=action_id, message_blocks=message.blocks,
                                              message_text=message.text)
    size = len(interactive_body(payload))

    assert 200_000 < size < MAX_BODY, size
    delivery = await rig.slack.send_interactive(rig.url, payload, secret=SECRET)
    assert delivery.status == 200
    assert "You chose *B*." in texts(await rig.reply(payload))
    assert await answer_count(rig) == 1


# ---------------------------------------------------------------------------------------------------- after the signature


async def test_a_signed_body_that_is_not_utf8_gets_400(rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    form = rig.slack.slash_command_body("/qotd").encode()
    statuses = [(await rig.slack.post_raw(rig.url, body, secret=SECRET)).status
                for body in (form + b"\xff", b"\xc3\x28" + form, form.replace(b"qotd", b"q\xed\xa0\x80tdd"))]

    assert statuses == [400, 400, 400]  # the old code: UnicodeDecodeError, 500
    assert no_errors(caplog) == []
    assert len([w for w in warnings_from_the_adapter(caplog) if "UTF-8" in w]) == 1
    assert (await written(rig))["communities"] == 0


@pytest.mark.parametrize("body", [
    pytest.param(deep(200_000).encode(), id="json-200000-deep"),
    pytest.param(b"payload=" + urllib.parse.quote(deep(20_000)).encode(), id="form-payload-20000-deep"),
    pytest.param(json.dumps({"command": "/qotd", "team_id": TEAM_ID, "user_id": MEMBER_ID,
                             "text": json.loads(deep(60))}).encode(), id="object-60-deep"),
])
async def test_signed_json_nested_too_deep_gets_400(rig: Rig, caplog: pytest.LogCaptureFixture, body: bytes) -> None:
    caplog.set_level(logging.INFO)
    delivery = await rig.slack.post_raw(rig.url, body, secret=SECRET, content_type="application/json")
    assert delivery.status == 400  # the old code: RecursionError, 500
    assert no_errors(caplog) == []
    assert await written(rig) == dict.fromkeys(("communities", "members", "answers", "daily_posts", "deliveries"), 0)


@pytest.mark.parametrize("actions", [[], "x", [{}], [None], [{"action_id": 5}], [{"action_id": ""}],
                                     [{"action_id": "rounds:qotd.answer:1:A", "value": 7}], None, [{"action_id": "other"}]],
                         ids=["empty", "text", "empty-object", "null", "number-id", "empty-id", "number-value", "missing",
                              "not-ours"])
async def test_malformed_actions_get_400_and_write_nothing(rig: Rig, caplog: pytest.LogCaptureFixture, actions: Any) -> None:
    caplog.set_level(logging.INFO)
    payload = rig.slack.block_actions_payload("rounds:qotd.answer:1:A")
    payload.pop("actions") if actions is None else payload.update(actions=actions)
    delivery = await rig.slack.send_interactive(rig.url, payload, secret=SECRET)

    assert delivery.status == 400  # the old code: bolt's matcher raised, 500 and a traceback
    assert no_errors(caplog) == []
    assert await written(rig) == dict.fromkeys(("communities", "members", "answers", "daily_posts", "deliveries"), 0)


async def test_one_warning_line_a_minute_for_a_flood_of_one_kind(rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    payload = rig.slack.block_actions_payload("rounds:qotd.answer:1:A")
    payload["actions"] = [None]
    statuses = [(await rig.slack.send_interactive(rig.url, payload, secret=SECRET)).status for _ in range(20)]
    assert statuses == [400] * 20
    assert len(warnings_from_the_adapter(caplog)) == 1


# ---------------------------------------------------------------------------------------------------- who and where


@pytest.mark.parametrize("user", [None, {}, {"id": ""}, {"id": 42}, "U0MEMBER"], ids=["missing", "empty", "empty-id", "number", "text"])
async def test_a_press_from_no_user_is_refused_before_anything_is_written(rig: Rig, user: Any) -> None:
    question = await rig.ask("/qotd")  # the community and today's post exist
    before = await written(rig)
    payload = rig.slack.block_actions_payload(buttons(question)[0]["action_id"], ephemeral=True)
    payload.pop("user") if user is None else payload.update(user=user)
    delivery = await rig.slack.send_interactive(rig.url, payload, secret=SECRET)

    assert delivery.status == 400
    assert await written(rig) == before  # the old code stored an answer for member 'slack:'
    assert await answer_count(rig) == 0


async def test_a_payload_naming_no_team_creates_no_community(rig: Rig) -> None:
    command = rig.slack.slash_command_payload("/qotd")
    del command["team_id"]
    press = rig.slack.block_actions_payload("rounds:qotd.answer:1:A")
    del press["team"]
    del press["user"]["team_id"]
    statuses = [(await rig.slack.post_signed(rig.url, urllib.parse.urlencode(command), secret=SECRET)).status,
                (await rig.slack.send_interactive(rig.url, press, secret=SECRET)).status]

    assert statuses == [400, 400]
    assert await written(rig) == dict.fromkeys(("communities", "members", "answers", "daily_posts", "deliveries"), 0)
    # the old code filed both under a community 'slack:unknown'


async def test_a_press_from_another_workspace_is_refused_and_creates_nothing(rig: Rig) -> None:
    question = await rig.ask("/qotd")
    before = await written(rig)
    payload = rig.slack.block_actions_payload(buttons(question)[0]["action_id"], ephemeral=True)
    payload["team"] = {"id": "T0OTHER", "domain": "other"}
    command = rig.slack.slash_command_payload("/qotd", team_id="T0OTHER")
    pressed = await rig.slack.send_interactive(rig.url, payload, secret=SECRET)
    typed = await rig.slack.post_signed(rig.url, urllib.parse.urlencode(command), secret=SECRET)

    assert (pressed.status, typed.status) == (200, 200)
    assert "workspace it is installed in" in texts(await rig.reply(payload))
    assert "workspace it is installed in" in texts(await rig.reply(command))
    assert await written(rig) == before  # the old code created community 'slack:T0OTHER' to refuse the press
    rows = await rig.services.db.fetchall(text("SELECT id FROM communities"))
    assert [r["id"] for r in rows] == [COMMUNITY]


async def test_lone_surrogates_and_controls_are_cleaned_before_the_dispatcher_and_the_inbox(
        rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    question = await rig.ask("/qotd")
    action_id = buttons(question)[2]["action_id"]
    payload = rig.slack.block_actions_payload(action_id, value=action_id, ephemeral=True)
    payload["user"]["name"] = "ma\ud800ya\x00"
    payload["trigger_id"] += "\udc80"  # the delivery key: the old code failed to store it and the press was lost
    delivery = await rig.slack.send_interactive(rig.url, payload, secret=SECRET)

    assert delivery.status == 200
    assert "You chose *C*." in texts(await rig.reply(payload))
    assert no_errors(caplog) == []
    member = await rig.services.db.fetchone(text("SELECT id, display_name FROM members"))
    assert (member["id"], member["display_name"]) == (f"slack:{MEMBER_ID}", "ma\ufffdya")
    keys = [r["key"] for r in await rig.services.db.fetchall(text("SELECT key FROM deliveries"))]
    assert any(key.endswith("\ufffd") for key in keys)


async def test_a_command_whose_text_was_not_utf8_inside_its_form_still_gets_its_answer(rig: Rig) -> None:
    """Percent-escapes of bytes that are not UTF-8 (what a surrogate becomes in a form) are cleaned, not fatal."""
    payload = rig.slack.slash_command_payload("/qotd", "")
    body = urllib.parse.urlencode(payload).replace("text=", "text=%ED%A0%80%FF")
    delivery = await rig.slack.post_signed(rig.url, body, secret=SECRET)
    assert delivery.status == 200
    assert "Usage: `/qotd`" in texts(await rig.reply(payload))


# ---------------------------------------------------------------------------------------------------- floods


def test_large_refusals_are_held_back_only_when_they_come_in_a_flood() -> None:
    """A refused large body is answered at once when it comes alone; past `burst` of them in a second, each further
    one is held (so a client keeping a dozen in flight gets a dozen answers a hold, not hundreds a second)."""
    now = [0.0]
    gate = FloodGate(burst=8, hold=1.0, max_held=256, clock=lambda: now[0])
    one_at_a_time = []
    for _ in range(20):
        now[0] += 0.5  # two a second: a test, a misconfigured client
        one_at_a_time.append(gate.note())
    now[0] += 5.0
    flood = [gate.note() for _ in range(20)]  # twenty in the same instant

    assert one_at_a_time == [False] * 20
    assert flood == [False] * 8 + [True] * 12


async def test_a_flood_of_unsigned_large_bodies_is_answered_413_and_held(rig: Rig) -> None:
    rig.adapter.flood_gate.hold = 0.3
    big = b"a=" + b"b" * MAX_BODY
    alone = await rig.slack.post_raw(rig.url, big, secret=None)
    flood = await asyncio.gather(*(rig.slack.post_raw(rig.url, big, secret=None) for _ in range(20)))

    assert alone.status == 413 and alone.latency < 0.3
    assert [d.status for d in flood] == [413] * 20
    assert sum(d.latency >= 0.3 for d in flood) >= 20 - rig.adapter.flood_gate.burst  # held, reading paused
    assert (await written(rig))["deliveries"] == 0


async def test_a_command_or_form_rounds_never_declared_gets_400_and_writes_nothing(rig: Rig,
                                                                                caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    command = await rig.slack.send_slash_command(rig.url, secret=SECRET, command="/not-ours")
    form = rig.slack.view_submission_payload("someone-elses-form")
    submitted = await rig.slack.send_interactive(rig.url, form, secret=SECRET)

    assert (command.status, submitted.status) == (400, 400)  # bolt: a 404 and a warning of several lines
    assert no_errors(caplog) == []
    assert await written(rig) == dict.fromkeys(("communities", "members", "answers", "daily_posts", "deliveries"), 0)
