"""Reporting a problem on Discord, through the real discord.py against the stand-in: the button on a revealed
explanation opens a modal (callback type 9), the MODAL_SUBMIT stores the report before the reply, and the admins'
`/rounds reports` lists it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from core.clock import FrozenClock
from core.qotd.reporting import NOTE_LIMIT
from core.storage.schema import question_reports
from testkit.discord_harness import running_bot
from testkit.standins.discord_standin import ADMIN_USER_ID, MEMBER_USER_ID, DiscordStandIn, RecordedCall
from tests.adapters.test_discord_adapter import EPHEMERAL, buttons_of, command, press, standin

__all__ = ["standin"]  # the stand-in fixture, shared with the adapter's other tests


async def submit(standin: DiscordStandIn, custom_id: str, fields: dict[str, str], **kw: Any) -> RecordedCall:
    sent = await standin.send_interaction(standin.modal_submit(custom_id, fields, **kw))
    return await standin.wait_for_callback(sent["id"])


async def report_button(standin: DiscordStandIn) -> tuple[dict[str, Any], str]:
    """The member answers with the reveal set to immediately: the explanation comes with the report button."""
    await command(standin, "rounds reveal", {"delay": "immediately"}, user=ADMIN_USER_ID)
    shown = await command(standin, "qotd", user=MEMBER_USER_ID)
    message = shown.response["resource"]["message"]
    feedback = await press(standin, buttons_of(message)[1]["custom_id"], message["id"], user=MEMBER_USER_ID)
    [button] = buttons_of(feedback.json["data"])
    return button, feedback.response["resource"]["message"]["id"]


async def reports_in(db: Any) -> list[tuple[str, str]]:
    return [(r["member_id"], r["note"]) for r in await db.fetchall(
        select(question_reports.c.member_id, question_reports.c.note))]


async def test_the_report_button_opens_a_modal_whose_submission_stores_the_report(
        standin: DiscordStandIn, db_path: str, clock: FrozenClock) -> None:
    async with running_bot(standin, db_path, clock=clock) as bot:
        button, message_id = await report_button(standin)
        assert button["label"] == "Report a problem" and button["custom_id"].startswith("rounds:form:qotd-report:post=")

        opened = await press(standin, button["custom_id"], message_id, user=MEMBER_USER_ID)
        assert opened.status == 200 and opened.json["type"] == 9  # a modal
        modal = opened.json["data"]
        assert modal["custom_id"] == button["custom_id"] and modal["title"] == "/qotd-report"
        [row] = modal["components"]
        [note] = row["components"]
        assert (note["type"], note["custom_id"], note["required"], note["max_length"]) == (4, "note", True, NOTE_LIMIT)
        assert note["style"] == 2  # a paragraph box
        assert await reports_in(bot.services.db) == []  # opening the form stores nothing

        done = await submit(standin, modal["custom_id"], {"note": "D fits better: the stem says 70 years old"},
                            user=MEMBER_USER_ID)
        assert done.json["type"] == 4 and done.json["data"]["flags"] & EPHEMERAL
        assert done.json["data"]["content"].startswith("Thanks — your report on question")
        assert await reports_in(bot.services.db) == [(f"discord:{MEMBER_USER_ID}", "D fits better: the stem says 70 years old")]

        again = await submit(standin, modal["custom_id"], {"note": "actually C"}, user=MEMBER_USER_ID)
        assert "now says this instead" in again.json["data"]["content"]
        assert await reports_in(bot.services.db) == [(f"discord:{MEMBER_USER_ID}", "actually C")]

        listed = await command(standin, "rounds reports", user=ADMIN_USER_ID)
        [embed] = listed.json["data"]["embeds"]
        assert listed.json["data"]["flags"] & EPHEMERAL and embed["title"] == "Open reports"
        assert embed["fields"][0]["name"].endswith("· 1 member") and "actually C" in embed["fields"][0]["value"]
        assert "Rounds maintainers" in embed["fields"][0]["value"]

        refused = await command(standin, "rounds reports", user=MEMBER_USER_ID)
        assert refused.json["data"]["content"].startswith("Only community admins")
    assert standin.unknown_calls == []


async def test_a_submission_after_a_restart_and_a_bad_one_are_answered(
        standin: DiscordStandIn, db_path: str, clock: FrozenClock) -> None:
    async with running_bot(standin, db_path, clock=clock):
        button, _ = await report_button(standin)
    async with running_bot(standin, db_path, clock=clock) as bot:  # nothing of the first process is in memory
        too_long = await submit(standin, button["custom_id"], {"note": "x" * (NOTE_LIMIT + 1)}, user=MEMBER_USER_ID)
        assert too_long.json["data"]["flags"] & EPHEMERAL and f"the limit is {NOTE_LIMIT}" in too_long.json["data"]["content"]
        assert await reports_in(bot.services.db) == []
        stale = await submit(standin, "rounds:form:gone-command:post=1", {"note": "x"}, user=MEMBER_USER_ID)
        assert stale.json["data"]["flags"] & EPHEMERAL and "no longer in use" in stale.json["data"]["content"]
        fine = await submit(standin, button["custom_id"], {"note": "typo in option B"}, user=MEMBER_USER_ID)
        assert fine.json["data"]["content"].startswith("Thanks")
        assert await reports_in(bot.services.db) == [(f"discord:{MEMBER_USER_ID}", "typo in option B")]
