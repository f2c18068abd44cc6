"""Proves the Slack stand-in works with a PLAIN slack-bolt ``AsyncApp`` (no project adapter involved).

Why: the real Slack adapter will be tested against ``tests/standins/slack_standin.py``. Before anyone trusts a
green adapter test, the stand-in itself must be shown to drive the genuine bolt / slack_sdk code paths: signed
HTTP delivery and 401s, lazy ``auth.test``, ``respond()`` to a ``response_url``, 429 retries, and Socket Mode
framing with acks matched by ``envelope_id``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncRateLimitErrorRetryHandler,
    async_default_handlers,
)
from slack_sdk.web.async_client import AsyncWebClient

from testkit.standins.slack_standin import (
    ADMIN_ID,
    BOT_USER_ID,
    DEFAULT_CHANNEL_ID,
    MEMBER_ID,
    SlackStandIn,
    eventually,
    serve_web_app,
)

SECRET = "standin-signing-secret"
BOT_TOKEN = "xoxb-standin-bot-token"
APP_TOKEN = "xapp-standin-app-token"
EVENTS_PATH = "/slack/events"


@pytest.fixture(autouse=True)
def _no_proxy_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """slack_sdk reads HTTP(S)_PROXY itself and ignores NO_PROXY, so a CI proxy would swallow 127.0.0.1 traffic."""
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.delenv(name, raising=False)


@pytest_asyncio.fixture
async def slack() -> AsyncIterator[SlackStandIn]:
    async with SlackStandIn() as standin:
        yield standin


def make_app(slack: SlackStandIn, *, retry_on_429: bool = False) -> AsyncApp:
    """A bare bolt app whose Web API client points at the stand-in (what the real adapter will also do)."""
    handlers = async_default_handlers()
    if retry_on_429:
        handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=2))
    client = AsyncWebClient(token=BOT_TOKEN, base_url=slack.api_url, retry_handlers=handlers)
    return AsyncApp(client=client, signing_secret=SECRET)


@pytest.mark.asyncio
async def test_http_slash_command_acks_then_responds_and_posts(slack: SlackStandIn) -> None:
    app = make_app(slack)
    seen: list[dict[str, Any]] = []

    @app.command("/rounds")
    async def rounds(ack: Any, command: dict[str, Any], respond: Any, client: AsyncWebClient) -> None:
        await ack()
        seen.append(command)
        await respond(text=f"echo: {command['text']}", response_type="ephemeral")
        await client.chat_postMessage(channel=command["channel_id"], text="question of the day")

    async with serve_web_app(app.web_app(path=EVENTS_PATH)) as base:
        delivery = await slack.send_slash_command(base + EVENTS_PATH, secret=SECRET, text="qotd", user_id=ADMIN_ID)
        assert delivery.status == 200
        assert delivery.body == ""  # a bare ack() is an empty 200

        token = slack.token_of(delivery.sent["response_url"])
        response = await slack.wait_for_response(token)
        post = await slack.wait_for_call("chat.postMessage")

    assert response.status == 200
    assert response.body_kind == "json"
    assert response.params == {"text": "echo: qotd", "response_type": "ephemeral"}

    assert post.ok
    assert post.params["channel"] == DEFAULT_CHANNEL_ID
    assert post.params["text"] == "question of the day"
    assert post.body_kind == "json"
    assert post.token == BOT_TOKEN
    assert post.headers["Authorization"] == f"Bearer {BOT_TOKEN}"

    assert [c["user_id"] for c in seen] == [ADMIN_ID]
    assert seen[0]["user_name"] == "omar"
    # bolt authorizes lazily, once per app: exactly one auth.test, before the handler's call.
    auth_calls = slack.calls("auth.test")
    assert len(auth_calls) == 1 and auth_calls[0].at <= post.at


@pytest.mark.asyncio
async def test_forged_and_stale_signatures_get_401_and_never_reach_the_handler(slack: SlackStandIn) -> None:
    app = make_app(slack)
    ran: list[str] = []

    @app.command("/rounds")
    async def rounds(ack: Any, command: dict[str, Any]) -> None:
        ran.append(command["text"])
        await ack()

    async with serve_web_app(app.web_app(path=EVENTS_PATH)) as base:
        url = base + EVENTS_PATH
        forged = await slack.send_slash_command(url, secret="not-the-secret", text="forged")
        stale = await slack.send_slash_command(url, secret=SECRET, timestamp=int(time.time()) - 301, text="stale")
        await asyncio.sleep(0.1)  # give any (wrongly) started background work a chance to show up

        assert (forged.status, stale.status) == (401, 401)
        assert ran == []
        # Verification runs before authorization: a rejected request does not even trigger auth.test.
        assert slack.calls() == []

        # Control: the same app accepts a correctly signed, fresh request, so the 401s were about the signature.
        good = await slack.send_slash_command(url, secret=SECRET, text="good")
        assert good.status == 200
        assert ran == ["good"]


@pytest.mark.asyncio
async def test_rate_limited_post_is_retried_after_retry_after_and_lands(slack: SlackStandIn) -> None:
    app = make_app(slack, retry_on_429=True)
    outcome: list[str] = []

    @app.command("/rounds")
    async def rounds(ack: Any, command: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        result = await client.chat_postMessage(channel=command["channel_id"], text="after the 429")
        outcome.append(result["ts"])

    slack.rate_limit_next("chat.postMessage", retry_after=1)
    async with serve_web_app(app.web_app(path=EVENTS_PATH)) as base:
        delivery = await slack.send_slash_command(base + EVENTS_PATH, secret=SECRET, text="go")
        assert delivery.status == 200
        landed = await slack.wait_for_call("chat.postMessage", ok=True, timeout=5)
        await eventually(lambda: bool(outcome), timeout=1)  # the handler got the successful response back

    first, second = slack.calls("chat.postMessage")
    assert first.status == 429
    assert first.response == {"ok": False, "error": "ratelimited"}
    assert second is landed and second.status == 200
    assert second.params == first.params  # the same request, retried
    assert second.at - first.at >= 1.0  # Retry-After was honoured (the SDK adds 0-1 s of jitter)
    assert outcome == [second.response["ts"]]


@pytest.mark.asyncio
async def test_rate_limit_without_retry_handler_surfaces_as_slack_api_error(slack: SlackStandIn) -> None:
    """The fault is a real 429 to slack_sdk: without the retry handler the caller sees it."""
    client = AsyncWebClient(token=BOT_TOKEN, base_url=slack.api_url)
    slack.rate_limit_next("chat.postMessage", retry_after=7)
    with pytest.raises(SlackApiError) as raised:
        await client.chat_postMessage(channel=DEFAULT_CHANNEL_ID, text="hi")
    assert raised.value.response.status_code == 429
    assert raised.value.response.headers["Retry-After"] == "7"
    assert raised.value.response["error"] == "ratelimited"
    # The fault was used up: the next call goes through.
    assert (await client.chat_postMessage(channel=DEFAULT_CHANNEL_ID, text="hi"))["ok"] is True


@pytest.mark.asyncio
async def test_socket_mode_round_trip_acks_by_envelope_id_and_posts(slack: SlackStandIn) -> None:
    app = make_app(slack)

    @app.command("/rounds")
    async def rounds(ack: Any, command: dict[str, Any], client: AsyncWebClient) -> None:
        await ack(text="on it")
        await client.chat_postMessage(channel=command["channel_id"], text=f"socket: {command['text']}")

    handler = AsyncSocketModeHandler(app, app_token=APP_TOKEN)
    try:
        await handler.connect_async()
        await slack.wait_connected()
        envelope_id = await slack.push_slash_command(text="streak", user_id=MEMBER_ID)

        ack = await slack.wait_for_ack(envelope_id)
        post = await slack.wait_for_call("chat.postMessage")
    finally:
        await handler.close_async()

    assert ack.envelope_id == envelope_id
    assert ack.payload == {"text": "on it"}  # ack(text=...) travels back inside the ack frame
    assert ack.latency is not None and 0 <= ack.latency < 3
    assert post.params["text"] == "socket: streak"
    assert post.params["channel"] == DEFAULT_CHANNEL_ID
    assert post.token == BOT_TOKEN
    # The websocket URL was fetched with the app-level token, not the bot token.
    (open_call,) = slack.calls("apps.connections.open")
    assert open_call.token == APP_TOKEN
    assert slack.socket_connections == 1


@pytest.mark.asyncio
async def test_socket_mode_interactive_button_and_views_open(slack: SlackStandIn) -> None:
    app = make_app(slack)

    @app.action("join_session")
    async def join(ack: Any, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await client.views_open(
            trigger_id=body["trigger_id"],
            view={"type": "modal", "callback_id": "rsvp", "title": {"type": "plain_text", "text": "RSVP"},
                  "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": body["actions"][0]["value"]}}]},
        )

    handler = AsyncSocketModeHandler(app, app_token=APP_TOKEN)
    try:
        await handler.connect_async()
        payload = slack.block_actions_payload("join_session", value="session-42")
        envelope_id = await slack.push_interactive(payload)
        ack = await slack.wait_for_ack(envelope_id)
        opened = await slack.wait_for_call("views.open")
    finally:
        await handler.close_async()

    assert ack.payload is None  # a bare ack() carries no payload
    assert opened.ok, opened.response
    assert opened.params["trigger_id"] == payload["trigger_id"]
    assert opened.params["view"]["blocks"][0]["text"]["text"] == "session-42"


@pytest.mark.asyncio
async def test_http_view_submission_and_latency_stats(slack: SlackStandIn) -> None:
    app = make_app(slack)
    submitted: list[str] = []

    @app.view("rsvp")
    async def on_submit(ack: Any, view: dict[str, Any]) -> None:
        submitted.append(view["state"]["values"]["when"]["time"]["value"])
        await ack(response_action="clear")

    @app.command("/rounds")
    async def rounds(ack: Any) -> None:
        await ack()

    async with serve_web_app(app.web_app(path=EVENTS_PATH)) as base:
        url = base + EVENTS_PATH
        values = {"when": {"time": {"type": "plain_text_input", "value": "19:00"}}}
        submission = await slack.send_interactive(url, slack.view_submission_payload("rsvp", values), secret=SECRET)
        for i in range(10):
            await slack.send_slash_command(url, secret=SECRET, text=f"ping {i}")

    assert submission.status == 200
    assert submission.json() == {"response_action": "clear"}
    assert submitted == ["19:00"]

    stats = slack.latency_stats("http")
    assert stats.count == 11
    assert 0 < stats.median <= stats.p99 <= stats.max < 3  # every ack inside Slack's 3 s window


@pytest.mark.asyncio
async def test_web_api_lookups_and_block_limits(slack: SlackStandIn) -> None:
    """users.info / conversations.info answer from the configured workspace; Block Kit limits are enforced."""
    client = AsyncWebClient(token=BOT_TOKEN, base_url=slack.api_url)
    admin = (await client.users_info(user=ADMIN_ID))["user"]
    assert (admin["is_admin"], admin["is_owner"], admin["tz"]) == (True, False, "America/New_York")
    assert (await client.auth_test())["user_id"] == BOT_USER_ID
    assert (await client.conversations_info(channel=DEFAULT_CHANNEL_ID))["channel"]["name"] == "general"
    assert slack.calls("users.info")[0].http_method == "GET"  # slack_sdk sends these as query strings

    with pytest.raises(SlackApiError) as missing:
        await client.users_info(user="U0NOBODY")
    assert missing.value.response["error"] == "user_not_found"

    too_many = [{"type": "section", "text": {"type": "mrkdwn", "text": "x"}}] * 51
    with pytest.raises(SlackApiError) as invalid:
        await client.chat_postMessage(channel=DEFAULT_CHANNEL_ID, text="t", blocks=too_many)
    assert invalid.value.response["error"] == "invalid_blocks"


async def test_uploads_are_checked_against_what_was_announced(slack: SlackStandIn) -> None:
    """files_upload_v2's three steps with the plain SDK; the upload URL refuses bytes of another length or an id it
    never handed out, and completing a file whose bytes never arrived is `file_not_found`."""
    from aiohttp import ClientSession

    from testkit.standins.slack_standin import UPLOAD_METHOD

    client = AsyncWebClient(token=BOT_TOKEN, base_url=slack.api_url)
    done = await client.files_upload_v2(channel=DEFAULT_CHANNEL_ID, content=b"12345", filename="n.txt", title="N")
    assert done["file"]["size"] == 5 and [f.data for f in slack.shared_files(DEFAULT_CHANNEL_ID)] == [b"12345"]

    announced = await client.files_getUploadURLExternal(filename="m.txt", length=3)
    async with ClientSession() as session:
        async with session.post(announced["upload_url"], data=b"toolong") as wrong:
            assert wrong.status == 400
        async with session.post(f"{slack.base_url}/upload/v1/FNOPE", data=b"abc") as unknown:
            assert unknown.status == 404
    assert [c.status for c in slack.calls(UPLOAD_METHOD)] == [200, 400, 404]
    with pytest.raises(SlackApiError) as missing:
        await client.files_completeUploadExternal(files=[{"id": announced["file_id"], "title": "M"}],
                                                  channel_id=DEFAULT_CHANNEL_ID)
    assert missing.value.response["error"] == "file_not_found"
