"""Questions as new members type them (typos, abbreviations, chatty phrasing), written by the library's blind
reviewer, not by its author: each must find its expected entry first, on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

QUERIES = json.loads((Path(__file__).parent / "resource_queries.json").read_text())["queries"]


def test_the_questions_are_many_and_varied() -> None:
    assert len(QUERIES) >= 30 and len({q["expected"] for q in QUERIES}) >= 25


async def test_every_question_finds_its_entry_first(services) -> None:
    missed = []
    for asked in QUERIES:
        found = await services.resources.search("console:default", asked["query"])
        first = found.hits[0].resource.id if found.hits else None
        if first != asked["expected"]:
            missed.append(f"{asked['query']!r}: expected {asked['expected']}, got {first} "
                          f"({[h.resource.id for h in found.hits[:3]]})")
    assert not missed, "\n".join(missed)


async def test_every_expected_entry_exists(services) -> None:
    for asked in QUERIES:
        assert (await services.resources.entry("console:default", asked["expected"])).id == asked["expected"]
