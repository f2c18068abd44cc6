"""The stand-in support study sessions need, proved through the real discord.py and slack_sdk code paths.

Why: the sessions capability keeps a Discord Guild Scheduled Event in step with each session, opens a thread on
the session's message, and writes Slack ``<!date…>`` tokens. Before an adapter test trusts the stand-ins for that,
they must be shown to answer as Discord and Slack do: 403 ``50013`` without the permission, edits kept, bad
fields and malformed date tokens refused, good ones accepted.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import discord
import pytest
import pytest_asyncio
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from testkit.standins.discord_standin import (
    GENERAL_CHANNEL_ID,
    GUILD_ID,
    DiscordStandIn,
    Permission,
    client_running,
)
from testkit.standins.slack_standin import DEFAULT_CHANNEL_ID, SlackStandIn

#: The stand-in's clock in these tests: a fixed instant, so no test depends on today's date.
NOW = dt.datetime(2026, 12, 8, 12, 0, tzinfo=dt.UTC)
START = NOW + dt.timedelta(days=1)


class Bot(discord.Client):
    def __init__(self) -> None:
        super().__init__(intents=discord.Intents.default(), guild_ready_timeout=0.05)
        self.ready_event = asyncio.Event()

    async def on_ready(self) -> None:
        self.ready_event.set()


@pytest_asyncio.fixture
async def discord_api() -> AsyncIterator[DiscordStandIn]:
    async with DiscordStandIn(clock=lambda: NOW) as api:
        with api.patch_discord():
            yield api


@pytest_asyncio.fixture
async def bot(discord_api: DiscordStandIn) -> AsyncIterator[Bot]:
    async with client_running(Bot(), discord_api) as client:
        yield client


def guild_of(bot: Bot) -> discord.Guild:
    guild = bot.get_guild(GUILD_ID)
    assert guild is not None
    return guild


async def create_event(guild: discord.Guild, **overrides: Any) -> discord.ScheduledEvent:
    fields: dict[str, Any] = {
        "name": "UWorld block 12", "description": "Cardio, timed", "start_time": START,
        "end_time": START + dt.timedelta(hours=2), "entity_type": discord.EntityType.external,
        "privacy_level": discord.PrivacyLevel.guild_only, "location": "Rounds #general",
    }
    return await guild.create_scheduled_event(**{**fields, **overrides})


# --------------------------------------------------------------------------------------- Discord scheduled events


async def test_without_manage_events_creating_an_event_is_refused_with_50013(discord_api: DiscordStandIn, bot: Bot) -> None:
    with pytest.raises(discord.Forbidden) as refused:
        await create_event(guild_of(bot))
    assert refused.value.code == 50013
    assert discord_api.scheduled_events == {} and discord_api.event_log == []


async def test_granted_manage_events_an_external_event_is_created_edited_cancelled_and_deleted(
    discord_api: DiscordStandIn, bot: Bot,
) -> None:
    await discord_api.grant_bot(Permission.MANAGE_EVENTS)
    guild = guild_of(bot)
    await asyncio.wait_for(_until(lambda: guild.me.guild_permissions.manage_events), 5)  # GUILD_ROLE_UPDATE arrived

    event = await create_event(guild)
    assert event.status is discord.EventStatus.scheduled and event.location == "Rounds #general"
    assert event.start_time == START and event.end_time == START + dt.timedelta(hours=2)
    sent = discord_api.calls_to("POST", f"/guilds/{GUILD_ID}/scheduled-events")[-1].json
    # What discord.py 2.7 sends (ISO-8601 with offset, metadata.location, the enum values):
    assert sent == {"name": "UWorld block 12", "description": "Cardio, timed",
                    "scheduled_start_time": START.isoformat(),
                    "scheduled_end_time": (START + dt.timedelta(hours=2)).isoformat(),
                    "entity_type": 3, "privacy_level": 2, "entity_metadata": {"location": "Rounds #general"}}

    later = START + dt.timedelta(hours=1)
    edited = await event.edit(name="UWorld block 13", start_time=later, end_time=later + dt.timedelta(hours=2))
    assert edited.name == "UWorld block 13" and edited.start_time == later
    fetched = await guild.fetch_scheduled_event(event.id)
    assert fetched.name == "UWorld block 13" and fetched.location == "Rounds #general"

    cancelled = await fetched.cancel()
    assert cancelled.status is discord.EventStatus.cancelled
    assert discord_api.scheduled_events[str(event.id)]["status"] == 4
    with pytest.raises(discord.HTTPException) as again:  # a cancelled event cannot come back
        await event.edit(status=discord.EventStatus.scheduled)
    assert again.value.code == 50035

    await fetched.delete()
    assert str(event.id) not in discord_api.scheduled_events and str(event.id) in discord_api.deleted_events
    assert [action for action, *_ in discord_api.event_log] == ["create", "edit", "edit", "delete"]
    assert discord_api.event_log[2][2]["status"] == 4
    with pytest.raises(discord.NotFound):
        await guild.fetch_scheduled_event(event.id)


async def test_revoking_manage_events_refuses_edit_and_delete_of_an_event_another_member_made(
    discord_api: DiscordStandIn, bot: Bot,
) -> None:
    await discord_api.grant_bot(Permission.MANAGE_EVENTS)
    event = await create_event(guild_of(bot))
    discord_api.scheduled_events[str(event.id)]["creator_id"] = "42"  # as if an admin had made it
    await discord_api.revoke_bot(Permission.MANAGE_EVENTS)
    with pytest.raises(discord.Forbidden) as refused:
        await event.edit(name="renamed")
    assert refused.value.code == 50013
    with pytest.raises(discord.Forbidden):
        await event.delete()
    assert discord_api.scheduled_events[str(event.id)]["name"] == "UWorld block 12"
    assert [action for action, *_ in discord_api.event_log] == ["create"]


async def test_create_events_alone_lets_the_bot_manage_its_own_events(discord_api: DiscordStandIn, bot: Bot) -> None:
    await discord_api.grant_bot(Permission.CREATE_EVENTS)
    event = await create_event(guild_of(bot))
    assert (await event.edit(description="moved online")).description == "moved online"


@pytest.mark.parametrize(("overrides", "field"), [
    ({"name": "x" * 101}, "name"),
    ({"description": "d" * 1001}, "description"),
    ({"end_time": START - dt.timedelta(minutes=1)}, "scheduled_end_time"),
    ({"start_time": NOW - dt.timedelta(minutes=1)}, "scheduled_start_time"),
    ({"location": "L" * 101}, "entity_metadata.location"),
])
async def test_an_event_discord_would_refuse_gets_50035_naming_the_field(
    discord_api: DiscordStandIn, bot: Bot, overrides: dict[str, Any], field: str,
) -> None:
    await discord_api.grant_bot(Permission.MANAGE_EVENTS)
    with pytest.raises(discord.HTTPException) as refused:
        await create_event(guild_of(bot), **overrides)
    assert refused.value.status == 400 and refused.value.code == 50035
    errors = discord_api.calls[-1].response["errors"]
    for key in field.split("."):  # Discord nests a dotted field: {"entity_metadata": {"location": {...}}}
        errors = errors[key]
    assert errors["_errors"][0]["message"]
    assert discord_api.scheduled_events == {}


async def test_discord_py_sends_no_entity_type_unless_told_and_discord_requires_it(
    discord_api: DiscordStandIn, bot: Bot,
) -> None:
    """discord.py infers EXTERNAL from ``location`` but leaves ``entity_type`` out of the body: pass it."""
    await discord_api.grant_bot(Permission.MANAGE_EVENTS)
    with pytest.raises(discord.HTTPException) as refused:
        await guild_of(bot).create_scheduled_event(
            name="Mock OET", start_time=START, end_time=START + dt.timedelta(hours=1),
            privacy_level=discord.PrivacyLevel.guild_only, location="Zoom")
    assert "entity_type" not in discord_api.calls[-1].json
    assert "entity_type" in discord_api.calls[-1].response["errors"] and refused.value.code == 50035


# ----------------------------------------------------------------------------------------------- Discord threads


async def test_a_thread_on_a_message_needs_create_public_threads_then_takes_messages(
    discord_api: DiscordStandIn, bot: Bot,
) -> None:
    channel = bot.get_channel(GENERAL_CHANNEL_ID)
    assert isinstance(channel, discord.TextChannel)
    message = await channel.send("Session #3: UWorld block 12")
    with pytest.raises(discord.Forbidden) as refused:
        await message.create_thread(name="Session #3")
    assert refused.value.code == 50013 and discord_api.threads == {}

    await discord_api.grant_bot(Permission.CREATE_PUBLIC_THREADS)
    thread = await message.create_thread(name="Session #3")
    assert thread.id == message.id and thread.parent_id == GENERAL_CHANNEL_ID and thread.name == "Session #3"
    assert discord_api.calls[-1].json == {"name": "Session #3", "auto_archive_duration": 1440,
                                          "rate_limit_per_user": None}
    posted = await thread.send("Starting in 15 minutes")
    assert posted.channel.id == thread.id
    assert [m["content"] for m in discord_api.thread_messages(thread.id)] == ["Starting in 15 minutes"]
    assert discord_api.message(message.id)["thread"]["id"] == str(thread.id)

    with pytest.raises(discord.HTTPException) as twice:
        await message.create_thread(name="again")
    assert twice.value.code == 160004


async def _until(condition: Any) -> None:
    while not condition():
        await asyncio.sleep(0.01)


# ------------------------------------------------------------------------------------------ Slack dates, threads


@pytest_asyncio.fixture
async def slack() -> AsyncIterator[AsyncWebClient]:
    async with SlackStandIn() as standin:
        client = AsyncWebClient(token="xoxb-standin-bot-token", base_url=standin.api_url)
        client.standin = standin  # type: ignore[attr-defined]
        yield client


UNIX = int(START.timestamp())
GOOD = f"<!date^{UNIX}^{{date_long_pretty}} {{time}}|Wednesday 9 December, 12:00 UTC>"


def section(text: str) -> list[dict[str, Any]]:
    return [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]


async def test_a_well_formed_date_token_is_accepted_in_text_blocks_and_updates(slack: AsyncWebClient) -> None:
    linked = f"<!date^{UNIX}^{{date_short_pretty}} at {{time_secs}}^https://example.org/s/3|9 Dec>"
    posted = await slack.chat_postMessage(channel=DEFAULT_CHANNEL_ID, text=f"Session #3 {GOOD}",
                                          blocks=section(f"Starts {GOOD} ({linked})"))
    assert posted["ok"]
    updated = await slack.chat_update(channel=DEFAULT_CHANNEL_ID, ts=posted["ts"], text=GOOD,
                                      blocks=[{"type": "context", "elements": [{"type": "mrkdwn", "text": GOOD}]}])
    assert updated["ok"]


@pytest.mark.parametrize("token", [
    f"<!date^{UNIX}.5^{{date}}|fallback>",          # not integer seconds
    "<!date^tomorrow^{date}|fallback>",              # not a number at all
    f"<!date^{UNIX}^{{date_longest}}|fallback>",     # unknown format token
    f"<!date^{UNIX}^at noon|fallback>",              # no format token
    f"<!date^{UNIX}^{{date_long_pretty}}>",          # no fallback
    f"<!date^{UNIX}^{{date}}|>",                     # empty fallback
    f"<!date^{UNIX}^{{date}}^javascript:alert(1)|x>",  # link not http(s)
    f"<!date^{UNIX}|fallback>",                      # no format at all
])
async def test_a_malformed_date_token_is_refused(slack: AsyncWebClient, token: str) -> None:
    with pytest.raises(SlackApiError) as in_blocks:
        await slack.chat_postMessage(channel=DEFAULT_CHANNEL_ID, text="Session #3", blocks=section(f"Starts {token}"))
    assert in_blocks.value.response["error"] == "invalid_blocks"
    assert "/blocks/0/text/text" in in_blocks.value.response["errors"][0]
    with pytest.raises(SlackApiError) as in_text:
        await slack.chat_postMessage(channel=DEFAULT_CHANNEL_ID, text=f"Session #3 starts {token}")
    assert in_text.value.response["error"] == "invalid_arguments"
    assert slack.standin.channel_messages(DEFAULT_CHANNEL_ID) == []  # type: ignore[attr-defined]


async def test_a_malformed_date_token_in_an_update_is_refused_and_the_message_kept(slack: AsyncWebClient) -> None:
    posted = await slack.chat_postMessage(channel=DEFAULT_CHANNEL_ID, text=GOOD)
    with pytest.raises(SlackApiError) as refused:
        await slack.chat_update(channel=DEFAULT_CHANNEL_ID, ts=posted["ts"], text="x",
                                blocks=section(f"<!date^{UNIX}^{{when}}|x>"))
    assert refused.value.response["error"] == "invalid_blocks"
    assert slack.standin.channel_messages(DEFAULT_CHANNEL_ID)[0]["text"] == GOOD  # type: ignore[attr-defined]


async def test_thread_ts_posts_a_reply_in_the_messages_thread(slack: AsyncWebClient) -> None:
    standin: SlackStandIn = slack.standin  # type: ignore[attr-defined]
    parent = await slack.chat_postMessage(channel=DEFAULT_CHANNEL_ID, text="Session #3")
    first = await slack.chat_postMessage(channel=DEFAULT_CHANNEL_ID, text="Reminder", thread_ts=parent["ts"])
    # A thread_ts naming a reply means that reply's thread, as on Slack.
    second = await slack.chat_postMessage(channel=DEFAULT_CHANNEL_ID, text="Starting now", thread_ts=first["ts"])
    assert second["message"]["thread_ts"] == parent["ts"]
    replies = standin.thread_replies(DEFAULT_CHANNEL_ID, parent["ts"])
    assert [m["text"] for m in replies] == ["Reminder", "Starting now"]
    root = standin.channel_messages(DEFAULT_CHANNEL_ID)[0]
    assert root["reply_count"] == 2 and root["latest_reply"] == second["ts"]
    history = await slack.conversations_history(channel=DEFAULT_CHANNEL_ID)
    assert [m["text"] for m in history["messages"]] == ["Session #3"]  # replies stay in the thread
