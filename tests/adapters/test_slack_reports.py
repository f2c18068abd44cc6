"""Reporting a problem on Slack, through the real slack-bolt against the stand-in: the button on a revealed
explanation opens a modal with views.open (the post given, only the note asked), the view_submission is recorded in
the inbox before its ack and stores the report, and the admins' `/rounds reports` lists it."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from core.qotd.reporting import NOTE_LIMIT
from core.storage.schema import deliveries, question_reports
from testkit.standins.slack_standin import ADMIN_ID, DEFAULT_CHANNEL_ID, MEMBER_ID
from tests.adapters.test_slack_adapter import SECRET, Rig, _no_proxy_env, buttons, rig, texts

__all__ = ["_no_proxy_env", "rig"]  # fixtures shared with the adapter's other tests


async def report_button(rig: Rig) -> dict[str, Any]:
    await rig.ask("/rounds", "reveal immediately", user_id=ADMIN_ID)
    question = await rig.ask("/qotd")
    feedback = await rig.press(buttons(question)[1]["action_id"], ephemeral=True)
    [button] = [b for b in buttons(feedback) if "report" in b["text"]["text"].lower()]  # beside it: Review later
    return button


async def submit(rig: Rig, view: dict[str, Any], note: str) -> None:
    values = {"note": {"value": {"type": "plain_text_input", "value": note}}}
    payload = rig.slack.view_submission_payload(view["callback_id"], values, private_metadata=view["private_metadata"])
    delivery = await rig.slack.send_interactive(rig.url, payload, secret=SECRET)
    assert delivery.status == 200 and delivery.body == ""  # the ack closes the modal
    recorded = await rig.services.db.fetchone(
        select(deliveries.c.kind).where(deliveries.c.key.endswith(payload["trigger_id"], autoescape=True)))
    assert recorded is not None  # in the inbox: the ack promised nothing a crash could take back


async def reports_in(rig: Rig) -> list[tuple[str, str]]:
    return [(r["member_id"], r["note"]) for r in await rig.services.db.fetchall(
        select(question_reports.c.member_id, question_reports.c.note))]


async def test_the_report_button_opens_a_modal_whose_submission_stores_the_report(rig: Rig) -> None:
    button = await report_button(rig)
    assert button["text"]["text"] == "Report a problem" and button["action_id"].startswith("rounds:form:qotd-report:post=")
    post_id = button["action_id"].rsplit("=", 1)[1]

    press = rig.slack.block_actions_payload(button["action_id"], value=button["action_id"], ephemeral=True)
    assert (await rig.slack.send_interactive(rig.url, press, secret=SECRET)).status == 200
    opened = await rig.slack.wait_for_call("views.open")
    assert opened.ok and opened.get("trigger_id") == press["trigger_id"]
    view = opened.get("view")
    inputs = [b for b in view["blocks"] if b["type"] == "input"]
    assert [(b["block_id"], b["optional"], b["element"]["max_length"]) for b in inputs] == [("note", False, NOTE_LIMIT)]
    assert json.loads(view["private_metadata"])["given"] == {"post": post_id}
    assert rig.slack.responses(rig.slack.token_of(press["response_url"])) == []  # the modal was the answer

    await submit(rig, view, "The key says E but the explanation argues for D")
    confirmation = await rig.slack.wait_for_call("chat.postEphemeral")
    assert confirmation.get("user") == MEMBER_ID and confirmation.get("channel") == DEFAULT_CHANNEL_ID
    assert "Thanks" in texts(confirmation)
    assert await reports_in(rig) == [(f"slack:{MEMBER_ID}", "The key says E but the explanation argues for D")]

    listed = await rig.ask("/rounds", "reports", user_id=ADMIN_ID)
    assert "Open reports" in texts(listed) and "The key says E" in texts(listed) and "1 member" in texts(listed)
    refused = await rig.ask("/rounds", "reports", user_id=MEMBER_ID)
    assert "Only community admins" in texts(refused)


async def test_a_press_whose_form_cannot_open_answers_with_the_line_to_type(rig: Rig) -> None:
    button = await report_button(rig)
    expired = rig.slack.block_actions_payload(button["action_id"], value=button["action_id"], ephemeral=True,
                                              trigger_id="not-a-trigger-slack-gave")
    assert (await rig.slack.send_interactive(rig.url, expired, secret=SECRET)).status == 200
    hint = await rig.reply(expired)
    assert "/qotd-report post:" in texts(hint) and "note:" in texts(hint)
    assert await reports_in(rig) == []
