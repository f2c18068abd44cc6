"""Proves the Discord stand-in drives a PLAIN discord.py ``Client`` + ``CommandTree`` (no project adapter).

Why: the real Discord adapter will be tested against ``tests/standins/discord_standin.py``.  Before anyone trusts
a green adapter test, the stand-in itself must be shown to carry the genuine discord.py code paths end to end:
login over REST, the gateway handshake, command sync, INTERACTION_CREATE dispatch through the tree and views,
``with_response`` callbacks that discord.py parses, follow-ups, and 429 retries.  Every test builds its own
client and stand-in and tears both down, so the tests are independent and order does not matter.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import discord
import discord.gateway
import discord.http
import pytest
import pytest_asyncio
from discord import app_commands

from testkit.standins.discord_standin import (
    APPLICATION_ID,
    BOT_USER_ID,
    GENERAL_CHANNEL_ID,
    GUILD_ID,
    MEMBER_USER_ID,
    STUDY_HALL_CHANNEL_ID,
    DiscordStandIn,
    Permission,
    client_running,
)

READY_TIMEOUT = 5.0


class PlainBot(discord.Client):
    """The smallest real client an adapter would build: a tree, optional persistent views, sync at start-up."""

    def __init__(self, *, persistent_views: tuple[discord.ui.View, ...] = ()) -> None:
        # Intents.default() asks for no privileged intent; guild_ready_timeout avoids a 2 s wait per start.
        super().__init__(intents=discord.Intents.default(), guild_ready_timeout=0.05)
        self.tree = app_commands.CommandTree(self)
        self.ready_event = asyncio.Event()
        self.views_to_register = persistent_views
        self.errors: list[BaseException] = []

        @self.tree.error
        async def record_error(interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
            self.errors.append(error)

    async def setup_hook(self) -> None:
        for view in self.views_to_register:
            self.add_view(view)
        await self.tree.sync()

    async def on_ready(self) -> None:
        self.ready_event.set()


@pytest_asyncio.fixture
async def standin() -> AsyncIterator[DiscordStandIn]:
    """A started stand-in with discord.py pointed at it; endpoints are restored afterwards."""
    original_base = discord.http.Route.BASE
    original_gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    # allowed_privileged_intents=0: the connection is refused (4014) if the client asks for a privileged intent.
    async with DiscordStandIn(allowed_privileged_intents=0) as api:
        with api.patch_discord():
            assert api.rest_base == discord.http.Route.BASE
            yield api
    assert original_base == discord.http.Route.BASE
    assert original_gateway == discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY


@asynccontextmanager
async def running(client: PlainBot, standin: DiscordStandIn) -> AsyncIterator[PlainBot]:
    """Run ``client`` against the stand-in until ready; always close it (before the stand-in stops)."""
    async with client_running(client, standin, READY_TIMEOUT):
        yield client
        assert client.errors == [], f"app command errors: {client.errors!r}"


@pytest.mark.asyncio
async def test_client_logs_in_connects_and_sees_the_guild(standin: DiscordStandIn) -> None:
    client = PlainBot()
    async with running(client, standin):
        assert client.user is not None and client.user.id == BOT_USER_ID
        assert client.application_id == APPLICATION_ID
        guild = client.get_guild(GUILD_ID)
        assert guild is not None and guild.name == "Rounds Test Guild"
        assert {c.name for c in guild.text_channels} == {"general", "study-hall"}
        assert guild.default_role.permissions.send_messages
        assert guild.me is not None and guild.me.id == BOT_USER_ID
        assert isinstance(client.get_channel(STUDY_HALL_CHANNEL_ID), discord.TextChannel)

        session = standin.connected_sessions()[-1]
        # discord.py asks for a compressed stream in the URL but accepts the stand-in's plain text frames.
        assert session.query["v"] == "10" and session.query["encoding"] == "json"
        assert "compress" in session.query
        assert session.identify is not None and session.identify["token"] == standin.token
        assert session.heartbeats >= 1  # discord.py heartbeats right after HELLO; op 11 acked it

    paths = [(c.method, c.path) for c in standin.calls]
    assert ("GET", "/users/@me") in paths
    assert ("GET", "/oauth2/applications/@me") in paths
    assert ("PUT", f"/applications/{APPLICATION_ID}/commands") in paths
    assert standin.unknown_calls == []

    # A JSON answer carries exactly "application/json", or discord.py would hand back text.
    async with aiohttp.ClientSession() as http, http.get(standin.rest_base + "/gateway") as response:
        assert response.headers["Content-Type"] == "application/json"
        assert (await response.json())["url"] == standin.gateway_url


@pytest.mark.asyncio
async def test_bad_token_is_a_login_failure(standin: DiscordStandIn) -> None:
    client = PlainBot()
    with pytest.raises(discord.LoginFailure):
        await client.login("not-the-token")
    await client.close()
    assert standin.calls[-1].status == 401


@pytest.mark.asyncio
async def test_slash_command_gets_an_ephemeral_reply(standin: DiscordStandIn) -> None:
    client = PlainBot()
    seen: dict[str, Any] = {}
    answered = asyncio.Event()

    @client.tree.command(name="ping", description="Check the bot is awake")
    async def ping(interaction: discord.Interaction) -> None:
        seen["user"] = interaction.user.id
        seen["channel"] = interaction.channel_id
        seen["can_manage"] = interaction.permissions.manage_guild
        seen["response"] = await interaction.response.send_message("pong", ephemeral=True)
        answered.set()

    async with running(client, standin):
        registered = standin.registered_commands()
        assert [c["name"] for c in registered] == ["ping"] and registered[0]["id"]

        sent = await standin.send_interaction(standin.slash_command("ping"))
        callback = await standin.wait_for_callback(sent["id"])

        assert callback.status == 200
        assert callback.query["with_response"] == "1"
        assert callback.json["type"] == 4
        assert callback.json["data"]["content"] == "pong"
        assert callback.json["data"]["flags"] & 64 == 64

        # discord.py parsed the {"interaction", "resource"} answer into an InteractionCallbackResponse.
        await asyncio.wait_for(answered.wait(), timeout=2)
        response = seen["response"]
        assert isinstance(response, discord.InteractionCallbackResponse)
        assert response.is_ephemeral() and response.message_id is not None
        assert isinstance(response.resource, discord.InteractionMessage)

        assert seen["user"] == MEMBER_USER_ID and seen["channel"] == GENERAL_CHANNEL_ID
        assert seen["can_manage"] is False
        latency = standin.ack_latency(sent["id"])
        assert latency is not None and 0 < latency < 3

        # The same interaction cannot be acknowledged twice (Discord's 40060).
        assert [c.status for c in standin.callbacks_for(sent["id"])] == [200]
        [message] = standin.channel_messages(GENERAL_CHANNEL_ID)
        assert message["content"] == "pong" and message["flags"] & 64


@pytest.mark.asyncio
async def test_nested_group_options_and_autocomplete_reach_the_command(standin: DiscordStandIn) -> None:
    client = PlainBot()
    rounds = app_commands.Group(name="rounds", description="Rounds settings")
    config = app_commands.Group(name="config", description="Configure the community", parent=rounds)
    received: list[tuple[str, bool]] = []

    @config.command(name="time", description="Daily question time (HH:MM)")
    @app_commands.describe(value="Time as HH:MM")
    async def config_time(interaction: discord.Interaction, value: str) -> None:
        received.append((value, interaction.permissions.manage_guild))
        await interaction.response.send_message(f"Daily question at {value}", ephemeral=True)

    @config_time.autocomplete("value")
    async def suggest(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        times = ["07:00", "08:30", "09:00", "09:30", "21:00"]
        return [app_commands.Choice(name=t, value=t) for t in times if t.startswith(current)]

    client.tree.add_command(rounds)
    async with running(client, standin):
        # The synced JSON shows group (type 2) > subcommand (type 1) > string option (type 3).
        [command] = standin.registered_commands()
        group = command["options"][0]
        assert (group["name"], group["type"]) == ("config", 2)
        assert (group["options"][0]["name"], group["options"][0]["type"]) == ("time", 1)

        sent = await standin.send_interaction(
            standin.slash_command("rounds config time", {"value": "09:00"}, member_permissions=Permission.MANAGE_GUILD)
        )
        callback = await standin.wait_for_callback(sent["id"])
        assert sent["data"]["options"][0]["options"][0]["options"] == [{"name": "value", "type": 3, "value": "09:00"}]
        assert callback.json["data"]["content"] == "Daily question at 09:00"
        assert received == [("09:00", True)]

        typed = await standin.send_interaction(standin.autocomplete("rounds config time", {"value": "09"}))
        suggestion = await standin.wait_for_callback(typed["id"])
        assert suggestion.json["type"] == 8
        assert [c["value"] for c in suggestion.json["data"]["choices"]] == ["09:00", "09:30"]
        assert received == [("09:00", True)]  # autocomplete never runs the command itself


class AnswerView(discord.ui.View):
    """A question card with answer buttons, bound to the message it is sent with."""

    def __init__(self, pressed: list[str]) -> None:
        super().__init__(timeout=60)
        self.pressed = pressed

    @discord.ui.button(label="B", custom_id="rounds:answer:B", style=discord.ButtonStyle.primary)
    async def answer_b(self, interaction: discord.Interaction, button: discord.ui.Button[AnswerView]) -> None:
        self.pressed.append(f"{button.custom_id} by {interaction.user.id}")
        await interaction.response.edit_message(content="You picked B", view=None)


class StreakView(discord.ui.View):
    """A persistent view (no timeout, explicit custom_id): matched on custom_id alone, even after a restart."""

    def __init__(self, pressed: list[str]) -> None:
        super().__init__(timeout=None)
        self.pressed = pressed

    @discord.ui.button(label="Check in", custom_id="rounds:streak:checkin")
    async def check_in(self, interaction: discord.Interaction, button: discord.ui.Button[StreakView]) -> None:
        self.pressed.append(button.custom_id or "")
        await interaction.response.send_message("Checked in", ephemeral=True)


@pytest.mark.asyncio
async def test_button_presses_reach_bound_and_persistent_views(standin: DiscordStandIn) -> None:
    pressed: list[str] = []
    client = PlainBot(persistent_views=(StreakView(pressed),))

    @client.tree.command(name="question", description="Post a question card")
    async def question(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("Which nerve? A / B", view=AnswerView(pressed))

    async with running(client, standin):
        posted = await standin.send_interaction(standin.slash_command("question"))
        card_callback = await standin.wait_for_callback(posted["id"])
        card_id = card_callback.response["resource"]["message"]["id"]
        button = card_callback.json["data"]["components"][0]["components"][0]
        assert button["custom_id"] == "rounds:answer:B"

        press = await standin.send_interaction(standin.component("rounds:answer:B", message_id=card_id))
        update = await standin.wait_for_callback(press["id"])
        assert update.status == 200 and update.json["type"] == 7
        assert pressed == [f"rounds:answer:B by {MEMBER_USER_ID}"]
        card = standin.message(card_id)
        assert card is not None and card["content"] == "You picked B" and card["components"] == []

        check_in = await standin.send_interaction(standin.component("rounds:streak:checkin"))
        reply = await standin.wait_for_callback(check_in["id"])
        assert reply.json["type"] == 4 and reply.json["data"]["flags"] & 64
        assert pressed[-1] == "rounds:streak:checkin"


@pytest.mark.asyncio
async def test_rate_limited_channel_message_is_retried(standin: DiscordStandIn) -> None:
    client = PlainBot()
    async with running(client, standin):
        channel = client.get_channel(STUDY_HALL_CHANNEL_ID)
        assert isinstance(channel, discord.TextChannel)
        standin.rate_limit_next(f"/channels/{STUDY_HALL_CHANNEL_ID}/messages", retry_after=0.2)

        message = await asyncio.wait_for(channel.send("Question of the day: ..."), timeout=3)

        attempts = standin.calls_to("POST", f"/channels/{STUDY_HALL_CHANNEL_ID}/messages")
        assert [a.status for a in attempts] == [429, 200]
        assert attempts[0].response["retry_after"] == 0.2
        assert attempts[1].received_at - attempts[0].received_at >= 0.19
        assert message.content == "Question of the day: ..."
        assert [m["content"] for m in standin.channel_messages(STUDY_HALL_CHANNEL_ID)] == ["Question of the day: ..."]


@pytest.mark.asyncio
async def test_deferred_reply_edit_and_rate_limited_follow_up(standin: DiscordStandIn) -> None:
    client = PlainBot()
    followup: dict[str, discord.WebhookMessage | None] = {}
    done = asyncio.Event()

    @client.tree.command(name="recap", description="Weekly recap")
    async def recap(interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        await interaction.edit_original_response(content="Recap: 5 questions answered")
        followup["message"] = await interaction.followup.send("Keep the streak!", wait=True)
        done.set()

    async with running(client, standin):
        sent = await standin.send_interaction(standin.slash_command("recap"))
        token_path = f"/webhooks/{APPLICATION_ID}/{sent['token']}"
        standin.rate_limit_next(token_path, retry_after=0.1, method="POST")

        defer = await standin.wait_for_callback(sent["id"])
        assert defer.json["type"] == 5 and defer.response["interaction"]["response_message_loading"] is True
        await standin.wait_for(lambda c: c.method == "POST" and c.path == token_path and c.status == 200)

        edits = [c for c in standin.webhook_calls_for(sent["id"]) if c.method == "PATCH"]
        assert [e.path for e in edits] == [token_path + "/messages/@original"]
        assert [c.status for c in standin.webhook_calls_for(sent["id"]) if c.method == "POST"] == [429, 200]
        contents = [m["content"] for m in standin.channel_messages(GENERAL_CHANNEL_ID)]
        assert contents == ["Recap: 5 questions answered", "Keep the streak!"]
        await asyncio.wait_for(done.wait(), timeout=2)
        message = followup["message"]
        assert message is not None and message.content == "Keep the streak!"


@pytest.mark.asyncio
async def test_discord_rules_surface_as_the_errors_discord_would_send(standin: DiscordStandIn) -> None:
    client = PlainBot()
    standin.ack_deadline = 0.1  # Discord allows 3 s; shortened so the test stays fast

    @client.tree.command(name="essay", description="Replies with too much text")
    async def essay(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("x" * 2001)

    @client.tree.command(name="slow", description="Acknowledges too late")
    async def slow(interaction: discord.Interaction) -> None:
        await asyncio.sleep(0.2)
        await interaction.response.send_message("finally")

    async with running(client, standin):
        too_long = await standin.send_interaction(standin.slash_command("essay"))
        rejected = await standin.wait_for_callback(too_long["id"])
        assert rejected.status == 400 and rejected.response["code"] == 50035

        late = await standin.send_interaction(standin.slash_command("slow"))
        expired = await standin.wait_for_callback(late["id"])
        assert expired.status == 404 and expired.response["code"] == 10062
        assert standin.ack_latency(late["id"]) is None

        for _ in range(100):
            if len(client.errors) == 2:
                break
            await asyncio.sleep(0.01)
        codes = [getattr(e.__cause__, "code", None) for e in client.errors]
        assert codes == [50035, 10062]
        client.errors.clear()  # expected here; running() asserts there are no *unexpected* errors


@pytest.mark.asyncio
async def test_gateway_reconnect_resumes_and_interactions_keep_flowing(standin: DiscordStandIn) -> None:
    client = PlainBot()

    @client.tree.command(name="streak", description="Show a streak")
    @app_commands.describe(member="Whose streak")
    async def streak(interaction: discord.Interaction, member: discord.Member) -> None:
        await interaction.response.send_message(f"{member.display_name}: 3 days", ephemeral=True)

    async with running(client, standin):
        first = standin.connected_sessions()[-1]
        await standin.request_reconnect()
        resumed = await standin.wait_until_connected(new=True)
        assert resumed is not first and resumed.resumed and resumed.session_id == first.session_id
        assert [f["op"] for f in resumed.received if f["op"] in (2, 6)] == [6]  # RESUME, not a new IDENTIFY

        # The member option is typed from the synced command and resolved to a Member, as Discord does.
        sent = await standin.send_interaction(standin.slash_command("streak", {"member": MEMBER_USER_ID}))
        callback = await standin.wait_for_callback(sent["id"])
        assert sent["data"]["options"][0]["type"] == 6
        assert callback.json["data"]["content"] == "IMG Student: 3 days"
