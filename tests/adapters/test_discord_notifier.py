"""The Discord notifier and image replies through the real discord.py, against the Discord stand-in.

The notifier gets a real `discord.Client` logged in to the stand-in (REST is all a duty needs), so every post, DM and
upload below is discord.py's own multipart request; the stand-in keeps the bytes it received. Refusals come back as
Discord gives them (403 50007 on a closed DM, 404 10003 for a deleted channel), so the mapping to `Undeliverable`
is tested against the errors discord.py really raises.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import discord
import pytest

from bots.discord.notifier import DiscordNotifier
from commands.replies import Card, Image, Reply
from core.clock import FrozenClock
from core.engine.errors import Undeliverable
from testkit.discord_harness import catalog_with, running_bot
from testkit.images import png_size, tiny_png
from testkit.standins.discord_standin import (
    GENERAL_CHANNEL_ID,
    MEMBER_USER_ID,
    DiscordStandIn,
    RecordedCall,
)
from tests.adapters.image_lab import pictures

PNG = tiny_png(5, 4)
EPHEMERAL = 64
PICS = "tests.adapters.image_lab"


@pytest.fixture
async def standin() -> AsyncIterator[DiscordStandIn]:
    async with DiscordStandIn() as api:
        with api.patch_discord():
            yield api


@pytest.fixture
async def notifier(standin: DiscordStandIn) -> AsyncIterator[DiscordNotifier]:
    client = discord.Client(intents=discord.Intents.none())
    await client.login(standin.token or "any-token")
    try:
        yield DiscordNotifier(client)
    finally:
        await client.close()


def heatmap(text: str = "This week's answers") -> Reply:
    return Reply(text=text, cards=(Card("Week 12", "Monday was busiest"),),
                 image=Image(PNG, "Answers by weekday: Monday busiest", "heatmap.png"))


def message_posts(standin: DiscordStandIn) -> list[RecordedCall]:
    return [c for c in standin.calls_to("POST", "/channels/") if c.path.endswith("/messages")]


def only_attachment(standin: DiscordStandIn, message: dict[str, Any]) -> dict[str, Any]:
    [attachment] = message["attachments"]
    assert standin.attachment_data(attachment) == PNG
    return attachment


async def test_the_notifier_serves_discord() -> None:
    assert DiscordNotifier().platform == "discord"


async def test_a_channel_post_with_an_image_arrives_as_an_attachment(standin: DiscordStandIn,
                                                                     notifier: DiscordNotifier) -> None:
    await notifier.post(str(GENERAL_CHANNEL_ID), heatmap())

    [call] = message_posts(standin)
    assert call.path == f"/channels/{GENERAL_CHANNEL_ID}/messages" and call.status == 200
    assert call.headers["Content-Type"].startswith("multipart/form-data")
    [upload] = call.files
    assert (upload["field"], upload["filename"], upload["size"]) == ("files[0]", "heatmap.png", len(PNG))
    assert upload["data"] == PNG and png_size(upload["data"]) == (5, 4)
    [message] = standin.channel_messages(GENERAL_CHANNEL_ID)
    assert message["content"] == "This week's answers" and message["embeds"][0]["title"] == "Week 12"
    attachment = only_attachment(standin, message)
    assert attachment["description"] == "Answers by weekday: Monday busiest"
    assert attachment["size"] == len(PNG)


async def test_an_image_alone_is_a_message(standin: DiscordStandIn, notifier: DiscordNotifier) -> None:
    await notifier.post(str(GENERAL_CHANNEL_ID), Reply(image=Image(PNG, "A chart")))
    [message] = standin.channel_messages(GENERAL_CHANNEL_ID)
    assert message["content"] == ""  # no "Done." filler: the picture is the message
    assert only_attachment(standin, message)["filename"] == "image.png"


async def test_a_direct_message_opens_the_dm_then_sends_into_it(standin: DiscordStandIn,
                                                                notifier: DiscordNotifier) -> None:
    await notifier.direct(f"discord:{MEMBER_USER_ID}", heatmap("Your week"))
    await notifier.direct(f"discord:{MEMBER_USER_ID}", Reply(text="And a reminder"))

    dm = standin.dm_channel_of(MEMBER_USER_ID)
    assert dm is not None
    [opened] = standin.calls_to("POST", "/users/@me/channels")  # the second DM reuses the channel discord.py keeps
    assert opened.json == {"recipient_id": MEMBER_USER_ID}
    first, second = message_posts(standin)
    assert opened.received_at < first.received_at
    assert first.path == second.path == f"/channels/{dm}/messages"
    with_image, reminder = standin.channel_messages(dm)
    assert with_image["content"] == "Your week" and only_attachment(standin, with_image)["filename"] == "heatmap.png"
    assert reminder["content"] == "And a reminder" and reminder["attachments"] == []


async def test_a_closed_dm_is_undeliverable(standin: DiscordStandIn, notifier: DiscordNotifier) -> None:
    standin.close_dms(MEMBER_USER_ID)
    with pytest.raises(Undeliverable) as refused:
        await notifier.direct(f"discord:{MEMBER_USER_ID}", heatmap())
    assert isinstance(refused.value.__cause__, discord.Forbidden) and refused.value.__cause__.code == 50007
    assert [c.status for c in message_posts(standin)] == [403]


async def test_an_unknown_user_is_undeliverable(standin: DiscordStandIn, notifier: DiscordNotifier) -> None:
    with pytest.raises(Undeliverable):
        await notifier.direct("discord:1200000000000009999", Reply(text="hello?"))
    assert message_posts(standin) == []


@pytest.mark.parametrize("code", [50001, 50013])
async def test_a_channel_the_bot_lost_is_undeliverable(standin: DiscordStandIn, notifier: DiscordNotifier,
                                                       code: int) -> None:
    standin.refuse_channel(GENERAL_CHANNEL_ID, code)
    with pytest.raises(Undeliverable) as refused:
        await notifier.post(str(GENERAL_CHANNEL_ID), heatmap())
    assert isinstance(refused.value.__cause__, discord.Forbidden) and refused.value.__cause__.code == code


async def test_a_deleted_channel_is_undeliverable(standin: DiscordStandIn, notifier: DiscordNotifier) -> None:
    with pytest.raises(Undeliverable) as refused:
        await notifier.post("1200000000000008888", Reply(text="anyone?"))
    assert isinstance(refused.value.__cause__, discord.NotFound) and refused.value.__cause__.code == 10003


async def test_a_server_error_is_retried_not_given_up(standin: DiscordStandIn, notifier: DiscordNotifier) -> None:
    standin.fail_next(f"/channels/{GENERAL_CHANNEL_ID}/messages", 500, method="POST")  # discord.py waits 1 s, retries
    await notifier.post(str(GENERAL_CHANNEL_ID), heatmap())
    assert [c.status for c in message_posts(standin)] == [500, 200]
    [message] = standin.channel_messages(GENERAL_CHANNEL_ID)
    only_attachment(standin, message)  # the file was sent again, whole, on the retry


async def test_a_transient_failure_is_raised_as_it_is(standin: DiscordStandIn, notifier: DiscordNotifier) -> None:
    standin.fail_next(f"/channels/{GENERAL_CHANNEL_ID}/messages", 503, method="POST")  # not retried by discord.py
    with pytest.raises(discord.DiscordServerError) as failed:
        await notifier.post(str(GENERAL_CHANNEL_ID), Reply(text="later"))
    assert not isinstance(failed.value, Undeliverable) and failed.value.status == 503


async def test_a_member_of_another_platform_is_undeliverable(notifier: DiscordNotifier) -> None:
    with pytest.raises(Undeliverable):
        await notifier.direct("slack:U0MEMBER", Reply(text="wrong door"))


# --- an interaction's own response carries the image -----------------------------------------------------------------


async def test_an_immediate_reply_carries_its_image(standin: DiscordStandIn, db_path: str, clock: FrozenClock) -> None:
    async with running_bot(standin, db_path, clock=clock, catalog=catalog_with(PICS)):
        sent = await standin.send_interaction(standin.slash_command("pics now"))
        callback = await standin.wait_for_callback(sent["id"])
        assert callback.status == 200 and callback.json["type"] == 4
        assert callback.json["data"]["content"] == "Here is the heatmap"
        assert [f["data"] for f in callback.files] == [pictures.PNG]
        [message] = standin.channel_messages(GENERAL_CHANNEL_ID)
        assert message["attachments"][0]["description"] == pictures.ALT
        assert standin.attachment_data(message["attachments"][0]) == pictures.PNG


async def test_a_late_private_reply_edits_its_image_in(standin: DiscordStandIn, db_path: str, clock: FrozenClock) -> None:
    async with running_bot(standin, db_path, clock=clock, catalog=catalog_with(PICS), defer_after=0.1):
        sent = await standin.send_interaction(standin.slash_command("pics mine"))
        assert (await standin.wait_for_callback(sent["id"])).json["type"] == 5  # deferred
        edit = await standin.wait_for(lambda c: c.method == "PATCH" and c.path.endswith("/messages/@original"))
        assert edit.status == 200 and [f["data"] for f in edit.files] == [pictures.PNG]
        [message] = standin.channel_messages(GENERAL_CHANNEL_ID)
        assert message["flags"] & EPHEMERAL and message["content"] == "Your own heatmap"
        assert standin.attachment_data(message["attachments"][0]) == pictures.PNG


async def test_a_late_public_reply_follows_up_with_its_image(standin: DiscordStandIn, db_path: str,
                                                             clock: FrozenClock) -> None:
    async with running_bot(standin, db_path, clock=clock, catalog=catalog_with(PICS), defer_after=0.1):
        sent = await standin.send_interaction(standin.slash_command("pics slow"))
        path = f"/webhooks/{standin.application_id}/{sent['token']}"
        followup = await standin.wait_for(lambda c: c.method == "POST" and c.path == path)
        assert followup.status == 200 and [f["data"] for f in followup.files] == [pictures.PNG]
        [message] = standin.channel_messages(GENERAL_CHANNEL_ID)  # the ephemeral placeholder was removed
        assert not message["flags"] & EPHEMERAL and message["content"] == "Everyone's heatmap"
        assert standin.attachment_data(message["attachments"][0]) == pictures.PNG
