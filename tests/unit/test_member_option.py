"""The `member` option kind: whatever the platform hands over becomes a `Member` named as the acting member is
(`<platform>:<id>`), with the display name when the platform gave one; anything else gets a friendly error."""

from __future__ import annotations

import pytest

from bots.slack.modal import build_modal, read_values
from commands.options import coerce, coerce_all
from commands.registry import CommandSpec, Option
from commands.replies import Reply
from core.community.members import Member
from core.errors import UserError

WHO = Option("member", "Who", kind="member", required=True)


async def _handler(**_: object) -> Reply:
    return Reply()


SPEC = CommandSpec(("streak",), "A streak", (WHO,), _handler)


@pytest.mark.parametrize(("typed", "platform", "member"), [
    ("<@U123>", "slack", Member("slack:U123")),
    ("<@U123|bob>", "slack", Member("slack:U123", "bob")),
    ("  <@W9ABC|Dr. Bob Smith>  ", "slack", Member("slack:W9ABC", "Dr. Bob Smith")),  # an Enterprise Grid id
    ("<@1200000000000000302>", "discord", Member("discord:1200000000000000302")),  # typed in a Discord form
    ("<@!1200000000000000302>", "discord", Member("discord:1200000000000000302")),  # Discord's older mention form
    ("@alice", "console", Member("console:alice", "alice")),
    ("alice", "console", Member("console:alice", "alice")),
    ("<@alice>", "console", Member("console:alice")),
])
def test_a_mention_names_a_member_of_the_platform_it_was_typed_on(typed: str, platform: str, member: Member) -> None:
    assert coerce(WHO, typed, platform=platform) == member


def test_a_member_the_platform_resolved_is_kept_with_its_name_made_safe() -> None:
    resolved = Member("discord:42", "Dr\x00 Bob\ud800" + "x" * 200)
    coerced = coerce(WHO, resolved, platform="discord")
    assert coerced.id == "discord:42" and coerced.name.startswith("Dr Bob\ufffd") and len(coerced.name) == 80


@pytest.mark.parametrize(("typed", "platform"), [
    ("bob", "slack"),  # a name, not a mention: Slack ids cannot be guessed from names
    ("@bob", "slack"),
    ("<@&S0LEADS>", "slack"),  # a user group, not a member
    ("<#C123|general>", "slack"),
    ("<!channel>", "slack"),
    ("<@U1 2>", "slack"),
    ("bob", "discord"),
    ("two words", "console"),
    ("@", "console"),
    ("<@>", "console"),
])
def test_anything_else_is_refused_with_what_to_type(typed: str, platform: str) -> None:
    with pytest.raises(UserError, match=r"^`member` takes a mention, like @alice\.$"):
        coerce(WHO, typed, platform=platform)


def test_coerce_all_reads_members_in_the_platform_given() -> None:
    assert coerce_all(SPEC, {"member": "<@U123|bob>"}, platform="slack") == {"member": Member("slack:U123", "bob")}
    with pytest.raises(UserError, match="needs `member`"):
        coerce_all(SPEC, {}, platform="slack")


def test_a_member_option_cannot_be_read_without_knowing_the_platform() -> None:
    with pytest.raises(ValueError, match="platform"):
        coerce(WHO, "<@U123>")


def test_usage_shows_a_member_placeholder() -> None:
    assert SPEC.usage() == "/streak member:<@member>"


def test_slacks_modal_offers_a_user_picker_whose_choice_reads_back_as_a_mention() -> None:
    modal = build_modal(SPEC, "C1")
    [block] = [b for b in modal["blocks"] if b["type"] == "input"]
    assert block["block_id"] == "member" and block["element"]["type"] == "users_select"
    state = {"values": {"member": {"value": {"type": "users_select", "selected_user": "U123"}}}}
    raw = read_values(SPEC, {"state": state})
    assert raw == {"member": "<@U123>"}
    assert coerce_all(SPEC, raw, platform="slack") == {"member": Member("slack:U123")}
    assert read_values(SPEC, {"state": {"values": {"member": {"value": {"type": "users_select", "selected_user": None}}}}}) == {}
