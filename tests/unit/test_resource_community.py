"""A community's own library on both databases: suggestions queued with numbers of their own, validated and cleaned;
an admin's decision taken once even when two arrive at once; an approved entry found in its community alone; helpful
marks that toggle, count per community and lift a close hit without burying the plain answer."""

from __future__ import annotations

import asyncio

import pytest

from core.errors import UserError
from tests.unit.resource_kit import ADMIN, COMMUNITY, OTHER, ids, library_services, member


@pytest.fixture
async def lib(database, clock, tmp_path):
    built = await library_services(database, clock, tmp_path)
    yield built
    await built.close()


async def approved(lib, title: str, note: str = "", community: str = COMMUNITY, tags=()) -> str:
    s = await lib.resources.suggest(community, member("alice"), title, "https://www.example.org/x", note, tags)
    return (await lib.resources.decide(community, s.number, True, ADMIN)).resource_id


async def test_suggestions_are_numbered_per_community_and_queued_in_order(lib, clock):
    one = await lib.resources.suggest(COMMUNITY, member("alice"), "AMA FREIDA program search",
                                      "https://freida.ama-assn.org/", "Filter by IMG-friendly.", ("programs", "Search Tools"))
    two = await lib.resources.suggest(COMMUNITY, member("bob"), "Another useful page", "https://www.example.org/b")
    elsewhere = await lib.resources.suggest(OTHER, member("carol"), "Their own page", "https://www.example.org/c")
    assert (one.number, two.number, elsewhere.number) == (1, 2, 1)
    assert one.tags == ("programs", "search-tools") and one.created_at == clock.now() and one.status == "pending"
    assert [s.number for s in await lib.resources.pending(COMMUNITY)] == [1, 2]
    assert [s.title for s in await lib.resources.pending(OTHER)] == ["Their own page"]
    assert len(await lib.resources.pending(COMMUNITY, limit=1)) == 1


async def test_numbers_stay_unique_when_members_suggest_at_once(lib):
    made = await asyncio.gather(*[lib.resources.suggest(COMMUNITY, member(f"m{i}"), f"Page number {i}",
                                                        "https://www.example.org/") for i in range(6)])
    assert sorted(s.number for s in made) == [1, 2, 3, 4, 5, 6]


@pytest.mark.parametrize("title, url, note, says", [
    ("Hi", "https://www.example.org/", "", "give it 5–90"),
    ("x" * 91, "https://www.example.org/", "", "91 characters"),
    ("A good page", "http://www.example.org/", "", "https://"),
    ("A good page", "https://www.example.org/a b", "", "spaces"),
    ("A good page", "https://www.example.org/<b>", "", "markup"),
    ("A good page", "https://www.example.org/|x", "", "markup"),
    ("A good page", "https://" + "a" * 300 + ".org/", "", "That link"),
    ("A good page", "javascript:alert(1)", "", "https://"),
    ("A good page", "https://www.example.org/", "n" * 501, "501 characters"),
])
async def test_a_bad_suggestion_is_refused_with_what_to_type(lib, title, url, note, says):
    with pytest.raises(UserError, match=says):
        await lib.resources.suggest(COMMUNITY, member("alice"), title, url, note)
    assert await lib.resources.pending(COMMUNITY) == []


async def test_markup_never_survives_into_a_suggestion(lib):
    s = await lib.resources.suggest(COMMUNITY, member("alice"), "Ask <@&admins> **now**\n\u202eplease",
                                    "https://www.example.org/", "ping <!channel> `code`")
    assert "<@" not in s.title and "**" not in s.title and "\n" not in s.title and "\u202e" not in s.title
    assert s.title == "Ask @admins now please"
    assert "<!" not in s.note and "`" not in s.note


async def test_an_approved_suggestion_is_found_in_its_community_alone(lib):
    rid = await approved(lib, "Zoom interview lighting tips", "Face a window; a lamp behind the screen.", tags=("interviews",))
    assert rid == "c1"
    found = await lib.resources.search(COMMUNITY, "interview lighting")
    assert ids(found)[0] == "c1" and found.hits[0].resource.community_id == COMMUNITY
    assert found.hits[0].resource.author_id == "console:alice"
    assert "c1" not in ids(await lib.resources.search(OTHER, "interview lighting"))
    assert await lib.resources.complete(OTHER, "zoom") == []
    assert await lib.resources.complete(COMMUNITY, "zoom") == ["Zoom interview lighting tips"]
    with pytest.raises(UserError):
        await lib.resources.entry(OTHER, "c1")
    with pytest.raises(UserError):
        await lib.resources.entry(OTHER, "Zoom interview lighting tips")
    # its words correct typos in its own community only
    assert ids(await lib.resources.search(COMMUNITY, "lightingg"))[0] == "c1"
    assert (await lib.resources.search(OTHER, "lightingg")).hits == ()


async def test_two_communities_each_have_their_own_c1(lib):
    await approved(lib, "Our study group notes")
    await approved(lib, "Their mock interview schedule", community=OTHER)
    assert (await lib.resources.entry(COMMUNITY, "c1")).title == "Our study group notes"
    assert (await lib.resources.entry(OTHER, "c1")).title == "Their mock interview schedule"


async def test_a_rejected_suggestion_becomes_nothing(lib):
    s = await lib.resources.suggest(COMMUNITY, member("alice"), "A spam page for sure", "https://www.example.org/")
    rejected = await lib.resources.decide(COMMUNITY, s.number, False, ADMIN)
    assert (rejected.status, rejected.decided_by, rejected.resource_id) == ("rejected", ADMIN, None)
    assert await lib.resources.pending(COMMUNITY) == []
    assert "c1" not in ids(await lib.resources.search(COMMUNITY, "spam page"))


async def test_deciding_twice_or_an_unknown_number_says_what_happened(lib):
    s = await lib.resources.suggest(COMMUNITY, member("alice"), "A page to approve", "https://www.example.org/")
    await lib.resources.decide(COMMUNITY, s.number, True, ADMIN)
    with pytest.raises(UserError, match=r"#1 was already approved by <@admin>"):
        await lib.resources.decide(COMMUNITY, s.number, False, "console:other-admin")
    with pytest.raises(UserError, match="no suggestion #7"):
        await lib.resources.decide(COMMUNITY, 7, True, ADMIN)
    with pytest.raises(UserError, match="no suggestion #1"):
        await lib.resources.decide(OTHER, 1, True, ADMIN)


async def test_two_admins_deciding_at_once_exactly_one_wins(lib):
    for round_ in range(3):
        s = await lib.resources.suggest(COMMUNITY, member("alice"), f"Contested page {round_}", "https://www.example.org/")
        results = await asyncio.gather(lib.resources.decide(COMMUNITY, s.number, True, "console:ann"),
                                       lib.resources.decide(COMMUNITY, s.number, False, "console:ben"),
                                       return_exceptions=True)
        won = [r for r in results if not isinstance(r, BaseException)]
        lost = [r for r in results if isinstance(r, BaseException)]
        assert len(won) == 1 and len(lost) == 1 and isinstance(lost[0], UserError)
        winner = won[0]
        assert f"already {winner.status} by <@{winner.decided_by.split(':')[1]}>" in str(lost[0])
        stored = await lib.resources.store.suggestion(COMMUNITY, s.number)
        assert (stored.status, stored.decided_by) == (winner.status, winner.decided_by)
        entry_count = len([t for t in await lib.resources.complete(COMMUNITY, "contested") if t == s.title])
        assert entry_count == (1 if winner.status == "approved" else 0)


async def test_helpful_marks_are_set_as_asked_and_counted_per_community(lib):
    assert await lib.resources.mark_helpful(COMMUNITY, "console:a", "soap") == (True, 1)
    assert await lib.resources.mark_helpful(COMMUNITY, "console:b", "soap") == (True, 2)
    assert await lib.resources.mark_helpful(COMMUNITY, "console:a", "soap") == (False, 2)  # a double click
    assert await lib.resources.helpful(COMMUNITY, "console:a", "soap") == (2, True)
    assert await lib.resources.mark_helpful(COMMUNITY, "console:a", "soap", marked=False) == (True, 1)
    assert await lib.resources.mark_helpful(COMMUNITY, "console:a", "soap", marked=False) == (False, 1)
    assert await lib.resources.helpful(COMMUNITY, "console:a", "soap") == (1, False)
    assert await lib.resources.mark_helpful(OTHER, "console:a", "soap") == (True, 1)
    found = await lib.resources.search(COMMUNITY, "soap")
    assert found.hits[0].helpful == 1
    with pytest.raises(UserError, match="No entry called `nope`"):
        await lib.resources.mark_helpful(COMMUNITY, "console:a", "nope")
    c1 = await approved(lib, "Our own SOAP notes", community=OTHER)
    with pytest.raises(UserError):
        await lib.resources.mark_helpful(COMMUNITY, "console:a", c1)


async def test_helpful_marks_lift_a_close_second_above_the_first(lib):
    await approved(lib, "Free practice questions for Step 1")
    await approved(lib, "Free practice questions for Step 1 and more")
    before = await lib.resources.search(COMMUNITY, "free practice questions")
    assert ids(before)[:2] == ["c1", "c2"]
    for i in range(3):
        await lib.resources.mark_helpful(COMMUNITY, f"console:m{i}", "c2")
    after = await lib.resources.search(COMMUNITY, "free practice questions")
    assert ids(after)[:2] == ["c2", "c1"] and after.hits[0].helpful == 3
    # another community's marks lift nothing here
    elsewhere = await lib.resources.search(OTHER, "free practice questions")
    assert "c2" not in ids(elsewhere)


async def test_the_lift_is_bounded(lib):
    assert ids(await lib.resources.search(COMMUNITY, "ecfmg certification"))[0] == "ecfmg-certification"
    for i in range(40):
        await lib.resources.mark_helpful(COMMUNITY, f"console:m{i}", "oet-medicine")
    found = await lib.resources.search(COMMUNITY, "ecfmg certification")
    assert ids(found)[0] == "ecfmg-certification" and "oet-medicine" in ids(found)
    assert (await lib.resources.complete(COMMUNITY, ""))[0] == "OET Medicine for the communication requirement"
