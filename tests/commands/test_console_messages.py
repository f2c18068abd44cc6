"""Messages that used to mislead, through the console harness: each says what is there and what to type."""

from __future__ import annotations

import pytest

from commands.textargs import QUOTED_EXAMPLE, read_command
from core.community.model import Community


async def settings_row(services) -> Community:
    return await services.communities.get("console:default")


async def test_an_unknown_subcommand_is_called_unknown_and_the_real_ones_are_listed(console, dispatcher):
    reply = await console("ada", admin=True).send("/rounds bogus")
    assert "needs a subcommand" not in reply.text
    assert "`/rounds` has no subcommand `bogus`" in reply.text
    for sub in dispatcher.catalog.subcommands("rounds"):
        assert f"`/{sub.name}`" in reply.text
    alone = await console().send("/rounds")  # the group alone does need one
    assert "`/rounds` needs a subcommand" in alone.text


async def test_the_unclosed_quote_hint_shows_a_real_command_and_option(console, dispatcher):
    reply = await console("ada", admin=True).send('/rounds time "07:30')
    assert "quote is not closed" in reply.text and QUOTED_EXAMPLE in reply.text and "note:" not in reply.text
    name, spec, raw = read_command(dispatcher.catalog, QUOTED_EXAMPLE.lstrip("/"))
    assert spec is not None and list(raw) == [spec.options[0].name] and " " in raw[spec.options[0].name]


async def test_a_member_refused_at_the_console_is_told_about_admin(console, services):
    before = await settings_row(services)
    reply = await console("bob").send("/rounds time 07:00")
    assert "Only community admins can use `/rounds time`" in reply.text
    assert "`rounds console --admin`" in reply.text
    assert await settings_row(services) == before


async def test_a_wrong_label_names_the_buttons_on_screen(console):
    alice = console()
    first = (await alice.send("[Z]")).text  # nothing on screen yet: how to get some
    assert "buttons come with a reply, like `/qotd`" in first and "`/study show id:1`" in first
    await alice.send("/qotd")
    reply = await alice.send("[Z]")
    assert "buttons come with a reply" not in reply.text
    assert "There is no [Z] button here" in reply.text and "[A] [B] [C] [D] [E]" in reply.text
    assert "answer" in (await alice.send("[b]")).text.lower()  # the buttons are still the question's


@pytest.mark.parametrize("line", ["/QOTD", "/Qotd", "/ROUNDS Settings", "/HELP"])
async def test_command_names_are_read_whatever_their_case(console, line):
    reply = await console().send(line)
    assert "I don't know" not in reply.text and reply.cards, reply.text


async def test_option_values_keep_their_case(console, services):
    await console("ada", admin=True).send("/ROUNDS TIMEZONE America/New_York")
    assert (await settings_row(services)).timezone == "America/New_York"


async def test_help_for_one_command_shows_its_usage_and_options(console, dispatcher):
    reply = await console().send("/help rounds channel")
    card = reply.cards[0]
    assert reply.private and card.title == "/rounds channel"
    fields = {f.name: f.value for f in card.fields}
    spec = dispatcher.catalog.commands["rounds channel"]
    assert spec.usage() in fields["Usage"] and card.body == spec.description
    for option in spec.options:
        assert f"`{option.name}:" in fields["Options"] and option.description in fields["Options"]
    assert (await console().send("/help /QOTD")).cards[0].title == "/qotd"


async def test_help_for_a_group_lists_its_subcommands(console, dispatcher):
    card = (await console().send("/help rounds")).cards[0]
    assert card.title == "/rounds"
    listed = card.fields[0].value
    for sub in dispatcher.catalog.subcommands("rounds"):
        assert sub.usage() in listed and sub.description in listed


async def test_help_for_an_unknown_name_says_so(console):
    assert "I don't know `/nosuch`" in (await console().send("/help nosuch")).text
    assert "`/rounds` has no subcommand `nosuch`" in (await console().send("/help rounds nosuch")).text


@pytest.mark.parametrize("line", [
    "/rounds time time:08:00 time:09:00",
    "/rounds time TIME:08:00 time:09:00",
    "/rounds timezone zone:Asia/Karachi zone:Europe/Berlin",
])
async def test_an_option_given_twice_is_refused_and_nothing_is_written(console, services, line):
    before = await settings_row(services)
    reply = await console("ada", admin=True).send(line)
    assert reply.private and "twice" in reply.text and "Usage: `/rounds" in reply.text, reply.text
    assert await settings_row(services) == before


async def test_a_word_for_an_option_already_given_by_name_says_so(console) -> None:
    reply = await console("ada", admin=True).send("/rounds time 08:00 time:09:00")
    assert reply.text.startswith("I did not understand `08:00`: every option is already given (time:09:00).")
