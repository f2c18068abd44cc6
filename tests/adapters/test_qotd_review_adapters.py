"""The review's buttons and the private reveal card through the real discord.py and slack-bolt, against the
stand-ins: what the console tests check, as each platform renders it."""

from __future__ import annotations

import json
from typing import Any

from core.clock import FrozenClock
from core.questions.model import LETTERS
from testkit.discord_harness import running_bot
from testkit.standins.discord_standin import DiscordStandIn
from tests.adapters.test_discord_adapter import EPHEMERAL, ask_qotd, buttons_of, command, data_of, press, standin
from tests.adapters.test_slack_adapter import Rig, buttons, rig, texts

__all__ = ["rig", "standin"]  # the fixtures, shared with the adapters' own tests


async def wrong_letter(services: Any, custom_id: str) -> str:
    post = await services.qotd.post(int(custom_id.split(":")[2]))
    right = (await services.bank.get(post.question_id)).answer
    return next(x for x in LETTERS if x != right)


def custom_id_of(elements: list[dict[str, Any]], label: str, key: str) -> str:
    return next(e[key] for e in elements if (e["label"] if "label" in e else e["text"]["text"]) == label)


async def test_discord_review_pages_with_next_and_back(standin: DiscordStandIn, db_path: str, clock: FrozenClock) -> None:
    async with running_bot(standin, db_path, clock=clock) as bot:
        await ask_qotd(standin)  # day 1: seen, skipped
        clock.advance(days=1)
        _, shown = await ask_qotd(standin)  # day 2: answered wrongly
        wrong = await wrong_letter(bot.services, buttons_of(shown)[0]["custom_id"])
        await press(standin, custom_id_of(buttons_of(shown), wrong, "custom_id"), shown["id"])
        clock.advance(days=1)

        review = await command(standin, "qotd-review")
        first = data_of(review)
        assert first["flags"] & EPHEMERAL and "1 of 2" in first["content"]
        assert [b["label"] for b in buttons_of(first)] == [*LETTERS, "Next"]
        assert all(len(b["custom_id"]) <= 100 for b in buttons_of(first))

        message = review.response["resource"]["message"]
        page = data_of(await press(standin, custom_id_of(buttons_of(first), "Next", "custom_id"), message["id"]))
        assert page["flags"] & EPHEMERAL and "2 of 2" in page["content"] and f"you chose **{wrong}**" in page["content"]
        assert [b["label"] for b in buttons_of(page)] == ["Report a problem", "Back"]  # with the explanation
        post_id = buttons_of(shown)[0]["custom_id"].split(":")[2]
        assert buttons_of(page)[0]["custom_id"] == f"rounds:form:qotd-report:post={post_id}"
        explanation = page["embeds"][1]
        assert explanation["title"] == "Explanation" and "← your answer" in explanation["description"]


async def test_discord_qotd_after_the_reveal_is_the_reveal_card(standin: DiscordStandIn, db_path: str, clock: FrozenClock) -> None:
    async with running_bot(standin, db_path, clock=clock) as bot:
        _, shown = await ask_qotd(standin)
        wrong = await wrong_letter(bot.services, buttons_of(shown)[0]["custom_id"])
        await press(standin, custom_id_of(buttons_of(shown), wrong, "custom_id"), shown["id"])
        clock.advance(hours=13)

        callback, message = await ask_qotd(standin)
        data = data_of(callback)
        assert data["flags"] & EPHEMERAL and "not quite" in data["content"]
        post_id = buttons_of(shown)[0]["custom_id"].split(":")[2]
        assert [(b["label"], b["custom_id"]) for b in buttons_of(data)] == [  # no answer buttons, only the report
            ("Report a problem", f"rounds:form:qotd-report:post={post_id}")]
        reveal = data["embeds"][1]
        assert reveal["title"].startswith("Answer revealed")
        fields = {f["name"]: f["value"] for f in reveal["fields"]}
        assert f"{wrong}: 100% (1) ← your answer" in fields["Answers"] and fields["References"]


async def test_slack_review_pages_with_next_and_back(rig: Rig) -> None:
    await rig.ask("/qotd")  # day 1: seen, skipped
    rig.clock.advance(days=1)
    shown = await rig.ask("/qotd")
    wrong = await wrong_letter(rig.services, buttons(shown)[0]["action_id"])
    await rig.press(custom_id_of(buttons(shown), wrong, "action_id"), ephemeral=True)
    rig.clock.advance(days=1)

    first = await rig.ask("/qotd-review")
    assert first.params["response_type"] == "ephemeral" and "1 of 2" in texts(first)
    assert [b["text"]["text"] for b in buttons(first)] == [*LETTERS, "Next"]

    page = await rig.press(custom_id_of(buttons(first), "Next", "action_id"), ephemeral=True)
    assert "2 of 2" in texts(page) and "← your answer" in texts(page) and "Explanation" in texts(page)
    assert [b["text"]["text"] for b in buttons(page)] == ["Report a problem", "Back"]  # with the explanation
    post_id = buttons(shown)[0]["action_id"].split(":")[2]
    assert buttons(page)[0]["action_id"] == f"rounds:form:qotd-report:post={post_id}"
    back = await rig.press(custom_id_of(buttons(page), "Back", "action_id"), ephemeral=True)
    assert "1 of 2" in texts(back)


async def test_slack_qotd_after_the_reveal_is_the_reveal_card(rig: Rig) -> None:
    shown = await rig.ask("/qotd")
    wrong = await wrong_letter(rig.services, buttons(shown)[0]["action_id"])
    await rig.press(custom_id_of(buttons(shown), wrong, "action_id"), ephemeral=True)
    rig.clock.advance(hours=13)

    card = await rig.ask("/qotd")
    assert card.params["response_type"] == "ephemeral"
    post_id = buttons(shown)[0]["action_id"].split(":")[2]
    assert [(b["text"]["text"], b["action_id"]) for b in buttons(card)] == [  # no answer buttons, only the report
        ("Report a problem", f"rounds:form:qotd-report:post={post_id}")]
    shown_text = texts(card)
    assert "Answer revealed" in shown_text and f"{wrong}: 100% (1) ← your answer" in shown_text
    assert "References" in shown_text and json.loads(shown_text)["blocks"]
