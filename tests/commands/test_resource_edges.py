"""`/resource` and `/roadmap` pushed by a confused newcomer and by an attacker, through the console harness on both
databases: tags typed with commas, links that hide where they go, a suggestion flood, a forgotten member's queue
number reused under an admin's old buttons, the roadmap's hint and its steps typed by their names."""

from __future__ import annotations

import re
import shlex

import pytest

from commands.resources.views import DECIDE_ACTION
from core.resources.rules import PENDING_LIMIT
from core.storage.transfer import forget_member

COMMUNITY = "console:default"
RANKED = re.compile(r"^(\d+)\. (.+)$", re.MULTILINE)


async def test_tags_typed_with_commas_are_one_tag_each(console, services):
    await console().send('/resource suggest title:"IMG survival guide" link:https://example.org/g '
                         'tags:"usce, Step 2 CK,visa"')
    await console("bob").send('/resource suggest title:"Observership list" link:https://example.org/o '
                              'tags:"usce observership"')
    one, two = await services.resources.pending(COMMUNITY)
    assert one.tags == ("usce", "step-2-ck", "visa")
    assert two.tags == ("usce", "observership")  # words without commas: a tag each, as the option's example says


@pytest.mark.parametrize("title, note", [
    ("[ECFMG official](https://evil.example)", ""),
    ("A guide to the Match", "Read [the official NRMP page](https://evil.example/steal) first"),
])
async def test_a_masked_link_never_survives_into_the_queue_or_the_search(console, title, note):
    member, admin = console(), console("ada", admin=True)
    await member.send(f'/resource suggest title:"{title}" link:https://example.org/x note:"{note}"')
    queue = await admin.send("/resource queue")
    card = queue.cards[0]
    assert "](" not in card.title + card.body
    await admin.send("[Approve #1]")
    found = await member.send("/resource query:ecfmg official match guide")
    assert "](" not in found.text


@pytest.mark.parametrize("link", ["https://еcfmg.org/certification/",  # a Cyrillic е
                                  "https://www.ecfmg.org/certification/\u00a0x"])
async def test_a_link_with_look_alike_letters_is_refused(console, link):
    reply = await console().send(f'/resource suggest title:"ECFMG certification page" link:"{link}"')
    assert "Suggestion #" not in reply.text and "https://" in reply.text


async def test_one_member_cannot_flood_the_queue(console, services):
    member = console()
    for n in range(PENDING_LIMIT):
        told = await member.send(f'/resource suggest title:"Useful page number {n}" link:https://example.org/{n}')
        assert f"Suggestion #{n + 1}" in told.text
    refused = await member.send('/resource suggest title:"One page too many" link:https://example.org/more')
    assert "Suggestion #" not in refused.text and f"{PENDING_LIMIT}" in refused.text
    assert len(await services.resources.pending(COMMUNITY, 100)) == PENDING_LIMIT
    assert "Suggestion #" in (await console("bob").send(
        '/resource suggest title:"Bob has a page" link:https://example.org/bob')).text
    admin = console("ada", admin=True)
    await admin.send("/resource queue")
    await admin.send("[Reject #1]")  # once one is decided, there is room again
    assert "Suggestion #" in (await member.send('/resource suggest title:"Room again" link:https://example.org/r')).text


async def test_the_queue_says_how_many_wait_beyond_the_ones_shown(console):
    for n in range(12):
        await console(f"m{n}").send(f'/resource suggest title:"Useful page number {n}" link:https://example.org/{n}')
    queue = await console("ada", admin=True).send("/resource queue")
    assert len(queue.cards) == 10 and "12" in queue.text


async def test_a_forgotten_members_number_is_never_given_to_the_next_suggestion(console, services):
    member, admin = console("alice"), console("ada", admin=True)
    await member.send('/resource suggest title:"Alice page to forget" link:https://example.org/alice')
    await admin.send("/resource queue")  # the admin's queue shows [Approve #1] for alice's page
    await forget_member(services.db, "console:alice")
    await console("bob").send('/resource suggest title:"Bob page never seen" link:https://example.org/bob')
    pressed = await admin.dispatcher.press(admin.context, f"rounds:{DECIDE_ACTION}:1:approve")  # the old button
    assert not pressed.text.startswith("✅") and "withdrawn" in pressed.text
    [waiting] = await services.resources.pending(COMMUNITY)
    assert waiting.title == "Bob page never seen" and waiting.number == 2
    stored = await services.resources.store.suggestion(COMMUNITY, 1)
    assert stored is None or "Alice" not in stored.title + stored.url + stored.note


async def test_the_roadmaps_search_hint_finds_the_step_it_names(console, services):
    member = console()
    for step in services.roadmap.steps:
        shown = await member.send("/roadmap")
        hint = re.search(r"`(/resource query:[^`]+)`", shown.cards[0].body)
        assert hint, shown.cards[0].body
        found = await member.send(hint.group(1))
        explained = await services.resources.entry(COMMUNITY, step.resource)
        assert RANKED.search(found.text).group(2) == explained.title, (step.slug, hint.group(1))
        await member.send(f"/roadmap tick step:{step.slug}")


@pytest.mark.parametrize("typed, slug", [("USMLE Step 1", "step1"), ("step2", "step2ck"), ("Step 2 CK", "step2ck"),
                                         ("OET", "oet"), ("rank order list", "rank-list"),
                                         ("personal statement", "personal-statement")])
async def test_a_step_is_ticked_by_the_words_of_its_name(console, services, typed, slug):
    reply = await console().send(f'/roadmap tick step:"{typed}"')
    assert "✅" in reply.text, reply.text
    assert (await services.roadmap.progress(COMMUNITY, "console:alice")).done == {slug}


async def test_words_that_fit_several_steps_name_them(console):
    reply = await console().send("/roadmap tick step:ecfmg")
    assert "ecfmg-application" in reply.text and "ecfmg-certificate" in reply.text and "✅" not in reply.text
    assert "oet" not in reply.text  # only the steps it could mean


async def test_an_autocomplete_choice_sent_as_the_query_answers_with_that_entry_first(console, services):
    """Discord's autocomplete gives a title back as the query: the entry picked must be the one answered."""
    member = console()
    wrong = []
    for resource in services.resources.library.resources:
        found = await member.send(f"/resource query:{shlex.quote(resource.title)}")
        first = RANKED.search(found.text)
        if first is None or first.group(2) != resource.title or f"**{resource.title}**" not in found.text:
            wrong.append(resource.id)
    assert wrong == [], ", ".join(wrong)
