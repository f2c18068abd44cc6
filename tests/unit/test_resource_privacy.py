"""What Rounds keeps about a member in the resource library and the roadmap, on both databases: the member export
lists it, and forgetting the member erases it (an approved entry stays the community's, linked to nobody)."""

from __future__ import annotations

import pytest

from core.storage.transfer import forget_member, member_data
from tests.unit.resource_kit import ADMIN, COMMUNITY, ids, library_services, member

ALICE = "console:alice"


@pytest.fixture
async def lib(database, clock, tmp_path):
    built = await library_services(database, clock, tmp_path)
    yield built
    await built.close()


async def alices_data(lib) -> None:
    kept = await lib.resources.suggest(COMMUNITY, member("alice"), "Mock interview tips page", "https://www.example.org/m")
    await lib.resources.decide(COMMUNITY, kept.number, True, ADMIN)
    await lib.resources.suggest(COMMUNITY, member("alice"), "A page still pending", "https://www.example.org/p")
    await lib.resources.mark_helpful(COMMUNITY, ALICE, "soap")
    await lib.resources.mark_helpful(COMMUNITY, "console:bob", "soap")
    await lib.roadmap.tick(COMMUNITY, ALICE, "step1", True)
    await lib.roadmap.tick(COMMUNITY, "console:bob", "step1", True)


async def test_the_export_lists_suggestions_marks_and_ticks(lib, clock):
    await alices_data(lib)
    mine = await member_data(lib.db, ALICE)
    assert [(s["number"], s["status"], s["resource_id"]) for s in mine["resource_suggestions"]] == [
        (1, "approved", "c1"), (2, "pending", None)]
    assert [(m["community"], m["resource_id"]) for m in mine["helpful_marks"]] == [(COMMUNITY, "soap")]
    assert [(t["community"], t["step"]) for t in mine["roadmap"]] == [(COMMUNITY, "step1")]
    assert [d["number"] for d in (await member_data(lib.db, ADMIN))["resource_decisions"]] == [1]


async def test_forgetting_erases_them_and_keeps_the_communitys_entry(lib):
    await alices_data(lib)
    done = await forget_member(lib.db, ALICE)
    assert (done.suggestions, done.marks, done.roadmap) == (2, 1, 1) and done.anything
    left = await member_data(lib.db, ALICE)
    assert left["resource_suggestions"] == left["helpful_marks"] == left["roadmap"] == []
    assert [s.number for s in await lib.resources.pending(COMMUNITY)] == []
    entry = await lib.resources.entry(COMMUNITY, "c1")
    assert entry.author_id.startswith("erased:") and "c1" in ids(await lib.resources.search(COMMUNITY, "mock interview"))
    assert (await lib.resources.store.suggestion(COMMUNITY, 1)).author_id.startswith("erased:")
    assert (await lib.resources.search(COMMUNITY, "soap")).hits[0].helpful == 1  # bob's mark stays
    assert sum((await lib.roadmap.aggregate(COMMUNITY)).values()) == 1  # bob alone
    again = await forget_member(lib.db, ALICE)
    assert (again.suggestions, again.marks, again.roadmap) == (0, 0, 0)


async def test_forgetting_an_admin_unlinks_their_decisions(lib):
    await alices_data(lib)
    await forget_member(lib.db, ADMIN)
    assert (await lib.resources.store.suggestion(COMMUNITY, 1)).decided_by.startswith("erased:")
    assert (await member_data(lib.db, ADMIN))["resource_decisions"] == []
