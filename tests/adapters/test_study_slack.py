"""Study sessions through the real slack-bolt code paths, against the Slack stand-in (whose `chat.postMessage` and
`chat.update` refuse a malformed `<!date^…>` token, as Slack does): the command's reply, the card a duty posts and
edits, and an RSVP pressed on it. Every time reaches Slack as date markup drawn in each reader's zone."""

from __future__ import annotations

# The adapter tests' fixtures are imported to be shared, so each test's parameter shadows them (F811).
# ruff: noqa: F811
import json
from datetime import UTC, datetime

from bots.slack.notifier import SlackNotifier
from commands.runtime import bind_duties
from testkit.standins.slack_standin import DEFAULT_CHANNEL_ID
from tests.adapters.test_slack_adapter import Rig, buttons, rig, texts  # noqa: F401

START = int(datetime(2026, 11, 24, 20, 0, tzinfo=UTC).timestamp())  # "tue 8pm" on the shared clock's Tuesday
LONG = f"<!date^{START}^{{date_long_pretty}} {{time}}|Tuesday 24 November, 20:00 UTC>"


def serve_duties(rig: Rig) -> None:
    rig.services.runner.serve(*bind_duties(rig.services, [SlackNotifier(rig.adapter.client)]))


async def test_a_session_reaches_slack_as_date_markup_its_card_is_posted_and_an_rsvp_updates_it(rig: Rig) -> None:
    serve_duties(rig)
    reply = await rig.ask("/study", 'new topic:"Cardio review" when:tue 8pm')
    assert reply.params["response_type"] == "ephemeral"
    assert LONG in texts(reply) and "&lt;!date" not in texts(reply)
    await rig.services.runner.run_due()
    [card] = [m for m in rig.slack.channel_messages(DEFAULT_CHANNEL_ID) if "Cardio review" in json.dumps(m)]
    assert LONG in json.dumps(card["blocks"], ensure_ascii=False)  # accepted by the stand-in's date validator
    going = next(b for b in buttons(rig.slack.calls("chat.postMessage")[-1]) if b["text"]["text"] == "Going")
    pressed = await rig.press(going["action_id"], ephemeral=True)
    assert "You're going to #1" in texts(pressed)
    rig.clock.advance(seconds=6)
    await rig.services.runner.run_due()
    [update] = rig.slack.calls("chat.update")
    assert update.get("ts") == card["ts"] and "✅ Going*\\n1" in texts(update)
    assert LONG in texts(update)


async def test_a_bad_time_on_slack_is_one_private_line(rig: Rig) -> None:
    reply = await rig.ask("/study", "new topic:Renal when:next blursday")
    assert reply.params["response_type"] == "ephemeral"
    assert "`tue 8pm`" in texts(reply)
