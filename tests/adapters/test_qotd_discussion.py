"""The daily question's discussion, through the real SDKs against the stand-ins: on Discord a thread on the post,
named for its day and system and opened with a first message (when the bot may create threads; else the admins are
told once and the question stands alone); on Slack the post's own thread. Why: a channel full of answers spoils the
question for those still thinking, and members should not have to open a thread themselves."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from core.clock import FrozenClock
from testkit.discord_harness import running_bot
from testkit.standins.discord_standin import ADMIN_USER_ID, STUDY_HALL_CHANNEL_ID, DiscordStandIn, Permission
from tests.adapters.test_discord_adapter import command

POSTS = f"/channels/{STUDY_HALL_CHANNEL_ID}/messages"


@pytest.fixture
async def standin() -> AsyncIterator[DiscordStandIn]:
    async with DiscordStandIn(allowed_privileged_intents=0) as api:
        with api.patch_discord():
            yield api


async def post_today(standin: DiscordStandIn) -> str:
    """The channel set after 09:00: today's question is posted at once; its message id."""
    await command(standin, "rounds channel", {"channel": STUDY_HALL_CHANNEL_ID}, user=ADMIN_USER_ID)
    posted = await standin.wait_for(lambda c: c.method == "POST" and c.path == POSTS and c.status == 200
                                    and "Question of the day" in str(c.json))
    return str(posted.response["id"])


async def test_the_daily_post_gets_a_discussion_thread_with_a_first_message(standin: DiscordStandIn, db_path: str,
                                                                            clock: FrozenClock) -> None:
    await standin.grant_bot(Permission.CREATE_PUBLIC_THREADS)
    async with running_bot(standin, db_path, clock=clock):
        message_id = await post_today(standin)
        opened = await standin.wait_for(lambda c: c.method == "POST" and c.path == f"{POSTS}/{message_id}/threads")
        assert opened.status in (200, 201) and opened.json["name"].startswith("QOTD Tue 24 Nov · ")
        first = await standin.wait_for(lambda c: c.method == "POST" and c.path == f"/channels/{message_id}/messages")
        assert first.status == 200 and first.json["content"].startswith("💬 Discuss today's question here")
        # posted at once at 10:00, revealed 12 hours later
        assert f"<t:{int(datetime(2026, 11, 24, 22, 0, tzinfo=UTC).timestamp())}:t>" in first.json["content"]
        channel = standin.channel_messages(STUDY_HALL_CHANNEL_ID)
        assert len(channel) == 1 and "Create Public Threads" not in str(channel)  # no notice: nothing is missing


async def test_without_create_public_threads_the_question_stands_alone_and_admins_are_told_once(
        standin: DiscordStandIn, db_path: str, clock: FrozenClock) -> None:
    await standin.revoke_bot(Permission.CREATE_PUBLIC_THREADS)
    async with running_bot(standin, db_path, clock=clock):
        await post_today(standin)
        told = await standin.wait_for(lambda c: c.method == "POST" and c.path == POSTS
                                      and "Create Public Threads" in str(c.json))
        assert "For this server's admins" in told.json["content"] and "discussion thread" in told.json["content"]
        assert standin.threads == {}
        questions = [m for m in standin.channel_messages(STUDY_HALL_CHANNEL_ID) if m["embeds"]]
        assert len(questions) == 1 and questions[0]["embeds"][0]["title"].startswith("Question of the day")
