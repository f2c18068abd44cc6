"""The Rounds Discord adapter through the real discord.py, against the Discord stand-in: no mocks of our code.

Each test starts the stand-in and the bot as `rounds discord` builds it, sends INTERACTION_CREATE payloads, and
asserts on the callbacks, follow-ups and channel posts the stand-in records. The stand-in enforces Discord's rules
(3-second deadline, message limits, 429s), so a rendering or timing bug fails here as it would in production.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bots.discord.client import Sync
from bots.discord.main import run as run_discord
from commands.dispatch import INTERNAL_ERROR
from commands.registry import load_catalog
from core.clock import FrozenClock
from core.community.members import namespaced
from testkit.discord_harness import catalog_with, running_bot
from testkit.standins.discord_standin import (
    ADMIN_USER_ID,
    EVERYONE_PERMISSIONS,
    GENERAL_CHANNEL_ID,
    GUILD_ID,
    MEMBER_USER_ID,
    MODERATOR_ROLE_ID,
    STUDY_HALL_CHANNEL_ID,
    STUDY_ROOM_VOICE_ID,
    DiscordStandIn,
    Permission,
    RecordedCall,
)
from tests.adapters import discord_lab
from tests.adapters.discord_lab import lab

ROOT = Path(__file__).resolve().parents[2]
EPHEMERAL = 64
LOADING = 128
COMMUNITY = namespaced("discord", GUILD_ID)
LAB = discord_lab.__name__
NO_PINGS = {"parse": []}


@pytest.fixture
async def standin() -> AsyncIterator[DiscordStandIn]:
    # allowed_privileged_intents=0: the bot is refused if it asks for an intent it would need approval for.
    async with DiscordStandIn(allowed_privileged_intents=0) as api:
        with api.patch_discord():
            yield api


def data_of(call: RecordedCall) -> dict[str, Any]:
    return call.json["data"]


def buttons_of(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [button for row in message.get("components") or [] for button in row["components"]]


async def command(standin: DiscordStandIn, name: str, options: dict[str, Any] | None = None, **kw: Any) -> RecordedCall:
    sent = await standin.send_interaction(standin.slash_command(name, options, **kw))
    return await standin.wait_for_callback(sent["id"])


async def press(standin: DiscordStandIn, custom_id: str, message_id: str | None, **kw: Any) -> RecordedCall:
    sent = await standin.send_interaction(standin.component(custom_id, message_id=message_id, **kw))
    return await standin.wait_for_callback(sent["id"])


async def ask_qotd(standin: DiscordStandIn, **kw: Any) -> tuple[RecordedCall, dict[str, Any]]:
    """/qotd and the (ephemeral) message it created."""
    callback = await command(standin, "qotd", **kw)
    return callback, callback.response["resource"]["message"]


# --- commands come from the catalog -------------------------------------------------------------------------------

OPTION_TYPES = {"text": 3, "integer": 4, "boolean": 5, "member": 6, "channel": 7, "role": 8, "number": 10}


async def test_every_catalog_command_is_synced_with_typed_options(standin: DiscordStandIn, db_path: str, clock: FrozenClock) -> None:
    catalog = load_catalog()
    async with running_bot(standin, db_path, clock=clock):
        synced = {c["name"]: c for c in standin.registered_commands()}
        assert sorted(synced) == catalog.top_level()
        for spec in catalog.commands.values():
            entry = synced[spec.path[0]]
            group = catalog.groups.get(spec.path[0])
            sub = spec.path[1] if len(spec.path) == 2 else group.root_as if group and catalog.subcommands(group.name) else None
            if sub is not None:  # a subcommand, or a group's own command bound under its declared name
                [entry] = [o for o in entry["options"] if o["name"] == sub and o["type"] == 1]
            assert entry["description"] == (spec.description if len(spec.description) <= 100 else spec.description[:99] + "…")
            declared = {o["name"]: o for o in entry.get("options") or []}
            options = () if spec.form else spec.options  # a form command asks in its modal
            assert list(declared) == [o.name for o in sorted(options, key=lambda o: not o.required)]
            for option in options:
                assert declared[option.name]["type"] == OPTION_TYPES[option.kind]
                assert declared[option.name]["required"] == option.required
                offered = (option.suggest is not None and not option.choices) or len(option.choices) > 25
                assert declared[option.name].get("autocomplete", False) == offered
                assert len(declared[option.name].get("choices", [])) == (len(option.choices) if len(option.choices) <= 25 else 0)
        rounds = synced["rounds"]
        assert {o["name"] for o in rounds["options"]} == {s.path[1] for s in catalog.subcommands("rounds")}
        assert rounds["dm_permission"] is False  # a community is a server
        time_option = next(o for o in rounds["options"] if o["name"] == "time")["options"][0]
        assert time_option["max_length"] == 20
    assert standin.unknown_calls == []


async def test_a_test_only_declaration_appears_on_discord_and_runs(standin: DiscordStandIn, db_path: str, clock: FrozenClock) -> None:
    """No adapter code names these commands: they exist only in a test package, yet Discord gets them, typed."""
    async with running_bot(standin, db_path, clock=clock, catalog=catalog_with(LAB)):
        synced = {c["name"]: c for c in standin.registered_commands()}
        options = {o["name"]: o for o in synced["flashcards"]["options"]}
        assert options["count"] == {"type": 4, "name": "count", "description": "How many cards", "required": True,
                                    "min_value": 1, "max_value": 10}
        assert [c["value"] for c in options["deck"]["choices"]] == ["step1", "step2ck", "step3"]
        assert options["topic"]["autocomplete"] is True and options["topic"]["max_length"] == 40
        assert (options["weight"]["type"], options["weight"]["min_value"], options["weight"]["max_value"]) == (10, 0, 1)
        assert options["shuffle"]["type"] == 5
        assert options["post-in"]["type"] == 7 and options["post-in"]["channel_types"] == [0, 5]
        assert options["for-role"]["type"] == 8
        assert {o["name"] for o in synced["lab"]["options"]} == {"echo", "big", "slow", "pick"}

        reply = await command(standin, "flashcards", {"count": 3, "deck": "step2ck", "weight": 0.5, "shuffle": True,
                                                       "post-in": STUDY_HALL_CHANNEL_ID, "for-role": MODERATOR_ROLE_ID},
                              user=ADMIN_USER_ID)
        assert reply.status == 200 and data_of(reply)["flags"] & EPHEMERAL
        assert data_of(reply)["content"] == (
            f"count=3 deck='step2ck' topic=None weight=0.5 shuffle=True post-in='{STUDY_HALL_CHANNEL_ID}' "
            f"for-role='{MODERATOR_ROLE_ID}' admin=True roles=['{MODERATOR_ROLE_ID}']")

        typed = await standin.send_interaction(standin.autocomplete("flashcards", {"count": 1, "topic": "card"}))
        suggestions = await standin.wait_for_callback(typed["id"])
        assert [c["value"] for c in data_of(suggestions)["choices"]] == ["cardiology", "cardiac arrest"]


async def test_more_than_25_choices_are_offered_through_autocomplete(standin: DiscordStandIn, db_path: str, clock: FrozenClock) -> None:
    async with running_bot(standin, db_path, clock=clock, catalog=catalog_with(LAB)):
        [lab_group] = [c for c in standin.registered_commands() if c["name"] == "lab"]
        [pick] = [o for o in lab_group["options"] if o["name"] == "pick"]
        assert pick["options"][0]["autocomplete"] is True and "choices" not in pick["options"][0]

        async def complete(typed: str) -> list[str]:
            sent = await standin.send_interaction(standin.autocomplete("lab pick", {"specialty": typed}))
            return [c["value"] for c in data_of(await standin.wait_for_callback(sent["id"]))["choices"]]

        assert await complete("specialty-2") == [f"specialty-2{i}" for i in range(10)]
        assert len(await complete("")) == 25
        assert data_of(await command(standin, "lab pick", {"specialty": "specialty-27"}))["content"] == "picked specialty-27"
        refused = data_of(await command(standin, "lab pick", {"specialty": "surgery"}))
        assert refused["flags"] & EPHEMERAL and refused["content"].startswith("`specialty` must be one of")


# --- /qotd and its buttons ----------------------------------------------------------------------------------------

async def test_qotd_is_answered_at_once_with_an_ephemeral_embed_and_answer_buttons(standin: DiscordStandIn, db_path: str, clock: FrozenClock) -> None:
    async with running_bot(standin, db_path, clock=clock):
        callback, message = await ask_qotd(standin)
        assert callback.status == 200 and callback.json["type"] == 4  # a message now, not a defer
        data = data_of(callback)
        assert data["flags"] & EPHEMERAL
        [embed] = data["embeds"]
        assert embed["title"].startswith("Question of the day") and "**A.**" in embed["description"]
        assert embed["color"] == 0x2F80ED and embed["footer"]["text"]
        buttons = buttons_of(data)
        assert [b["label"] for b in buttons] == ["A", "B", "C", "D", "E"]
        post_id = buttons[0]["custom_id"].split(":")[2]
        assert [b["custom_id"] for b in buttons] == [f"rounds:qotd.answer:{post_id}:{x}" for x in "ABCDE"]
        assert data["allowed_mentions"] == NO_PINGS
        assert message["flags"] & EPHEMERAL and buttons_of(message) == buttons
        latency = standin.ack_latency(callback.params["interaction_id"])
        assert latency is not None and latency < 1.0


async def test_pressing_an_answer_gives_ephemeral_feedback_and_a_second_press_is_told(standin: DiscordStandIn, db_path: str, clock: FrozenClock) -> None:
    async with running_bot(standin, db_path, clock=clock) as bot:
        _, message = await ask_qotd(standin)
        first_b, second_d = buttons_of(message)[1]["custom_id"], buttons_of(message)[3]["custom_id"]

        first = await press(standin, first_b, message["id"])
        assert first.status == 200 and first.json["type"] == 4  # a new ephemeral message, not an edit of the post
        assert data_of(first)["flags"] & EPHEMERAL
        assert data_of(first)["content"].startswith("You chose **B**.\nMis-tap?")  # right or wrong comes later

        clock.advance(seconds=10)  # past the window for undoing a mis-tap
        second = await press(standin, second_d, message["id"])
        assert second.json["type"] == 4 and data_of(second)["flags"] & EPHEMERAL
        verdict = await verdict_of(bot.services, first_b)
        assert f"You already answered this one: **B**, {verdict}. Only your first answer counts." in data_of(second)["content"]
        assert standin.message(message["id"])["components"] == message["components"]  # the post is untouched
        assert _answers(db_path) == 1


async def verdict_of(services: Any, custom_id: str) -> str:
    """How feedback after the change window names an answer given with the button `custom_id`."""
    _, _, post_id, letter = custom_id.split(":")
    right = (await services.bank.get((await services.qotd.post(int(post_id))).question_id)).answer
    return "✅ correct" if letter == right else "❌ not quite"


def _answers(db_path: str) -> int:
    import sqlite3

    with sqlite3.connect(db_path) as db:
        return int(db.execute("SELECT COUNT(*) FROM answers").fetchone()[0])


async def test_a_button_still_works_after_the_bot_restarts(standin: DiscordStandIn, db_path: str, clock: FrozenClock) -> None:
    async with running_bot(standin, db_path, clock=clock):
        _, message = await ask_qotd(standin)
    # A new process: new client, new services, same database; nothing of the first run is in memory.
    async with running_bot(standin, db_path, clock=clock, sync=Sync("off")) as bot:
        custom_ids = [b["custom_id"] for b in buttons_of(message)]
        first = await press(standin, custom_ids[0], message["id"])
        assert first.status == 200 and data_of(first)["flags"] & EPHEMERAL
        assert "already" not in data_of(first)["content"] and data_of(first)["content"].startswith("You chose **A**.")
        clock.advance(seconds=10)  # past the window for undoing a mis-tap
        again = await press(standin, custom_ids[2], message["id"])
        verdict = await verdict_of(bot.services, custom_ids[0])
        assert f"You already answered this one: **A**, {verdict}. Only your first answer counts." in data_of(again)["content"]


async def test_an_unknown_rounds_button_gets_a_friendly_answer(standin: DiscordStandIn, db_path: str, clock: FrozenClock) -> None:
    async with running_bot(standin, db_path, clock=clock):
        reply = await press(standin, "rounds:gone.action:1", None)  # on a message the stand-in makes up
        assert data_of(reply)["flags"] & EPHEMERAL and "no longer in use" in data_of(reply)["content"]


# --- permissions ----------------------------------------------------------------------------------------------------

async def test_an_admin_command_is_refused_for_a_member_without_manage_server(standin: DiscordStandIn, db_path: str, clock: FrozenClock) -> None:
    async with running_bot(standin, db_path, clock=clock) as bot:
        refused = await command(standin, "rounds time", {"time": "07:30"}, user=MEMBER_USER_ID)
        assert refused.status == 200 and refused.json["type"] == 4
        assert data_of(refused)["flags"] & EPHEMERAL
        assert data_of(refused)["content"].startswith("Only community admins can use `/rounds time`")
        community = await bot.services.communities.get(COMMUNITY)
        assert f"{community.post_time:%H:%M}" == "09:00"  # nothing was written


async def test_an_admin_subcommand_works_with_manage_server_or_the_configured_role(standin: DiscordStandIn, db_path: str, clock: FrozenClock) -> None:
    async with running_bot(standin, db_path, clock=clock) as bot:
        done = await command(standin, "rounds time", {"time": "07:30"}, user=MEMBER_USER_ID,
                             member_permissions=EVERYONE_PERMISSIONS | Permission.MANAGE_GUILD)
        assert data_of(done)["flags"] & EPHEMERAL
        assert data_of(done)["content"].startswith("Posting time set to 07:30 UTC. Daily posts are off")  # no channel yet
        assert f"{(await bot.services.communities.get(COMMUNITY)).post_time:%H:%M}" == "07:30"

        bad = await command(standin, "rounds time", {"time": "25:99"}, user=ADMIN_USER_ID)
        assert data_of(bad)["flags"] & EPHEMERAL and "is not a time of day" in data_of(bad)["content"]

        # A configured admin role lets a member without Manage Server in.
        await command(standin, "rounds admin-role", {"role": MODERATOR_ROLE_ID}, user=ADMIN_USER_ID)
        by_role = await command(standin, "rounds time", {"time": "08:15"}, user=ADMIN_USER_ID,
                                member_permissions=EVERYONE_PERMISSIONS)
        assert data_of(by_role)["content"].startswith("Posting time set to 08:15 UTC.")
        no_role = await command(standin, "rounds time", {"time": "06:00"}, user=MEMBER_USER_ID)
        assert data_of(no_role)["content"].startswith("Only community admins")


# --- autocomplete ---------------------------------------------------------------------------------------------------

async def test_autocomplete_offers_the_commands_suggestions(standin: DiscordStandIn, db_path: str, clock: FrozenClock) -> None:
    async with running_bot(standin, db_path, clock=clock):
        typed = await standin.send_interaction(standin.autocomplete("rounds timezone", {"zone": "asia/kar"}, user=ADMIN_USER_ID))
        callback = await standin.wait_for_callback(typed["id"])
        assert callback.status == 200 and callback.json["type"] == 8
        assert [c["value"] for c in data_of(callback)["choices"]] == ["Asia/Karachi"]

        broad = await standin.send_interaction(standin.autocomplete("rounds timezone", {"zone": "a"}))
        choices = data_of(await standin.wait_for_callback(broad["id"]))["choices"]
        assert len(choices) == 25  # Discord's ceiling, and the stand-in would refuse more


# --- scheduled posts, mentions and rate limits ----------------------------------------------------------------------

def _wake(bot: Any) -> None:
    """The frozen clock moved: set the real APScheduler alarm for now, as the wall clock reaching it would."""
    bot.services.alarm.arm(bot.services.clock.now())


async def test_the_scheduler_posts_the_daily_question_and_the_reveal_to_the_channel(standin: DiscordStandIn, db_path: str, clock: FrozenClock) -> None:
    posts = f"/channels/{STUDY_HALL_CHANNEL_ID}/messages"
    async with running_bot(standin, db_path, clock=clock) as bot:
        await command(standin, "rounds time", {"time": "11:00"}, user=ADMIN_USER_ID)
        await command(standin, "rounds channel", {"channel": STUDY_HALL_CHANNEL_ID}, user=ADMIN_USER_ID)
        assert standin.calls_to("POST", posts) == []  # 10:00 now: not yet

        clock.set(datetime(2026, 11, 24, 11, 0, tzinfo=UTC))
        _wake(bot)
        announced = await standin.wait_for(lambda c: c.method == "POST" and c.path == posts and c.status == 200)
        body = announced.json
        assert body["allowed_mentions"] == NO_PINGS
        assert body["embeds"][0]["title"].startswith("Question of the day")
        buttons = buttons_of(body)
        assert [b["label"] for b in buttons] == list("ABCDE")

        # Members answer on the public post; feedback is private and the post is not edited.
        answered = await press(standin, buttons[4]["custom_id"], announced.response["id"])
        assert data_of(answered)["flags"] & EPHEMERAL and answered.json["type"] == 4

        clock.set(datetime(2026, 11, 24, 23, 1, tzinfo=UTC))  # 12 h later
        _wake(bot)
        revealed = await standin.wait_for(lambda c: c.method == "POST" and c.path == posts and c is not announced
                                          and c.status == 200 and bool(c.json.get("embeds")))
        assert revealed.json["embeds"][0]["title"].startswith("Answer revealed")
        assert "1 answer" in revealed.json["embeds"][0]["fields"][0]["value"]
        messages = standin.channel_messages(STUDY_HALL_CHANNEL_ID)
        # question, feedback (ephemeral), reveal, and the admins told once that the bot may not open its thread
        assert len(messages) == 3 + 1 and sum("Create Public Threads" in m["content"] for m in messages) == 1


async def test_rate_limits_are_waited_out_and_nothing_is_lost(standin: DiscordStandIn, db_path: str, clock: FrozenClock) -> None:
    posts = f"/channels/{STUDY_HALL_CHANNEL_ID}/messages"
    async with running_bot(standin, db_path, clock=clock):
        # A channel post: setting the channel after 09:00 posts today's question at once; the first try gets a 429.
        standin.rate_limit_next(posts, retry_after=0.2, method="POST")
        await command(standin, "rounds channel", {"channel": STUDY_HALL_CHANNEL_ID}, user=ADMIN_USER_ID)
        attempts = await _until(lambda: [c for c in standin.calls_to("POST", posts)  # the question's, not its thread's
                                         if "Question of the day" in str(c.json)], 2)
        assert [a.status for a in attempts] == [429, 200]
        assert attempts[1].received_at - attempts[0].received_at >= 0.19
        assert len([m for m in standin.channel_messages(STUDY_HALL_CHANNEL_ID) if m["embeds"]]) == 1

        # An interaction response: the callback itself is rate limited once and still lands within the deadline.
        payload = standin.slash_command("qotd")
        standin.rate_limit_next(f"/interactions/{payload['id']}/", retry_after=0.2, method="POST")
        await standin.send_interaction(payload)
        ok = await standin.wait_for(lambda c: c.path.startswith(f"/interactions/{payload['id']}/") and c.status == 200)
        assert [c.status for c in standin.callbacks_for(payload["id"])] == [429, 200]
        assert data_of(ok)["embeds"] and standin.ack_latency(payload["id"]) < 3


async def _until(read: Any, count: int, timeout: float = 3.0) -> list[RecordedCall]:
    deadline = asyncio.get_running_loop().time() + timeout
    while len(found := read()) < count and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.02)
    return found


async def test_user_text_can_never_ping_everyone_or_roles(standin: DiscordStandIn, db_path: str, clock: FrozenClock) -> None:
    async with running_bot(standin, db_path, clock=clock, catalog=catalog_with(LAB)):
        text = f"@everyone @here <@&{MODERATOR_ROLE_ID}> <@{ADMIN_USER_ID}> wake up"
        echoed = await command(standin, "lab echo", {"text": text})
        data = data_of(echoed)
        assert text in data["content"] and not data.get("flags", 0) & EPHEMERAL  # public, yet silent
        assert data["allowed_mentions"] == NO_PINGS  # no parse of everyone/roles/users, no explicit ids


# --- limits, deadline, errors ---------------------------------------------------------------------------------------

async def test_a_reply_over_every_limit_is_truncated_and_accepted(standin: DiscordStandIn, db_path: str, clock: FrozenClock) -> None:
    async with running_bot(standin, db_path, clock=clock, catalog=catalog_with(LAB)):
        callback = await command(standin, "lab big")
        assert callback.status == 200, callback.response  # the stand-in enforces Discord's 50035 limits
        data = data_of(callback)
        assert len(data["content"]) == 2000 and data["content"].endswith("…")
        assert len(data["embeds"]) == 10
        total = 0
        for embed in data["embeds"]:
            assert len(embed.get("fields", [])) <= 25 and len(embed.get("title", "")) <= 256
            total += len(embed.get("title", "")) + len(embed.get("description", "")) + len(embed.get("footer", {}).get("text", ""))
            total += sum(len(f["name"]) + len(f["value"]) for f in embed.get("fields", []))
        assert 5000 < total <= 6000
        rows = data["components"]
        assert len(rows) == 5 and all(len(r["components"]) == 5 for r in rows)
        assert all(len(b["label"]) <= 80 for r in rows for b in r["components"])


async def test_the_deadline_is_kept_when_the_core_is_slow(db_path: str, clock: FrozenClock) -> None:
    # Discord's 3 s and our 2 s are scaled down 5x so the test stays fast; the mechanism is the same.
    async with DiscordStandIn(ack_deadline=0.6) as standin:
        with standin.patch_discord():
            async with running_bot(standin, db_path, clock=clock, defer_after=0.2) as bot:
                today = bot.services.qotd.today

                async def slow_today(*args: Any) -> Any:  # slowness injected through the composition root
                    await asyncio.sleep(1.0)
                    return await today(*args)

                bot.services.qotd.today = slow_today  # type: ignore[method-assign]
                sent = await standin.send_interaction(standin.slash_command("qotd"))
                deferred = await standin.wait_for_callback(sent["id"])
                assert deferred.status == 200 and deferred.json["type"] == 5  # deferred, within the deadline
                assert data_of(deferred)["flags"] & EPHEMERAL
                assert standin.ack_latency(sent["id"]) < 0.6

                edit = await standin.wait_for(lambda c: c.method == "PATCH" and c.path.endswith("/messages/@original"))
                assert edit.status == 200 and edit.json["embeds"][0]["title"].startswith("Question of the day")
                assert [b["label"] for b in buttons_of(edit.json)] == list("ABCDE")
                message = standin.message(edit.response["id"])
                assert message["flags"] & EPHEMERAL and not message["flags"] & LOADING


async def test_time_an_interaction_spent_queued_counts_against_the_deadline(standin: DiscordStandIn, db_path: str, clock: FrozenClock) -> None:
    async with running_bot(standin, db_path, clock=clock, defer_after=0.5) as bot:
        today = bot.services.qotd.today

        async def slow_today(*args: Any) -> Any:
            await asyncio.sleep(0.8)
            return await today(*args)

        bot.services.qotd.today = slow_today  # type: ignore[method-assign]
        payload = standin.slash_command("qotd")  # Discord created it now (its snowflake says so)...
        await asyncio.sleep(0.35)  # ...but it reaches the bot late, as from a backed-up gateway
        await standin.send_interaction(payload)
        deferred = await standin.wait_for_callback(payload["id"])
        assert deferred.json["type"] == 5
        assert standin.ack_latency(payload["id"]) < 0.4  # deferred after ~0.15 s, not a full 0.5 s after receipt
        await standin.wait_for(lambda c: c.method == "PATCH" and c.path.endswith("/messages/@original"))


async def test_a_slow_public_reply_is_posted_publicly_after_the_ephemeral_defer(db_path: str, clock: FrozenClock,
                                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lab, "SLOW_SECONDS", 0.5)
    async with DiscordStandIn(ack_deadline=0.6) as standin:
        with standin.patch_discord():
            async with running_bot(standin, db_path, clock=clock, catalog=catalog_with(LAB), defer_after=0.1):
                sent = await standin.send_interaction(standin.slash_command("lab slow"))
                token_path = f"/webhooks/{standin.application_id}/{sent['token']}"
                standin.rate_limit_next(token_path, retry_after=0.1, method="POST")  # and the follow-up hits a 429
                assert (await standin.wait_for_callback(sent["id"])).json["type"] == 5
                posted = await standin.wait_for(lambda c: c.method == "POST" and c.path == token_path and c.status == 200)
                assert posted.json["content"] == "Posted for everyone after a slow start"
                assert not posted.json.get("flags", 0) & EPHEMERAL and posted.json["allowed_mentions"] == NO_PINGS
                calls = [(c.method, c.status) for c in standin.webhook_calls_for(sent["id"])]
                assert calls == [("DELETE", 204), ("POST", 429), ("POST", 200)]
                contents = [m["content"] for m in standin.channel_messages(GENERAL_CHANNEL_ID)]
                assert contents == ["Posted for everyone after a slow start"]  # the placeholder is gone


async def test_a_real_failure_is_logged_and_answered_without_internals(standin: DiscordStandIn, db_path: str, clock: FrozenClock,
                                                                       caplog: pytest.LogCaptureFixture) -> None:
    async with running_bot(standin, db_path, clock=clock):
        payload = standin.slash_command("qotd")
        problem = {"message": "Invalid Form Body", "code": 50035, "errors": {"secret": "internal detail"}}
        standin.fail_next(f"/interactions/{payload['id']}/", 400, problem, method="POST")
        with caplog.at_level(logging.ERROR, logger="bots.discord.client"):
            await standin.send_interaction(payload)
            answered = await standin.wait_for(lambda c: c.path.startswith(f"/interactions/{payload['id']}/") and c.status == 200)
        assert data_of(answered)["content"] == INTERNAL_ERROR and data_of(answered)["flags"] & EPHEMERAL
        assert "internal detail" not in data_of(answered)["content"]
        assert any("failed" in r.getMessage() and r.exc_info for r in caplog.records)


# --- the process: `rounds discord` ----------------------------------------------------------------------------------

def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DISCORD_")}
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


async def test_rounds_discord_as_a_separate_process_serves_qotd(tmp_path: Path) -> None:
    async with DiscordStandIn() as standin:
        env = _env(DISCORD_TOKEN=standin.token or "", DISCORD_API_BASE_URL=standin.rest_base,
                   DISCORD_GATEWAY_URL=standin.gateway_url, DISCORD_SYNC="off", ROUNDS_DB=str(tmp_path / "rounds.db"),
                   ROUNDS_LOG_LEVEL="DEBUG")  # the level at which discord.py logs the URLs it calls
        with open(tmp_path / "bot.log", "wb") as log_file:
            proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "bots.cli", "discord", cwd=ROOT, env=env,
                                                        stdout=asyncio.subprocess.DEVNULL, stderr=log_file)
            try:
                await standin.wait_until_connected(timeout=8)
                callback, message = await ask_qotd(standin)
                assert callback.status == 200 and callback.json["type"] == 4
                assert data_of(callback)["flags"] & EPHEMERAL
                assert data_of(callback)["embeds"][0]["title"].startswith("Question of the day")
                assert [b["label"] for b in buttons_of(message)] == list("ABCDE")
                answered = await press(standin, buttons_of(message)[0]["custom_id"], message["id"])
                assert data_of(answered)["flags"] & EPHEMERAL

                proc.send_signal(signal.SIGTERM)
                assert await asyncio.wait_for(proc.wait(), timeout=5) == 0
            finally:
                if proc.returncode is None:
                    proc.kill()
                    await proc.wait()
        assert standin.unknown_calls == []
        log = (tmp_path / "bot.log").read_text()
        assert "Traceback" not in log
        interaction_token = callback.path.split("/")[3]  # /interactions/{id}/{token}/callback
        assert "/interactions/" in log and "(redacted)" in log  # DEBUG did log the calls …
        assert interaction_token not in log and (standin.token or "?") not in log  # … with no token in them


async def test_rounds_discord_without_a_token_exits_2_naming_the_variable(tmp_path: Path) -> None:
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "bots.cli", "discord", cwd=ROOT,
                                                env=_env(ROUNDS_DB=str(tmp_path / "r.db")),
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    _, err = await asyncio.wait_for(proc.communicate(), timeout=10)
    assert proc.returncode == 2
    lines = err.decode().strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("DISCORD_TOKEN is not set")


def test_a_bad_sync_setting_exits_2_with_what_to_write(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_discord(None, env={"DISCORD_TOKEN": "x", "DISCORD_SYNC": "everywhere"}) == 2
    assert "DISCORD_SYNC must be global, guild:<server id> or off" in capsys.readouterr().err
    assert Sync.parse("guild:123") == Sync("guild", 123) and Sync.parse(None) == Sync("global")


async def test_guild_sync_registers_the_commands_in_that_server(standin: DiscordStandIn, db_path: str, clock: FrozenClock) -> None:
    async with running_bot(standin, db_path, clock=clock, sync=Sync("guild", GUILD_ID)):
        assert standin.registered_commands() == []
        assert "qotd" in {c["name"] for c in standin.registered_commands(GUILD_ID)}
        callback, _ = await ask_qotd(standin)  # the guild copy is found and answered
        assert callback.status == 200 and data_of(callback)["embeds"]



async def test_a_console_and_the_discord_bot_on_one_database_each_post_their_own_community(
        standin: DiscordStandIn, db_path: str, clock: FrozenClock) -> None:
    """The console used to claim a Discord community's daily post and print it, so the Discord channel never got it."""
    import io

    from bots.console.run import run_console
    from core.bootstrap import build
    from core.settings import Settings

    clock.set(datetime(2026, 11, 24, 8, 0, tzinfo=UTC))
    setup = await build(Settings(db_path=db_path), clock=clock)
    for community_id, channel in ((COMMUNITY, STUDY_HALL_CHANNEL_ID), ("console:default", "general")):
        await setup.communities.update(await setup.communities.get(community_id), channel_id=channel)
    await setup.close()
    clock.set(datetime(2026, 11, 24, 9, 0, tzinfo=UTC))  # both posts are due

    out = io.StringIO()
    with pytest.MonkeyPatch.context() as env:
        env.setenv("ROUNDS_DB", db_path)
        await run_console("alice", "default", False, stdin=io.StringIO("/qotd-stats\n"), out=out, clock=clock)
    assert out.getvalue().count("📣 posted in #") == 1 and "📣 posted in #general" in out.getvalue()

    posts = f"/channels/{STUDY_HALL_CHANNEL_ID}/messages"
    async with running_bot(standin, db_path, clock=clock):
        await standin.wait_for(lambda c: c.method == "POST" and c.path == posts and c.status == 200)
        await asyncio.sleep(0.2)  # a second post, if there were one, would be on its way
    questions = [c for c in standin.calls_to("POST", posts) if "Question of the day" in str(c.json)]
    assert len(questions) == 1  # beside it only the refused thread and the admins' notice about it


async def _settings_row(db_path: str) -> tuple[Any, Any]:
    import sqlite3

    with sqlite3.connect(db_path) as conn:
        row = conn.execute("SELECT channel_id, admin_role FROM communities WHERE id = ?", (COMMUNITY,)).fetchone()
    return tuple(row) if row else (None, None)


@pytest.mark.parametrize("name, options, says", [
    ("rounds channel", {"channel": STUDY_ROOM_VOICE_ID}, "text or announcement channel"),  # a voice channel
    ("rounds channel", {"channel": 1200000000000009999}, "can't see that channel"),  # not in the guild
    ("rounds admin-role", {"role": GUILD_ID}, "@everyone can't be the admin role"),  # @everyone's id is the guild's
    ("rounds channel", [{"name": "channel", "type": 7, "value": "general"}], "cannot use here"),  # not an id at all
    ("rounds admin-role", [{"name": "role", "type": 8, "value": "<@&1>"}], "cannot use here"),
])
async def test_unusable_channel_and_role_options_are_refused_and_not_stored(
        standin: DiscordStandIn, db_path: str, clock: FrozenClock, name: str, options: Any, says: str) -> None:
    async with running_bot(standin, db_path, clock=clock):
        answered = await command(standin, name, options, user=ADMIN_USER_ID)
        assert answered.status == 200 and data_of(answered)["flags"] & EPHEMERAL
        assert says in data_of(answered)["content"]
    assert await _settings_row(db_path) == (None, None)


async def test_rounds_discord_with_no_network_exits_1_with_one_line(tmp_path: Path) -> None:
    import socket

    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = _env(DISCORD_TOKEN="abc", DISCORD_API_BASE_URL=f"http://127.0.0.1:{port}/api/v10",
               ROUNDS_DB=str(tmp_path / "rounds.db"))
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "bots.cli", "discord", cwd=ROOT, env=env,
                                                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    _, err = await asyncio.wait_for(proc.communicate(), timeout=20)
    text = err.decode()
    assert proc.returncode == 1 and "Discord could not be reached" in text and "Traceback" not in text
