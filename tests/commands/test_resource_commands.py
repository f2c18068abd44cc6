"""The library and the roadmap through the console harness, on both databases: the reply contract (ranked lines,
best first, then the first one's answer and sources), bad input answered in one line, a helpful mark, the
suggestion queue and who may decide it, and a roadmap that outlives a restart."""

from __future__ import annotations

import re

import pytest

from commands.registry import load_catalog
from commands.resources.views import DECIDE_ACTION, HELPFUL_ACTION
from core.bootstrap import build
from core.settings import Settings

RANKED = re.compile(r"^(\d+)\. (.+)$")


def ranked(text: str) -> list[tuple[int, str]]:
    return [(int(m.group(1)), m.group(2)) for line in text.splitlines() if (m := RANKED.match(line))]


async def test_a_question_in_plain_words_is_answered_with_ranked_titles_then_the_first_answer(console, services):
    reply = await console().send("/resource how do i get ecfmg certified")
    lines = ranked(reply.text)
    assert [n for n, _ in lines] == list(range(1, len(lines) + 1)) and 2 <= len(lines) <= 5
    first = await services.resources.entry("console:default", "ecfmg-certification")
    assert lines[0][1] == first.title
    assert f"**{first.title}**" in reply.text and first.answer in reply.text
    assert all(source.url in reply.text for source in first.sources)
    assert reply.text.index(first.answer) > reply.text.index(f"{len(lines)}. ")  # the list first, then the answer
    assert reply.private and [b.label for b in reply.buttons][:2] == ["Helpful", "Open 2"]


async def test_the_search_name_discord_shows_is_the_same_command(console):
    member = console()
    assert (await member.send("/resource search query:what is SOAP")).text == \
        (await member.send("/resource query:what is SOAP")).text


async def test_an_other_entry_opens_from_its_button(console):
    member = console()
    listed = await member.send("/resource query:observership")
    second = ranked(listed.text)[1][1]
    opened = await member.send("[Open 2]")
    assert opened.text.startswith(f"**{second}**")


@pytest.mark.parametrize("typed, said", [
    ('/resource query:"!!! ???"', "no words in that to search for"),
    ("/resource query:*", "no words in that to search for"),
    ("/resource query:" + "a" * 2000, "the limit is 300"),
])
async def test_bad_queries_get_one_friendly_line(console, typed, said):
    reply = await console().send(typed)
    assert said in reply.text and reply.text.count("\n") <= 1 and "Traceback" not in reply.text


async def test_fts_syntax_is_searched_as_words_never_run(console):
    member = console()
    for typed in ('/resource query:\'"NEAR( ecfmg\'', "/resource query:'ecfmg AND OR NOT ^title:*'",
                  "/resource query:'usce) (('"):
        reply = await member.send(typed)
        assert "Traceback" not in reply.text and ("1. " in reply.text or "Nothing in the library" in reply.text)


async def test_nothing_found_offers_what_to_type(console):
    reply = await console().send("/resource query:zzqxv")
    assert "Nothing in the library matches" in reply.text and "/resource suggest" in reply.text


async def test_did_you_mean_leaves_out_a_word_nothing_is_near(console):
    reply = await console().send("/resource query:zzqxv obsrvrshp")
    assert "Did you mean **observership**?" in reply.text and [b.label for b in reply.buttons] == ["Search observership"]


async def test_a_helpful_mark_counts_once_however_often_it_is_pressed(console):
    member, other = console("alice"), console("bob")
    await member.send("/resource query:what is the match")
    first = await member.send("[Helpful]")
    again = await member.send("[Helpful]")  # a double click
    assert "Marked helpful: 1 in this community" in first.text
    assert "already marked it helpful: 1" in again.text
    await other.send("/resource query:what is the match")
    assert "Marked helpful: 2" in (await other.send("[Helpful]")).text
    shown = await member.send("/resource query:what is the match")
    assert "👍 2 found this helpful here." in shown.text


async def test_a_suggestion_waits_for_an_admin_and_then_joins_this_communitys_search(console):
    member, admin, elsewhere = console("alice"), console("ada", admin=True), console("eve", community="other")
    told = await member.send('/resource suggest title:"Zanzibar IMG residency diary" link:https://example.org/diary '
                             'note:"A blog of one IMG\'s year" tags:usce,diary')
    assert "Suggestion #1" in told.text and "waiting for a community admin" in told.text
    assert "Nothing in the library" in (await member.send("/resource query:zanzibar diary")).text
    refused = await member.send("/resource queue")
    assert refused.text.startswith("Only community admins")
    queue = await admin.send("/resource queue")
    assert queue.cards[0].title == "#1 · Zanzibar IMG residency diary"
    assert [b.label for b in queue.buttons] == ["Approve #1", "Reject #1"]
    forged = await member.dispatcher.press(member.context, f"rounds:{DECIDE_ACTION}:1:approve")
    assert forged.text.startswith("Only community admins")
    approved = await admin.send("[Approve #1]")
    assert approved.text.startswith("✅ Approved #1")
    twice = await admin.send("[Approve #1]")
    assert "already" in twice.text
    found = await member.send("/resource query:zanzibar diary")
    assert ranked(found.text)[0][1] == "Zanzibar IMG residency diary" and "https://example.org/diary" in found.text
    assert "Nothing in the library" in (await elsewhere.send("/resource query:zanzibar diary")).text
    assert "No suggestions are waiting" in (await admin.send("/resource queue")).text


@pytest.mark.parametrize("link", ["ftp://example.org/x", "https://exa mple.org", "https://example.org/<@&S0LEADS>"])
async def test_a_suggestion_with_a_bad_link_is_refused_and_nothing_is_queued(console, link):
    member, admin = console("alice"), console("ada", admin=True)
    reply = await member.send(f'/resource suggest title:"A guide" link:"{link}"')
    assert "Suggestion #" not in reply.text and "https://" in reply.text
    assert "No suggestions are waiting" in (await admin.send("/resource queue")).text


async def test_a_rejected_suggestion_never_shows(console):
    member, admin = console("alice"), console("ada", admin=True)
    await member.send('/resource suggest title:"Quokka crash course" link:https://example.org/q')
    await admin.send("/resource queue")
    assert (await admin.send("[Reject #1]")).text.startswith("🗑 Rejected #1")
    assert "Quokka crash course" not in (await member.send("/resource query:quokka crash course")).text


async def test_the_helpful_button_of_an_unknown_entry_is_a_harmless_no_op(console):
    member = console()
    reply = await member.dispatcher.press(member.context, f"rounds:{HELPFUL_ACTION}:no-such-entry:yes")
    assert "Traceback" not in reply.text and reply.private


async def test_the_roadmap_ticks_steps_with_buttons_and_outlives_a_restart(console, services, database, clock,
                                                                          notifier):
    member = console("alice")
    shown = await member.send("/roadmap")
    steps = services.roadmap.steps
    assert len(steps) == 15 and shown.cards[0].title == "🗺 Your roadmap · 0 of 15 done"
    assert f"➡️ Next: **{steps[0].title}**" in shown.cards[0].body
    assert shown.buttons[0].label == f"Read: {steps[0].title}"
    ticked = await member.send(f"[Done: {steps[0].title}]")
    assert ticked.cards[0].title == "🗺 Your roadmap · 1 of 15 done"
    assert f"➡️ Next: **{steps[1].title}**" in ticked.cards[0].body
    again = await member.dispatcher.press(member.context, f"rounds:roadmap.tick:{steps[0].slug}:done")  # double click
    assert "already ticked off" in again.text and again.cards[0].title.endswith("1 of 15 done")
    await member.send("/roadmap tick step:eras")
    await services.close()
    reborn = await build(Settings(db_path=database), clock=clock)
    try:
        progress = await reborn.roadmap.progress("console:default", "console:alice")
        assert progress.done == {steps[0].slug, "eras"}
    finally:
        await reborn.close()


async def test_an_unknown_step_names_the_steps(console):
    reply = await console().send("/roadmap tick step:astronaut")
    assert "no roadmap step called “astronaut”" in reply.text and "step2ck" in reply.text


async def test_an_admin_sees_how_many_members_are_at_each_step_and_no_names(console):
    alice, bob, admin = console("alice"), console("bob"), console("ada", admin=True)
    await alice.send("/roadmap tick step:ecfmg-application")
    await bob.send("/roadmap tick step:ecfmg-application")
    await bob.send("/roadmap tick step:step1")
    assert (await alice.send("/roadmap community")).text.startswith("Only community admins")
    board = (await admin.send("/roadmap community")).cards[0]
    assert board.title == "🗺 Where this community stands · 2 members"
    assert "alice" not in board.body and "bob" not in board.body
    lines = dict(line.rsplit(": ", 1) for line in board.body.splitlines())
    step1, step2ck = (s.title for s in admin.services.roadmap.steps[1:3])  # alice's next, and bob's
    assert lines[step1].endswith(" 1") and lines[step2ck].endswith(" 1")


def test_the_catalog_holds_the_library_and_roadmap_commands():
    names = set(load_catalog().commands)
    assert {"resource", "resource suggest", "resource queue", "roadmap", "roadmap tick", "roadmap community"} <= names


async def test_a_member_with_only_roadmap_ticks_and_a_mark_can_see_and_erase_them(console):
    member = console("alice")
    await member.send("/roadmap tick step:step1")
    await member.send("/resource query:soap")
    await member.send("[Helpful]")
    shown = await member.send("/privacy export")
    assert "Rounds keeps nothing" not in shown.text and '"step1"' in shown.cards[0].body
    await member.send("/privacy delete")
    erased = await member.send("[Erase my data]")
    assert "1 helpful mark and 1 roadmap tick deleted" in erased.text
    assert "Rounds keeps nothing about you" in (await member.send("/privacy export")).text
