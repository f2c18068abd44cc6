"""The library on the real SDKs against the stand-ins: on Discord `/resource suggest` answers with a modal (callback
type 9) whose submission queues the suggestion, `/resource search` offers titles as autocomplete, and the roadmap is
`/roadmap show`; on Slack a bare `/resource suggest` opens its form with views.open and the submission is queued."""

from __future__ import annotations

from typing import Any

from core.clock import FrozenClock
from testkit.discord_harness import running_bot
from testkit.standins.discord_standin import GUILD_ID, MEMBER_USER_ID, DiscordStandIn
from testkit.standins.slack_standin import MEMBER_ID, TEAM_ID
from tests.adapters.test_discord_adapter import EPHEMERAL, command, standin
from tests.adapters.test_discord_reports import submit
from tests.adapters.test_slack_adapter import SECRET, Rig, _no_proxy_env, rig, texts

__all__ = ["_no_proxy_env", "rig", "standin"]


def data_of(call: Any) -> dict[str, Any]:
    return call.json["data"]


async def test_discord_suggest_opens_a_modal_whose_submission_is_queued(standin: DiscordStandIn, db_path: str,
                                                                       clock: FrozenClock) -> None:
    async with running_bot(standin, db_path, clock=clock) as bot:
        synced = {c["name"]: c for c in standin.registered_commands()}
        subs = {o["name"]: o for o in synced["resource"]["options"]}
        assert set(subs) == {"search", "suggest", "queue"}
        assert not subs["suggest"].get("options")  # a form command takes nothing: its modal asks
        opened = await command(standin, "resource suggest", user=MEMBER_USER_ID)
        assert opened.status == 200 and opened.json["type"] == 9
        modal = data_of(opened)
        inputs = [row["components"][0] for row in modal["components"]]
        assert [(i["custom_id"], i["required"]) for i in inputs] == [
            ("title", True), ("link", True), ("note", False), ("tags", False)]
        assert await bot.services.resources.pending(f"discord:{GUILD_ID}") == []
        done = await submit(standin, modal["custom_id"], {"title": "IMG survival guide", "link": "https://example.org/g",
                                                         "note": "", "tags": "usce"}, user=MEMBER_USER_ID)
        assert done.json["type"] == 4 and data_of(done)["flags"] & EPHEMERAL
        assert data_of(done)["content"].startswith("🙏 Thanks! Suggestion #1")
        [queued] = await bot.services.resources.pending(f"discord:{GUILD_ID}")
        assert (queued.title, queued.url, queued.author_id) == ("IMG survival guide", "https://example.org/g",
                                                                f"discord:{MEMBER_USER_ID}")
    assert standin.unknown_calls == []


async def test_discord_search_autocompletes_titles_and_answers_in_ranked_lines(standin: DiscordStandIn, db_path: str,
                                                                              clock: FrozenClock) -> None:
    async with running_bot(standin, db_path, clock=clock):
        typed = await standin.send_interaction(standin.autocomplete("resource search", {"query": "observ"}))
        choices = data_of(await standin.wait_for_callback(typed["id"]))["choices"]
        assert choices and any("Observership" in c["name"] for c in choices) and len(choices) <= 25
        answered = await command(standin, "resource search", {"query": "what counts as usce"}, user=MEMBER_USER_ID)
        content = data_of(answered)["content"]
        assert "\n1. " in content and "\n2. " in content and data_of(answered)["flags"] & EPHEMERAL
        roadmap = await command(standin, "roadmap show", user=MEMBER_USER_ID)
        assert data_of(roadmap)["embeds"][0]["title"] == "🗺 Your roadmap · 0 of 15 done"
    assert standin.unknown_calls == []


async def test_slack_bare_suggest_opens_its_form_and_the_submission_is_queued(rig: Rig) -> None:
    delivery = await rig.command("/resource", "suggest")
    opened = await rig.slack.wait_for_call("views.open")
    assert opened.ok and opened.get("trigger_id") == delivery.sent["trigger_id"]
    view = opened.get("view")
    assert [b["block_id"] for b in view["blocks"] if b["type"] == "input"] == ["title", "link", "note", "tags"]
    values = {"title": {"value": {"type": "plain_text_input", "value": "Residency interview drills"}},
              "link": {"value": {"type": "plain_text_input", "value": "https://example.org/drills"}}}
    payload = rig.slack.view_submission_payload(view["callback_id"], values, private_metadata=view["private_metadata"])
    assert (await rig.slack.send_interactive(rig.url, payload, secret=SECRET)).status == 200
    confirmation = await rig.slack.wait_for_call("chat.postEphemeral")
    assert "Suggestion #1" in texts(confirmation)
    [queued] = await rig.services.resources.pending(f"slack:{TEAM_ID}")
    assert queued.title == "Residency interview drills" and queued.author_id == f"slack:{MEMBER_ID}"
    found = await rig.ask("/resource", "ecfmg certifcation")
    assert "1. " in texts(found)
