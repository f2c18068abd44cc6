"""A duty's message kept up to date in place: `post` answers with the message's id and `edit` changes that message.

Discord and Slack are driven through the real discord.py and slack_sdk against the stand-ins on 127.0.0.1, whose
message stores show what a channel holds afterwards: one message with the new content, never a second one. A
message deleted meanwhile (or a channel gone, or one the bot lost) is refused the way each platform refuses it, and
must become `Undeliverable` so the caller posts a fresh one; a server failure must not. The console prints the
message again, marked as updated; the collecting notifier keeps the edit for tests.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import timedelta

import discord
import pytest
from slack_sdk.errors import SlackApiError

from bots.console.notifier import ConsoleNotifier
from bots.discord.notifier import DiscordNotifier
from bots.slack.app import SlackConfig, web_client
from bots.slack.notifier import SlackNotifier
from commands.notifier import CollectingNotifier, post_once
from commands.replies import Button, Card, Field, Image, Reply
from core.clock import FrozenClock
from core.engine.duties import Duty
from core.engine.errors import Undeliverable
from testkit.images import tiny_png
from testkit.standins.discord_standin import GENERAL_CHANNEL_ID, STUDY_HALL_CHANNEL_ID, DiscordStandIn
from testkit.standins.slack_standin import DEFAULT_CHANNEL_ID, SlackChannel, SlackStandIn

PNG = tiny_png(4, 3)
BOARD_KEY = "board.refresh:discord:1200000000000000100|2026-W48"


def board(*rows: tuple[str, int], buttons: bool = True) -> Reply:
    """A live leaderboard: a card of one field per member, and a button to refresh it."""
    fields = tuple(Field(name, str(points), inline=False) for name, points in rows)
    return Reply(text="This week's leaderboard", cards=(Card("Week 48", "Correct answers", fields),),
                 buttons=(Button("Refresh", "board", ("refresh",)),) if buttons else ())


FIRST = board(("ada", 3), ("bob", 1))
LATER = board(("bob", 5), ("ada", 4), ("cleo", 2))


def duty(attempts: int, clock: FrozenClock) -> Duty:
    return Duty(id=1, kind="board.refresh", key="discord:1200000000000000100|2026-W48",
                scope="discord:1200000000000000100", platform="discord", due_at=clock.now(), payload={},
                attempts=attempts)


# --- Discord -------------------------------------------------------------------------------------------------------


@pytest.fixture
async def discord_api() -> AsyncIterator[DiscordStandIn]:
    async with DiscordStandIn() as api:
        with api.patch_discord():
            yield api


@pytest.fixture
async def client(discord_api: DiscordStandIn) -> AsyncIterator[discord.Client]:
    bot = discord.Client(intents=discord.Intents.none())
    await bot.login(discord_api.token or "any-token")
    try:
        yield bot
    finally:
        await bot.close()


@pytest.fixture
def on_discord(client: discord.Client) -> DiscordNotifier:
    return DiscordNotifier(client)


async def test_a_discord_post_returns_the_id_of_the_message_it_made(discord_api: DiscordStandIn,
                                                                    on_discord: DiscordNotifier) -> None:
    message_id = await on_discord.post(str(GENERAL_CHANNEL_ID), FIRST)
    [message] = discord_api.channel_messages(GENERAL_CHANNEL_ID)
    assert message_id == message["id"] and message["content"] == "This week's leaderboard"


async def test_a_discord_edit_changes_the_same_message(discord_api: DiscordStandIn,
                                                       on_discord: DiscordNotifier) -> None:
    message_id = await on_discord.post(str(GENERAL_CHANNEL_ID), FIRST)
    assert message_id is not None
    await on_discord.edit(str(GENERAL_CHANNEL_ID), message_id, LATER)

    [edit] = discord_api.calls_to("PATCH", "/channels/")
    assert edit.path == f"/channels/{GENERAL_CHANNEL_ID}/messages/{message_id}" and edit.status == 200
    [message] = discord_api.channel_messages(GENERAL_CHANNEL_ID)  # no second message
    assert message["id"] == message_id and message["edited_timestamp"] is not None
    assert message["content"] == "This week's leaderboard"
    [embed] = message["embeds"]
    assert [(f["name"], f["value"]) for f in embed["fields"]] == [("bob", "5"), ("ada", "4"), ("cleo", "2")]
    [row] = message["components"]
    assert [b["custom_id"] for b in row["components"]] == ["rounds:board:refresh"]
    assert len([c for c in discord_api.calls_to("POST", "/channels/") if c.path.endswith("/messages")]) == 1


async def test_a_discord_edit_replaces_everything_the_new_reply_has_not(discord_api: DiscordStandIn,
                                                                        on_discord: DiscordNotifier) -> None:
    """Buttons and an image the new reply lacks are taken off: the message reads as the new reply alone."""
    message_id = await on_discord.post(str(GENERAL_CHANNEL_ID), Reply(text="old", cards=FIRST.cards,
                                                                      buttons=FIRST.buttons,
                                                                      image=Image(PNG, "old chart")))
    assert message_id is not None
    await on_discord.edit(str(GENERAL_CHANNEL_ID), message_id, Reply(text="Nobody has answered yet"))
    [message] = discord_api.channel_messages(GENERAL_CHANNEL_ID)
    assert message["content"] == "Nobody has answered yet"
    assert message["embeds"] == [] and message["components"] == [] and message["attachments"] == []


async def test_a_discord_edit_replaces_the_image(discord_api: DiscordStandIn, on_discord: DiscordNotifier) -> None:
    message_id = await on_discord.post(str(GENERAL_CHANNEL_ID), Reply(text="chart", image=Image(b"old", "before")))
    assert message_id is not None
    await on_discord.edit(str(GENERAL_CHANNEL_ID), message_id,
                          Reply(text="chart", image=Image(PNG, "after", "board.png")))
    [edit] = discord_api.calls_to("PATCH", "/channels/")
    assert [f["data"] for f in edit.files] == [PNG]
    [message] = discord_api.channel_messages(GENERAL_CHANNEL_ID)
    [attachment] = message["attachments"]  # the old one is gone, the new one in its place
    assert attachment["filename"] == "board.png" and discord_api.attachment_data(attachment) == PNG


async def test_a_retried_discord_post_returns_the_first_messages_id(discord_api: DiscordStandIn,
                                                                    on_discord: DiscordNotifier,
                                                                    clock: FrozenClock) -> None:
    first = await post_once(on_discord, str(GENERAL_CHANNEL_ID), FIRST, duty(1, clock))
    again = await post_once(on_discord, str(GENERAL_CHANNEL_ID), FIRST, duty(2, clock))  # the nonce finds it
    assert first is not None and again == first and discord_api.nonce_repeats == [first]
    assert len(discord_api.channel_messages(GENERAL_CHANNEL_ID)) == 1


async def test_editing_a_deleted_discord_message_is_undeliverable(discord_api: DiscordStandIn, client: discord.Client,
                                                                  on_discord: DiscordNotifier) -> None:
    message_id = await on_discord.post(str(GENERAL_CHANNEL_ID), FIRST)
    assert message_id is not None
    await client.get_partial_messageable(GENERAL_CHANNEL_ID).get_partial_message(int(message_id)).delete()
    with pytest.raises(Undeliverable) as refused:
        await on_discord.edit(str(GENERAL_CHANNEL_ID), message_id, LATER)
    assert isinstance(refused.value.__cause__, discord.NotFound) and refused.value.__cause__.code == 10008
    assert discord_api.channel_messages(GENERAL_CHANNEL_ID) == []  # nothing was posted in its place


async def test_editing_in_a_deleted_discord_channel_is_undeliverable(on_discord: DiscordNotifier) -> None:
    with pytest.raises(Undeliverable) as refused:
        await on_discord.edit("1200000000000008888", "1200000000000008889", LATER)
    assert isinstance(refused.value.__cause__, discord.NotFound) and refused.value.__cause__.code == 10003


async def test_editing_a_message_of_another_channel_is_undeliverable(on_discord: DiscordNotifier) -> None:
    message_id = await on_discord.post(str(GENERAL_CHANNEL_ID), FIRST)
    assert message_id is not None
    with pytest.raises(Undeliverable):
        await on_discord.edit(str(STUDY_HALL_CHANNEL_ID), message_id, LATER)


async def test_editing_where_the_bot_lost_access_is_undeliverable(discord_api: DiscordStandIn,
                                                                  on_discord: DiscordNotifier) -> None:
    message_id = await on_discord.post(str(GENERAL_CHANNEL_ID), FIRST)
    assert message_id is not None
    discord_api.fail_next(f"/channels/{GENERAL_CHANNEL_ID}/messages/{message_id}", 403,
                          {"message": "Missing Access", "code": 50001}, method="PATCH")
    with pytest.raises(Undeliverable) as refused:
        await on_discord.edit(str(GENERAL_CHANNEL_ID), message_id, LATER)
    assert isinstance(refused.value.__cause__, discord.Forbidden) and refused.value.__cause__.code == 50001


async def test_a_discord_server_failure_on_an_edit_is_raised_as_it_is(discord_api: DiscordStandIn,
                                                                      on_discord: DiscordNotifier) -> None:
    message_id = await on_discord.post(str(GENERAL_CHANNEL_ID), FIRST)
    assert message_id is not None
    discord_api.fail_next(f"/channels/{GENERAL_CHANNEL_ID}/messages/{message_id}", 503, method="PATCH")
    with pytest.raises(discord.DiscordServerError) as failed:
        await on_discord.edit(str(GENERAL_CHANNEL_ID), message_id, LATER)
    assert not isinstance(failed.value, Undeliverable)
    await on_discord.edit(str(GENERAL_CHANNEL_ID), message_id, LATER)  # the runner's retry goes through
    [message] = discord_api.channel_messages(GENERAL_CHANNEL_ID)
    assert [f["name"] for f in message["embeds"][0]["fields"]] == ["bob", "ada", "cleo"]


# --- Slack ---------------------------------------------------------------------------------------------------------


@pytest.fixture
async def slack(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[SlackStandIn]:
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)  # slack_sdk reads them itself and ignores NO_PROXY
    async with SlackStandIn() as standin:
        yield standin


@pytest.fixture
def on_slack(slack: SlackStandIn) -> SlackNotifier:
    return SlackNotifier(web_client(SlackConfig(bot_token="xoxb-edit-bot-token", api_url=slack.api_url)))


def texts(message: dict) -> list[str]:
    """The words of a Slack message's section blocks and their fields, in order."""
    out: list[str] = []
    for block in message.get("blocks") or []:
        if block["type"] == "section":
            out += [block["text"]["text"]] if block.get("text") else []
            out += [f["text"] for f in block.get("fields") or []]
    return out


async def test_a_slack_post_returns_the_ts_of_the_message_it_made(slack: SlackStandIn,
                                                                  on_slack: SlackNotifier) -> None:
    ts = await on_slack.post(DEFAULT_CHANNEL_ID, FIRST)
    [posted] = slack.calls("chat.postMessage")
    [message] = slack.channel_messages(DEFAULT_CHANNEL_ID)
    assert ts is not None and ts == posted.response["ts"] == message["ts"]


async def test_a_slack_edit_changes_the_same_message(slack: SlackStandIn, on_slack: SlackNotifier) -> None:
    ts = await on_slack.post(DEFAULT_CHANNEL_ID, FIRST, key=BOARD_KEY)
    assert ts is not None
    await on_slack.edit(DEFAULT_CHANNEL_ID, ts, LATER)

    [update] = slack.calls("chat.update")
    assert update.ok and update.get("channel") == DEFAULT_CHANNEL_ID and update.get("ts") == ts
    [message] = slack.channel_messages(DEFAULT_CHANNEL_ID)  # no second message
    assert message["ts"] == ts and "edited" in message
    assert "bob" in message["text"] and "cleo" in message["text"]
    words = " ".join(texts(message))
    assert "bob" in words and "cleo" in words and words.index("bob") < words.index("ada")
    [actions] = [b for b in message["blocks"] if b["type"] == "actions"]
    assert [e["action_id"] for e in actions["elements"]] == ["rounds:board:refresh"]
    assert message["metadata"]["event_payload"]["key"] == BOARD_KEY  # the post's key stays for a retry to find
    assert len(slack.calls("chat.postMessage")) == 1


async def test_a_slack_edit_without_buttons_takes_them_off(slack: SlackStandIn, on_slack: SlackNotifier) -> None:
    ts = await on_slack.post(DEFAULT_CHANNEL_ID, FIRST)
    assert ts is not None
    await on_slack.edit(DEFAULT_CHANNEL_ID, ts, board(("ada", 9), buttons=False))
    [message] = slack.channel_messages(DEFAULT_CHANNEL_ID)
    assert [b for b in message["blocks"] if b["type"] == "actions"] == []


async def test_a_slack_edit_keeps_to_text_and_blocks(slack: SlackStandIn, on_slack: SlackNotifier) -> None:
    """Slack cannot change a message's file: an image on the edited reply is not uploaded again."""
    ts = await on_slack.post(DEFAULT_CHANNEL_ID, Reply(text="chart", image=Image(PNG, "before", "board.png")))
    assert ts is not None
    await on_slack.edit(DEFAULT_CHANNEL_ID, ts, Reply(text="new chart", image=Image(PNG, "after", "board.png")))
    assert len(slack.calls("files.completeUploadExternal")) == 1  # the post's, not the edit's
    [update] = slack.calls("chat.update")
    assert set(update.params) >= {"channel", "ts", "text", "blocks"} and "file_ids" not in update.params
    [message] = slack.channel_messages(DEFAULT_CHANNEL_ID)
    assert texts(message) == ["new chart"]


async def test_a_retried_slack_post_returns_the_ts_it_found_in_the_history(slack: SlackStandIn,
                                                                           on_slack: SlackNotifier,
                                                                           clock: FrozenClock) -> None:
    first = await on_slack.post(DEFAULT_CHANNEL_ID, FIRST, key=BOARD_KEY)
    await on_slack.post(DEFAULT_CHANNEL_ID, Reply(text="chatter"))
    again = await on_slack.post(DEFAULT_CHANNEL_ID, FIRST, key=BOARD_KEY, since=clock.now() - timedelta(days=1))
    assert first is not None and again == first
    assert len(slack.calls("chat.postMessage")) == 2 and len(slack.calls("conversations.history")) == 1


async def test_editing_a_deleted_slack_message_is_undeliverable(slack: SlackStandIn, on_slack: SlackNotifier) -> None:
    ts = await on_slack.post(DEFAULT_CHANNEL_ID, FIRST)
    assert ts is not None and on_slack.client is not None
    await on_slack.client.chat_delete(channel=DEFAULT_CHANNEL_ID, ts=ts)
    with pytest.raises(Undeliverable) as refused:
        await on_slack.edit(DEFAULT_CHANNEL_ID, ts, LATER)
    assert isinstance(refused.value.__cause__, SlackApiError)
    assert refused.value.__cause__.response["error"] == "message_not_found"
    assert slack.channel_messages(DEFAULT_CHANNEL_ID) == []  # the edit did not bring it back


async def test_editing_in_a_channel_gone_or_left_is_undeliverable(slack: SlackStandIn, on_slack: SlackNotifier) -> None:
    ts = await on_slack.post(DEFAULT_CHANNEL_ID, FIRST)
    assert ts is not None
    with pytest.raises(Undeliverable) as gone:
        await on_slack.edit("C0NOWHERE", ts, LATER)
    assert gone.value.__cause__.response["error"] == "channel_not_found"
    slack.channels[DEFAULT_CHANNEL_ID] = SlackChannel(DEFAULT_CHANNEL_ID, "general", is_member=False)  # removed
    with pytest.raises(Undeliverable) as left:
        await on_slack.edit(DEFAULT_CHANNEL_ID, ts, LATER)
    assert left.value.__cause__.response["error"] == "not_in_channel"


@pytest.mark.parametrize("error", ["cant_update_message", "edit_window_closed"])
async def test_a_message_slack_will_not_change_is_undeliverable(slack: SlackStandIn, on_slack: SlackNotifier,
                                                                error: str) -> None:
    ts = await on_slack.post(DEFAULT_CHANNEL_ID, FIRST)
    assert ts is not None
    slack.fail_next("chat.update", error)
    with pytest.raises(Undeliverable):
        await on_slack.edit(DEFAULT_CHANNEL_ID, ts, LATER)


async def test_a_slack_server_failure_on_an_edit_is_raised_as_it_is(slack: SlackStandIn,
                                                                    on_slack: SlackNotifier) -> None:
    ts = await on_slack.post(DEFAULT_CHANNEL_ID, FIRST)
    assert ts is not None
    slack.fail_next("chat.update", "internal_error", status=500)
    with pytest.raises(SlackApiError) as failed:
        await on_slack.edit(DEFAULT_CHANNEL_ID, ts, LATER)
    assert not isinstance(failed.value, Undeliverable) and failed.value.response.status_code == 500
    await on_slack.edit(DEFAULT_CHANNEL_ID, ts, LATER)  # the runner's retry goes through
    [message] = slack.channel_messages(DEFAULT_CHANNEL_ID)
    assert "cleo" in message["text"]


# --- the console and the collector ---------------------------------------------------------------------------------


class Watcher:
    def __init__(self) -> None:
        self.posts: list[tuple[str, Reply]] = []

    def saw_post(self, channel_id: str, reply: Reply) -> None:
        self.posts.append((channel_id, reply))

    def saw_direct(self, member_id: str, reply: Reply) -> None:
        raise AssertionError("no direct message here")


async def test_the_console_prints_an_edit_again_marked_as_updated() -> None:
    out, watcher = io.StringIO(), Watcher()
    console = ConsoleNotifier(out, audience=(watcher,))
    first = await console.post("general", FIRST)
    second = await console.post("general", Reply(text="something else"))
    assert first is not None and second is not None and first != second
    await console.edit("general", first, LATER)

    printed = out.getvalue()
    before, _, after = printed.partition("📣 posted in #general (updated):")
    assert after and "cleo" in after and "cleo" not in before
    assert before.count("📣 posted in #general:") == 2
    assert watcher.posts[-1] == ("general", LATER)  # its buttons are the ones on screen now


async def test_the_console_holds_an_edit_like_a_post() -> None:
    out = io.StringIO()
    console = ConsoleNotifier(out)
    first = await console.post("general", FIRST)
    assert first is not None
    with console.holding():
        await console.edit("general", first, LATER)
        assert "(updated)" not in out.getvalue()
    assert "(updated)" in out.getvalue()


async def test_the_collector_keeps_edits_and_refuses_messages_it_never_posted() -> None:
    collector = CollectingNotifier()
    first = await collector.post("general", FIRST)
    second = await collector.post("general", Reply(text="the reveal"))
    assert (first, second) == ("0", "1")
    await collector.edit("general", "0", LATER)

    assert collector.edits == [("general", "0", LATER)]
    assert collector.posts[0] == ("general", FIRST) and collector.current("0") == LATER
    assert collector.current("1") == Reply(text="the reveal")
    for channel, message_id in (("general", "7"), ("lounge", "0"), ("general", "nope")):
        with pytest.raises(Undeliverable):
            await collector.edit(channel, message_id, LATER)
    collector.deleted.add("1")
    with pytest.raises(Undeliverable):
        await collector.edit("general", "1", LATER)
    assert len(collector.edits) == 1


async def test_post_once_returns_the_id(clock: FrozenClock) -> None:
    collector = CollectingNotifier("discord")
    assert await post_once(collector, "general", FIRST, duty(1, clock)) == "0"
    assert collector.keys == ["board.refresh:discord:1200000000000000100|2026-W48"]
