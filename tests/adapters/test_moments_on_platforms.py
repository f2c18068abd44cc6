"""Moments and member options through the real discord.py and slack-bolt code paths, against the stand-ins.

A reveal time reaches Discord as its own `<t:UNIX:STYLE>` and Slack as `<!date^UNIX^…|fallback>`, both drawn in each
reader's zone; a `member` option is a USER option on Discord and a `<@U…|name>` mention (or a user picker) on Slack,
and the handler gets the same kind of Member either way. The member option is declared only in a test package
(`tests/adapters/member_lab`): no adapter code names it.
"""

from __future__ import annotations

# The adapter tests' fixtures are imported to be shared, so each test's parameter shadows them (F811).
# ruff: noqa: F811
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from bots.slack.app import EVENTS_PATH, create_adapter
from core.clock import FrozenClock
from core.settings import Settings
from testkit.discord_harness import catalog_with, running_bot
from testkit.standins.discord_standin import GUILD_ID, MEMBER_USER_ID, DiscordStandIn
from testkit.standins.slack_standin import DEFAULT_CHANNEL_ID, MEMBER_ID, SlackStandIn, serve_web_app
from tests.adapters import member_lab
from tests.adapters.test_discord_adapter import ask_qotd, buttons_of, command, data_of, press, standin  # noqa: F401
from tests.adapters.test_slack_adapter import SECRET, Rig, buttons, config, texts

MEMBER_LAB = member_lab.__name__
START = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # the shared test clock's start (tests/conftest.py)
UNIX_NOW = int(START.timestamp())
REVEAL = int(datetime(2026, 11, 24, 22, 0, tzinfo=UTC).timestamp())  # first asked at 10:00, revealed 12 h later
CHANGE_UNTIL = UNIX_NOW + 10  # the window for undoing a mis-tap


@pytest.fixture
async def rig(db_path: str, clock: FrozenClock) -> AsyncIterator[Rig]:
    """The Slack adapter with the member lab's command beside the real ones."""
    async with SlackStandIn() as slack:
        adapter = await create_adapter(Settings(db_path=db_path), config(slack), clock=clock,
                                       catalog=catalog_with(MEMBER_LAB))
        try:
            async with serve_web_app(adapter.web_app()) as base:
                yield Rig(slack, adapter, base + EVENTS_PATH, clock)
        finally:
            await adapter.close()


# ------------------------------------------------------------------------------------------------------- Discord


async def test_a_reveal_time_reaches_discord_as_its_own_timestamp(standin: DiscordStandIn, db_path: str,
                                                                  clock: FrozenClock) -> None:
    async with running_bot(standin, db_path, clock=clock) as bot:
        _, message = await ask_qotd(standin)
        post_id = int(buttons_of(message)[1]["custom_id"].split(":")[2])
        assert int((await bot.services.qotd.post(post_id)).reveal_at.timestamp()) == REVEAL

        pressed = await press(standin, buttons_of(message)[1]["custom_id"], message["id"])
        content = data_of(pressed)["content"]
        assert f"until **<t:{CHANGE_UNTIL}:T>** to change it" in content
        assert f"revealed at **<t:{REVEAL}:f>**." in content
        assert "<t:" not in content.replace(f"<t:{CHANGE_UNTIL}:T>", "").replace(f"<t:{REVEAL}:f>", "")
        assert "UTC" not in content  # Discord names no zone: each reader sees their own
        assert data_of(pressed)["allowed_mentions"] == {"parse": []}  # the timestamp survives the no-pings rule


async def test_a_member_option_is_a_discord_user_option_handed_on_as_a_member(standin: DiscordStandIn, db_path: str,
                                                                            clock: FrozenClock) -> None:
    async with running_bot(standin, db_path, clock=clock, catalog=catalog_with(MEMBER_LAB)):
        [synced] = [c for c in standin.registered_commands() if c["name"] == "whois"]
        assert synced["options"] == [{"type": 6, "name": "member", "description": "Who", "required": True}]

        named = await command(standin, "whois", {"member": str(MEMBER_USER_ID)})
        assert data_of(named)["content"] == (f"id='discord:{MEMBER_USER_ID}' name='IMG Student' display='IMG Student' "
                                             f"asked at <t:{UNIX_NOW}:t>")

        stranger = await command(standin, "whois", {"member": str(GUILD_ID + 999)})  # no resolved data for this id
        assert data_of(stranger)["content"] == "I can't see that member. Pick one from the list Discord offers."


# --------------------------------------------------------------------------------------------------------- Slack


async def test_a_reveal_time_reaches_slack_as_its_date_markup(rig: Rig) -> None:
    question = await rig.ask("/qotd")
    pressed = await rig.press(buttons(question)[1]["action_id"], ephemeral=True)
    shown = texts(pressed)
    assert (f"revealed at *<!date^{REVEAL}^{{date_short_pretty}} {{time}}|Tue 24 Nov, 22:00 UTC>*." in shown)
    assert f"until *<!date^{CHANGE_UNTIL}^{{time_secs}}|10:00:10 UTC>* to change it" in shown
    assert "&lt;!date" not in shown and "<t:" not in shown  # not escaped, and no neutral token left


async def test_a_slack_mention_names_the_member_and_garbage_is_told_what_to_type(rig: Rig) -> None:
    named = await rig.ask("/whois", "<@U0BOB|bob>")
    assert (f"id='slack:U0BOB' name='bob' display='bob' asked at <!date^{UNIX_NOW}^{{time}}|10:00 UTC>"
            in texts(named))
    bare = await rig.ask("/whois", "<@U0BOB>")
    assert "id='slack:U0BOB' name='' display='U0BOB'" in texts(bare)

    garbage = await rig.ask("/whois", "bob")
    assert garbage.params["response_type"] == "ephemeral"
    assert "`member` takes a mention, like @alice." in texts(garbage)


async def test_a_missing_member_is_picked_in_a_slack_modal(rig: Rig) -> None:
    await rig.command("/whois", "")
    opened = await rig.slack.wait_for_call("views.open")
    view = opened.get("view")
    [field] = [b for b in view["blocks"] if b["type"] == "input"]
    assert field["element"]["type"] == "users_select"

    values = {"member": {"value": {"type": "users_select", "selected_user": "U0BOB"}}}
    submission = rig.slack.view_submission_payload(view["callback_id"], values, private_metadata=view["private_metadata"])
    answered = await rig.slack.send_interactive(rig.url, submission, secret=SECRET)
    assert answered.status == 200
    said = await rig.slack.wait_for_call("chat.postEphemeral")
    assert said.get("user") == MEMBER_ID and said.get("channel") == DEFAULT_CHANNEL_ID
    assert "id='slack:U0BOB' name=''" in texts(said)
