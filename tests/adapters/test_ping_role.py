"""The ping role through the real SDKs: `/rounds ping-role` on Discord and Slack, then the daily post as the
platform receives it. Discord gets the role's mention allowed on that one message (every other message allows
none); Slack gets the user group's `<!subteam^…>` mention."""
# ruff: noqa: F811  (the stand-in and rig fixtures are imported and named by the tests that use them)

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

from bots.slack.notifier import SlackNotifier
from commands.runtime import bind_duties
from core.clock import FrozenClock
from core.community.members import namespaced
from core.engine.duties import Duty
from core.qotd.daily import REVEAL
from testkit.discord_harness import running_bot
from testkit.standins.discord_standin import (
    ADMIN_USER_ID,
    GUILD_ID,
    MODERATOR_ROLE_ID,
    STUDY_HALL_CHANNEL_ID,
    DiscordStandIn,
    RecordedCall,
)
from testkit.standins.slack_standin import ADMIN_ID, DEFAULT_CHANNEL_ID
from tests.adapters.test_discord_notifier import standin  # noqa: F401  (a fixture: the Discord stand-in)
from tests.adapters.test_slack_adapter import (  # noqa: F401  (fixtures: the Slack rig, and no proxy for 127.0.0.1)
    COMMUNITY,
    Rig,
    _no_proxy_env,
    rig,
)

NO_PINGS = {"parse": []}
GROUP = "S0STUDY"


async def discord_command(standin: DiscordStandIn, name: str, options: dict[str, Any] | None = None) -> RecordedCall:
    sent = await standin.send_interaction(standin.slash_command(name, options, user=ADMIN_USER_ID))
    return await standin.wait_for_callback(sent["id"])


async def reveal_planned(services: Any, community_id: str, timeout: float = 5.0) -> Duty:
    """The channel reveal, planned once the bot has recorded the post as out: the stand-in sees the post a moment
    before, and the reveal counts from when the post went out, so the clock must not move in between."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not (planned := await services.duties.pending(REVEAL, community_id)):
        assert asyncio.get_running_loop().time() < deadline, "the reveal was never planned"
        await asyncio.sleep(0.01)
    [reveal] = planned
    return reveal


async def test_discord_daily_post_may_ping_the_role_and_nothing_else_may(standin: DiscordStandIn, db_path: str,
                                                                          clock: FrozenClock) -> None:
    posts = f"/channels/{STUDY_HALL_CHANNEL_ID}/messages"
    async with running_bot(standin, db_path, clock=clock) as bot:
        set_role = await discord_command(standin, "rounds ping-role", {"role": MODERATOR_ROLE_ID})
        assert f"<@&{MODERATOR_ROLE_ID}>" in set_role.json["data"]["content"]
        assert set_role.json["data"]["allowed_mentions"] == NO_PINGS  # the confirmation names the role, pings nobody
        settings = await discord_command(standin, "rounds settings")
        fields = {f["name"]: f["value"] for f in settings.json["data"]["embeds"][0]["fields"]}
        assert fields["Ping"] == f"<@&{MODERATOR_ROLE_ID}>"

        await discord_command(standin, "rounds channel", {"channel": STUDY_HALL_CHANNEL_ID})  # after 09:00: posts now
        announced = await standin.wait_for(lambda c: c.method == "POST" and c.path == posts and c.status == 200)
        assert announced.json["content"] == f"<@&{MODERATOR_ROLE_ID}>"
        assert announced.json["allowed_mentions"] == {"parse": [], "roles": [MODERATOR_ROLE_ID]}
        assert announced.json["embeds"][0]["title"].startswith("Question of the day")
        reveal = await reveal_planned(bot.services, namespaced("discord", GUILD_ID))
        assert reveal.due_at == clock.now() + timedelta(hours=12)

        clock.advance(hours=12)
        bot.services.alarm.arm(clock.now())
        revealed = await standin.wait_for(lambda c: c.method == "POST" and c.path == posts and c is not announced
                                          and "Answer revealed" in str(c.json))
        assert revealed.json["embeds"][0]["title"].startswith("Answer revealed")
        assert revealed.json["allowed_mentions"] == NO_PINGS and str(MODERATOR_ROLE_ID) not in json.dumps(revealed.json)


async def test_slack_daily_post_mentions_the_user_group(rig: Rig) -> None:
    for text in (f"ping-role <!subteam^{GROUP}|@students>", "channel"):  # after 09:00: today's post is due at once
        confirmed = await rig.ask("/rounds", text, user_id=ADMIN_ID)
        assert confirmed.params["response_type"] == "ephemeral"
    assert (await rig.services.communities.get(COMMUNITY)).ping_role == GROUP

    rig.services.runner.serve(*bind_duties(rig.services, [SlackNotifier(rig.adapter.client)]))
    assert await rig.services.runner.run_due() == 1
    posted = await rig.slack.wait_for_call("chat.postMessage")
    assert posted.ok and posted.get("channel") == DEFAULT_CHANNEL_ID
    assert posted.get("text").startswith(f"<!subteam^{GROUP}>")
    assert posted.get("blocks")[0] == {"type": "section", "text": {"type": "mrkdwn", "text": f"<!subteam^{GROUP}>"}}

    rig.clock.advance(hours=12)
    assert await rig.services.runner.run_due() == 1
    revealed = rig.slack.calls("chat.postMessage")[-1]
    assert revealed is not posted and "subteam" not in json.dumps(revealed.params)
