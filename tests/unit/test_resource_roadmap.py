"""The roadmap on both databases: ticks that are idempotent and survive a restart, what comes next, the cycle's dates
beside a step, and the admin's aggregate, which counts members and never names them."""

from __future__ import annotations

import pytest

from core.bootstrap import build
from core.errors import UserError
from core.resources.library import STEP_SLUGS
from core.settings import Settings
from tests.unit.resource_kit import COMMUNITY, OTHER, search_library


@pytest.fixture
async def lib(database, clock, tmp_path):
    built = await build(Settings(db_path=database), clock=clock, library=search_library(tmp_path))
    yield built
    await built.close()


async def test_steps_come_from_the_roadmap_in_order_each_with_its_entry(lib):
    assert tuple(s.slug for s in lib.roadmap.steps) == STEP_SLUGS
    assert {s.slug: s.resource for s in lib.roadmap.steps}["match-soap"] == "soap"
    for step in lib.roadmap.steps:
        assert step.slug in (await lib.resources.entry(COMMUNITY, step.resource)).steps


async def test_ticking_shows_what_comes_next_and_is_idempotent(lib):
    fresh = await lib.roadmap.progress(COMMUNITY, "console:alice")
    assert fresh.done == frozenset() and fresh.next.slug == "ecfmg-application"
    await lib.roadmap.tick(COMMUNITY, "console:alice", "ecfmg-application", True)
    again = await lib.roadmap.tick(COMMUNITY, "console:alice", "ecfmg-application", True)
    assert again.done == {"ecfmg-application"} and again.next.slug == "step1"
    skipped = await lib.roadmap.tick(COMMUNITY, "console:alice", "oet", True)
    assert skipped.next.slug == "step1"  # the first step not ticked, in pathway order
    undone = await lib.roadmap.tick(COMMUNITY, "console:alice", "ecfmg-application", False)
    assert undone.done == {"oet"} and undone.next.slug == "ecfmg-application"
    assert (await lib.roadmap.tick(COMMUNITY, "console:alice", "visa", False)).done == {"oet"}
    assert (await lib.roadmap.progress(OTHER, "console:alice")).done == frozenset()  # per community


async def test_every_step_ticked_is_done(lib):
    for slug in STEP_SLUGS:
        progress = await lib.roadmap.tick(COMMUNITY, "console:alice", slug, True)
    assert progress.next is None and progress.done == set(STEP_SLUGS)


async def test_an_unknown_step_is_refused(lib):
    with pytest.raises(UserError, match="`step4` is not a step of the roadmap; the steps are ecfmg-application"):
        await lib.roadmap.tick(COMMUNITY, "console:alice", "step4", True)


async def test_progress_survives_a_restart(database, clock, tmp_path):
    library = search_library(tmp_path)
    first = await build(Settings(db_path=database), clock=clock, library=library)
    try:
        await first.roadmap.tick(COMMUNITY, "console:alice", "step1", True)
        await first.roadmap.tick(COMMUNITY, "console:alice", "ecfmg-application", True)
    finally:
        await first.close()
    second = await build(Settings(db_path=database), clock=clock, library=library)
    try:
        progress = await second.roadmap.progress(COMMUNITY, "console:alice")
        assert progress.done == {"step1", "ecfmg-application"} and progress.next.slug == "step2ck"
    finally:
        await second.close()


async def test_the_aggregate_counts_members_at_each_step_and_never_names_them(lib):
    await lib.roadmap.tick(COMMUNITY, "console:a", "ecfmg-application", True)  # a: at step1
    await lib.roadmap.tick(COMMUNITY, "console:b", "ecfmg-application", True)  # b: at step1
    await lib.roadmap.tick(COMMUNITY, "console:c", "step1", True)  # c: still at ecfmg-application
    for slug in STEP_SLUGS:
        await lib.roadmap.tick(COMMUNITY, "console:d", slug, True)  # d: done
    await lib.roadmap.tick(OTHER, "console:e", "ecfmg-application", True)  # another community
    counts = await lib.roadmap.aggregate(COMMUNITY)
    assert list(counts) == [*STEP_SLUGS, "done"]
    assert {k: v for k, v in counts.items() if v} == {"ecfmg-application": 1, "step1": 2, "done": 1}
    assert not any("console" in key for key in counts)
    assert (await lib.roadmap.aggregate("console:nobody")) == dict.fromkeys([*STEP_SLUGS, "done"], 0)


async def test_a_step_shows_its_entrys_dates_for_the_cycle(lib):
    assert [(d.label, d.on.isoformat()) for d in lib.roadmap.dates("eras")] == [("ERAS opens to programs", "2026-09-24")]
    assert lib.roadmap.dates("step1") == () and lib.roadmap.dates("nope") == ()
