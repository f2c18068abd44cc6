"""Admin configuration: refused for members, validated input, nothing written on bad input."""

from __future__ import annotations

import pytest

from core.community.model import Community


async def settings_row(services) -> Community:
    return await services.communities.get("console:default")


@pytest.mark.parametrize("line", [
    "/rounds time 07:30", "/rounds timezone Asia/Karachi", "/rounds reveal 6h", "/rounds tags step1",
    "/rounds channel", "/rounds admin-role role:123",
])
async def test_members_are_refused_and_nothing_changes(console, services, line):
    before = await settings_row(services)
    reply = await console("mallory").send(line)
    assert reply.private and "Only community admins" in reply.text
    assert await settings_row(services) == before


async def test_admin_sets_every_setting(console, services):
    admin = console("ada", admin=True)
    assert "07:30" in (await admin.send("/rounds time 7:30")).text
    assert "America/New_York" in (await admin.send("/rounds timezone america/new_york")).text
    assert "1h 30m" in (await admin.send("/rounds reveal delay:1h30m")).text
    assert "Step 1" in (await admin.send('/rounds tags filter:"step1, cardiovascular"')).text
    assert "general" in (await admin.send("/rounds channel")).text
    community = await settings_row(services)
    assert community.post_time.strftime("%H:%M") == "07:30"
    assert community.timezone == "America/New_York"
    assert community.reveal_delay_minutes == 90
    assert community.tag_filter.slugs == {"step1", "cardiovascular"}
    assert community.channel_id == "general"
    shown = await admin.send("/rounds settings")
    fields = {f.name: f.value for f in shown.cards[0].fields}
    assert fields["Posting time"] == "07:30 America/New_York"


@pytest.mark.parametrize("line, hint", [
    ("/rounds time 25:00", "HH:MM"),
    ("/rounds time 9", "HH:MM"),
    ("/rounds time", "needs `time`"),
    ("/rounds timezone Mars/Olympus", "IANA"),
    ("/rounds timezone Europe/Berln", "Europe/Berlin"),
    ("/rounds reveal sometime", "immediately"),
    ("/rounds reveal 100h", "48h"),
    ("/rounds tags cardiologyy", "not a tag"),
    ("/rounds tags step3 histology", "No questions match"),  # Step 3 questions carry clinical disciplines only
    ("/rounds time time:" + "9" * 5000, "limit"),
    ('/rounds time "09:00', "quote"),
    ("/rounds time 09:00 extra", "not a time of day"),
    ("/qotd extra", "did not understand"),
    ("/rounds nosuch", "has no subcommand `nosuch`"),
    ("/nosuch", "don't know"),
])
async def test_bad_input_gets_a_clear_error_and_changes_nothing(console, services, line, hint):
    before = await settings_row(services)
    reply = await console("ada", admin=True).send(line)
    assert reply.private and hint in reply.text, reply.text
    assert await settings_row(services) == before


async def test_tag_filter_limits_the_daily_question(console, services, clock):
    admin = console("ada", admin=True)
    await admin.send("/rounds tags step2ck")
    for _ in range(5):
        shown = await admin.send("/qotd")
        assert "Step 2 CK" in shown.cards[0].footer
        clock.advance(days=1)


async def test_configured_role_may_administer(services, dispatcher, console):
    admin = console("ada", admin=True)
    await admin.send("/rounds admin-role role:<@&777>")
    helper = console("helper")
    from dataclasses import replace
    ctx = replace(helper.context, roles=("777",))
    reply = await dispatcher.command(ctx, "rounds time", {"time": "06:00"})
    assert "06:00" in reply.text
    assert (await settings_row(services)).post_time.hour == 6


async def test_help_lists_every_command(console, dispatcher):
    reply = await console().send("/help")
    text = " ".join(f.value for f in reply.cards[0].fields)
    for name in dispatcher.catalog.commands:
        assert f"/{name}" in text


async def test_non_command_text_is_answered_helpfully(console):
    reply = await console().send("hello")
    assert "/help" in reply.text
    assert await console().send("   ") is None
