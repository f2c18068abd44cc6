"""The Slack notifier and image replies through the real slack_sdk / slack-bolt, against the Slack stand-in.

The notifier gets the Web API client `rounds slack` builds (retry handlers included), so an image is slack_sdk's own
files_upload_v2: files.getUploadURLExternal, the bytes POSTed to the URL the stand-in handed out, then
files.completeUploadExternal. Refusals are answered the way Slack answers them (`not_in_channel`,
`messages_tab_disabled`, ...), and must become `Undeliverable`; a server failure must not.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError, SlackRequestError

from bots.slack.app import EVENTS_PATH, SlackConfig, create_adapter, web_client
from bots.slack.notifier import SlackNotifier
from commands.replies import Card, Image, Reply
from core.clock import FrozenClock
from core.engine.errors import Undeliverable
from core.settings import Settings
from testkit.discord_harness import catalog_with
from testkit.images import png_size, tiny_png
from testkit.standins.slack_standin import (
    BOT_USER_ID,
    DEFAULT_CHANNEL_ID,
    MEMBER_ID,
    RESPONSE_URL_METHOD,
    UPLOAD_METHOD,
    RecordedCall,
    SlackChannel,
    SlackStandIn,
    serve_web_app,
)
from tests.adapters.image_lab import pictures

PNG = tiny_png(6, 2)
ALT = "Answers by weekday: Monday busiest"
SECRET = "notifier-signing-secret"
BOT_TOKEN = "xoxb-notifier-bot-token"
UPLOAD_CALLS = ["files.getUploadURLExternal", UPLOAD_METHOD, "files.completeUploadExternal"]
PICS = "tests.adapters.image_lab"


@pytest.fixture(autouse=True)
def _no_proxy_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """slack_sdk reads HTTP(S)_PROXY itself and ignores NO_PROXY, so a CI proxy would swallow 127.0.0.1 traffic."""
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
async def slack() -> AsyncIterator[SlackStandIn]:
    async with SlackStandIn() as standin:
        yield standin


@pytest.fixture
async def notifier(slack: SlackStandIn) -> AsyncIterator[SlackNotifier]:
    yield SlackNotifier(web_client(SlackConfig(bot_token=BOT_TOKEN, api_url=slack.api_url)))  # no shared session


def heatmap(text: str = "This week's answers") -> Reply:
    return Reply(text=text, cards=(Card("Week 12", "Monday was busiest"),), image=Image(PNG, ALT, "heatmap.png"))


def methods(slack: SlackStandIn) -> list[str]:
    return [c.method for c in slack.calls()]


def assert_uploaded(slack: SlackStandIn, channel: str, png: bytes = PNG, alt: str = ALT) -> None:
    """The three calls of files_upload_v2, with the right length, bytes, file id and channel."""
    announced, = slack.calls("files.getUploadURLExternal")
    posted, = slack.calls(UPLOAD_METHOD)
    completed, = slack.calls("files.completeUploadExternal")
    assert announced.ok and posted.status == 200 and completed.ok
    assert announced.get("filename") == "heatmap.png" and int(announced.get("length")) == len(png)
    assert announced.get("alt_txt") == alt
    file_id = announced.response["file_id"]
    assert posted.raw_body == png and posted.get("size") == len(png) and posted.get("file_id") == file_id
    assert completed.get("channel_id") == channel
    assert json.loads(completed.get("files")) == [{"id": file_id, "title": alt}]
    [shared] = slack.shared_files(channel)
    assert shared.data == png and png_size(shared.data) == png_size(png)


async def test_the_notifier_serves_slack() -> None:
    assert SlackNotifier().platform == "slack"


async def test_a_channel_post_with_an_image_is_a_message_then_three_upload_calls(slack: SlackStandIn,
                                                                                 notifier: SlackNotifier) -> None:
    await notifier.post(DEFAULT_CHANNEL_ID, heatmap())

    assert methods(slack) == ["chat.postMessage", *UPLOAD_CALLS]
    posted, = slack.calls("chat.postMessage")
    assert posted.ok and posted.get("channel") == DEFAULT_CHANNEL_ID and posted.token == BOT_TOKEN
    assert posted.get("blocks")[0]["text"]["text"] == "This week's answers"
    assert_uploaded(slack, DEFAULT_CHANNEL_ID)


async def test_a_post_without_an_image_uploads_nothing(slack: SlackStandIn, notifier: SlackNotifier) -> None:
    await notifier.post(DEFAULT_CHANNEL_ID, Reply(text="plain words"))
    assert methods(slack) == ["chat.postMessage"]


async def test_a_direct_message_opens_the_im_then_posts_into_it(slack: SlackStandIn, notifier: SlackNotifier) -> None:
    await notifier.direct(f"slack:{MEMBER_ID}", heatmap("Your week"))

    assert methods(slack) == ["conversations.open", "chat.postMessage", *UPLOAD_CALLS]
    opened, = slack.calls("conversations.open")
    im = slack.im_of(MEMBER_ID)
    assert opened.get("users") == MEMBER_ID and im is not None and im.startswith("D")
    assert opened.response["channel"]["id"] == im
    posted, = slack.calls("chat.postMessage")
    assert posted.ok and posted.get("channel") == im and posted.get("text").startswith("Your week")
    assert_uploaded(slack, im)


async def test_a_member_who_closed_their_messages_is_undeliverable(slack: SlackStandIn,
                                                                   notifier: SlackNotifier) -> None:
    slack.close_dms(MEMBER_ID)
    with pytest.raises(Undeliverable) as refused:
        await notifier.direct(f"slack:{MEMBER_ID}", heatmap())
    assert isinstance(refused.value.__cause__, SlackApiError)
    assert refused.value.__cause__.response["error"] == "messages_tab_disabled"
    assert slack.calls("files.getUploadURLExternal") == []  # nothing more was tried


async def test_a_channel_the_bot_was_removed_from_is_undeliverable(slack: SlackStandIn,
                                                                   notifier: SlackNotifier) -> None:
    slack.add_channel(SlackChannel("C0LEFT", "left-behind", is_member=False))
    with pytest.raises(Undeliverable) as refused:
        await notifier.post("C0LEFT", heatmap())
    assert refused.value.__cause__.response["error"] == "not_in_channel"


@pytest.mark.parametrize("member, error", [(BOT_USER_ID, "cannot_dm_bot"), ("U0NOBODY", "user_not_found")])
async def test_members_slack_will_not_open_are_undeliverable(slack: SlackStandIn, notifier: SlackNotifier,
                                                             member: str, error: str) -> None:
    with pytest.raises(Undeliverable) as refused:
        await notifier.direct(f"slack:{member}", Reply(text="hello?"))
    assert refused.value.__cause__.response["error"] == error
    assert slack.calls("chat.postMessage") == []


@pytest.mark.parametrize("error", ["channel_not_found", "is_archived", "account_inactive", "missing_scope"])
async def test_every_permanent_refusal_is_undeliverable(slack: SlackStandIn, notifier: SlackNotifier,
                                                        error: str) -> None:
    slack.fail_next("chat.postMessage", error)
    with pytest.raises(Undeliverable):
        await notifier.post(DEFAULT_CHANNEL_ID, Reply(text="no way through"))


async def test_a_server_error_is_not_undeliverable(slack: SlackStandIn, notifier: SlackNotifier) -> None:
    slack.fail_next("chat.postMessage", "internal_error", status=500)
    with pytest.raises(SlackApiError) as failed:
        await notifier.post(DEFAULT_CHANNEL_ID, heatmap())
    assert not isinstance(failed.value, Undeliverable) and failed.value.response.status_code == 500
    await notifier.post(DEFAULT_CHANNEL_ID, heatmap())  # the caller's retry goes through
    assert [c.status for c in slack.calls("chat.postMessage")] == [500, 200]


async def test_a_failed_upload_is_raised_for_a_retry(slack: SlackStandIn, notifier: SlackNotifier) -> None:
    slack.fail_next(UPLOAD_METHOD, "upload_failed", status=500)
    with pytest.raises(SlackRequestError):
        await notifier.post(DEFAULT_CHANNEL_ID, heatmap())
    assert slack.calls("files.completeUploadExternal") == []


async def test_a_member_of_another_platform_is_undeliverable(notifier: SlackNotifier) -> None:
    with pytest.raises(Undeliverable):
        await notifier.direct("discord:123", Reply(text="wrong door"))


# --- a command's reply with an image, through bolt -------------------------------------------------------------------


@pytest.fixture
async def app_url(slack: SlackStandIn, db_path: str, clock: FrozenClock,
                  monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[str]:
    monkeypatch.setattr(pictures, "SLOW_SECONDS", 0.0)
    config = SlackConfig(bot_token=BOT_TOKEN, signing_secret=SECRET, api_url=slack.api_url)
    adapter = await create_adapter(Settings(db_path=db_path), config, clock=clock, catalog=catalog_with(PICS))
    try:
        async with serve_web_app(adapter.web_app()) as base:
            yield base + EVENTS_PATH
    finally:
        await adapter.close()


async def ask(slack: SlackStandIn, url: str, text: str) -> dict[str, Any]:
    delivery = await slack.send_slash_command(url, secret=SECRET, command="/pics", text=text)
    assert delivery.status == 200 and delivery.body == ""
    return delivery.sent


async def test_a_public_reply_uploads_its_image_into_the_channel(slack: SlackStandIn, app_url: str) -> None:
    sent = await ask(slack, app_url, "now")
    await slack.wait_for_call("files.completeUploadExternal")
    reply = slack.responses(slack.token_of(sent["response_url"]))[0]
    assert reply.params["response_type"] == "in_channel" and "Here is the heatmap" in reply.params["text"]
    assert methods(slack)[-4:] == [RESPONSE_URL_METHOD, *UPLOAD_CALLS]  # the text first, then the picture
    assert_uploaded(slack, DEFAULT_CHANNEL_ID, pictures.PNG, pictures.ALT)


async def test_a_private_reply_uploads_its_image_into_the_members_im(slack: SlackStandIn, app_url: str) -> None:
    sent = await ask(slack, app_url, "mine")
    await slack.wait_for_call("files.completeUploadExternal")
    reply = slack.responses(slack.token_of(sent["response_url"]))[0]
    assert reply.params["response_type"] == "ephemeral"
    opened, = slack.calls("conversations.open")
    assert opened.get("users") == MEMBER_ID
    assert slack.shared_files(DEFAULT_CHANNEL_ID) == []  # never where others would see it
    assert_uploaded(slack, str(slack.im_of(MEMBER_ID)), pictures.PNG, pictures.ALT)


async def test_a_failed_upload_is_logged_and_the_text_still_arrives(slack: SlackStandIn, app_url: str,
                                                                    caplog: pytest.LogCaptureFixture) -> None:
    slack.fail_next("files.getUploadURLExternal", "internal_error", status=500)
    with caplog.at_level(logging.WARNING, logger="bots.slack.notifier"):
        sent = await ask(slack, app_url, "now")
        failed: RecordedCall = await slack.wait_for_call("files.getUploadURLExternal")
        await slack.wait_for_response(slack.token_of(sent["response_url"]))
        await _logged(caplog, "could not be uploaded")
    assert failed.status == 500 and slack.calls("files.completeUploadExternal") == []
    assert slack.responses()[0].status == 200 and "internal_error" in caplog.text


async def _logged(caplog: pytest.LogCaptureFixture, words: str) -> None:
    """The warning is written by the task that sent the reply, just after the failed call returns."""
    for _ in range(200):
        if words in caplog.text:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"no log line with {words!r}: {caplog.text!r}")
