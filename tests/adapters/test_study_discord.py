"""Study sessions through the real discord.py code paths, against the Discord stand-in: `/study new` shows its time
as Discord timestamp markup, and its duties post the card, open a thread on it, and keep a Guild Scheduled Event
in step (created, moved by an edit, cancelled). Without Manage Events the session works as before and the admins
are told once why no event appears."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from core.clock import FrozenClock
from testkit.discord_harness import running_bot
from testkit.standins.discord_standin import GENERAL_CHANNEL_ID, GUILD_ID, DiscordStandIn, Permission, RecordedCall
from tests.adapters.test_discord_adapter import command

EVENTS = f"/guilds/{GUILD_ID}/scheduled-events"
START = datetime(2026, 11, 24, 20, 0, tzinfo=UTC)  # "tue 8pm" on the shared clock's Tuesday (10:00 UTC)
MOVED = datetime(2026, 11, 25, 19, 0, tzinfo=UTC)


@pytest.fixture
async def standin(clock: FrozenClock) -> AsyncIterator[DiscordStandIn]:
    """A stand-in on the test's clock: Discord refuses an event that starts in its past."""
    async with DiscordStandIn(allowed_privileged_intents=0, clock=clock.now) as api:
        with api.patch_discord():
            yield api


def stamp(at: datetime) -> int:
    return int(at.timestamp())


def is_card(call: RecordedCall) -> bool:
    return (call.method == "POST" and call.path == f"/channels/{GENERAL_CHANNEL_ID}/messages" and call.status == 200
            and "📅 #" in str(call.json))


async def test_a_session_is_a_scheduled_event_kept_in_step_and_has_its_own_thread(standin: DiscordStandIn,
                                                                                  db_path: str,
                                                                                  clock: FrozenClock) -> None:
    await standin.grant_bot(Permission.MANAGE_EVENTS | Permission.CREATE_PUBLIC_THREADS)
    async with running_bot(standin, db_path, clock=clock):
        made = await command(standin, "study new", {"topic": "Cardio review", "when": "tue 8pm"},
                             channel_id=GENERAL_CHANNEL_ID)
        data = made.json["data"]
        assert data["flags"] & 64  # private to the author
        assert f"<t:{stamp(START)}:F>" in str(data["embeds"]) and f"<t:{stamp(START)}:R>" in str(data["embeds"])
        card = await standin.wait_for(is_card)
        created = await standin.wait_for(lambda c: c.method == "POST" and c.path == EVENTS and c.status == 200)
        assert created.json["entity_type"] == 3 and created.json["name"] == "#1 Cardio review"
        [event] = list(standin.scheduled_events.values())
        assert datetime.fromisoformat(event["scheduled_start_time"]) == START
        assert datetime.fromisoformat(event["scheduled_end_time"]) == START.replace(hour=21)
        await standin.wait_for(lambda c: c.method == "POST" and c.path.endswith(f"/messages/{card.response['id']}/threads"))

        await command(standin, "study edit", {"id": 1, "when": "wed 7pm"}, channel_id=GENERAL_CHANNEL_ID)
        await standin.wait_for(lambda c: c.method == "PATCH" and c.path == f"{EVENTS}/{event['id']}" and c.status == 200)
        assert datetime.fromisoformat(standin.scheduled_events[event["id"]]["scheduled_start_time"]) == MOVED

        await command(standin, "study cancel", {"id": 1}, channel_id=GENERAL_CHANNEL_ID)
        await standin.wait_for(lambda c: c.method == "PATCH" and c.path == f"{EVENTS}/{event['id']}"
                               and (c.json or {}).get("status") == 4)
        assert len(standin.scheduled_events) + len(standin.deleted_events) == 1  # one event, never a second


async def test_without_manage_events_the_session_works_and_the_admins_are_told_once(standin: DiscordStandIn,
                                                                                   db_path: str,
                                                                                   clock: FrozenClock) -> None:
    await standin.revoke_bot(Permission.MANAGE_EVENTS | Permission.CREATE_EVENTS)
    async with running_bot(standin, db_path, clock=clock) as bot:
        for topic in ("Renal", "Neuro"):
            await command(standin, "study new", {"topic": topic, "when": "tue 8pm"}, channel_id=GENERAL_CHANNEL_ID)
        told = await standin.wait_for(lambda c: c.method == "POST" and "Manage Events" in str(c.json))
        assert "For this server's admins" in told.json["content"]
        for number in (1, 2):
            session = await bot.services.sessions.find(f"discord:{GUILD_ID}", number)
            assert session.topic in ("Renal", "Neuro")
        await standin.wait_for(lambda c: is_card(c) and "Neuro" in str(c.json))
        assert standin.scheduled_events == {}
        notices = [c for c in standin.calls if c.method == "POST" and "Manage Events" in str(c.json)]
        assert len(notices) == 1
