"""Typed slash-command text on Slack is read by the console's reader (`commands/textargs.read_command`): its rules
hold through the real slack-bolt app too. Command and subcommand names are read whatever their case, an option given
twice is refused with nothing written, a wrong subcommand gets the real ones, and `/help qotd` explains one command."""

from __future__ import annotations

# The adapter tests' `rig` fixture is imported to be shared, so each test's `rig` parameter shadows it (F811).
# ruff: noqa: F811
from testkit.standins.slack_standin import ADMIN_ID, MEMBER_ID
from tests.adapters.test_slack_adapter import COMMUNITY, Rig, rig, texts  # noqa: F401


async def post_time(rig: Rig) -> str:
    return (await rig.services.communities.get(COMMUNITY)).post_time.strftime("%H:%M")


async def test_an_option_given_twice_is_refused_and_nothing_is_written(rig: Rig) -> None:
    twice = await rig.ask("/rounds", "time time:08:00 TIME:09:00", user_id=ADMIN_ID)
    assert twice.params["response_type"] == "ephemeral"
    assert "You gave `time` twice" in texts(twice) and "Usage: `/rounds time time:&lt;time&gt;`" in texts(twice)  # mrkdwn-escaped
    assert await post_time(rig) == "09:00"  # the default: neither 08:00 nor 09:00 was chosen for them


async def test_subcommand_names_are_read_whatever_their_case(rig: Rig) -> None:
    upper = await rig.ask("/rounds", "TIME 07:30", user_id=ADMIN_ID)
    assert "I don't know" not in texts(upper) and "07:30" in texts(upper)
    assert await post_time(rig) == "07:30"
    zone = await rig.ask("/rounds", "Timezone America/New_York", user_id=ADMIN_ID)
    assert "America/New_York" in texts(zone)  # the value keeps its case
    assert (await rig.services.communities.get(COMMUNITY)).timezone == "America/New_York"


async def test_a_wrong_subcommand_lists_the_real_ones_and_the_refusal_is_slacks_own(rig: Rig) -> None:
    bogus = await rig.ask("/rounds", "bogus")
    assert "needs a subcommand" not in texts(bogus)
    assert "`/rounds` has no subcommand `bogus`" in texts(bogus) and "`/rounds time`" in texts(bogus)
    refused = await rig.ask("/rounds", "time 07:30", user_id=MEMBER_ID)
    assert "Ask an admin" in texts(refused) and "--admin" not in texts(refused)  # the console's hint is the console's


async def test_help_for_one_command(rig: Rig) -> None:
    shown = await rig.ask("/help", "rounds time")
    assert shown.params["response_type"] == "ephemeral"
    assert "/rounds time time:&lt;time&gt;" in texts(shown) and "24-hour time" in texts(shown)
    assert "I did not understand" not in texts(await rig.ask("/help", "qotd"))
