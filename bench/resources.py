"""Resource search over 1,000 entries, median and p99 per kind of query, on SQLite and on PostgreSQL.

    python -m bench.resources [--database sqlite|postgres|both] [--entries 1000] [--rounds 40] [--library DIR]
                              [--url URL]

The entries are the bundled library (or the folder --library names) plus community entries generated up to
--entries, approved through the service as a community's suggestions are; the community searched has them all. The
queries are the kinds members type: a title's words, chatty questions, abbreviations, typos, queries that find
nothing (they pay for "did you mean") and FTS syntax. Each query runs once to warm up, then --rounds times, one at
a time, through ResourceService.search: the same statements a /resource command runs.

PostgreSQL is the server at --url (else ROUNDS_TEST_DATABASE_URL, else DATABASE_URL), else a throwaway one started
from this machine's PostgreSQL programs; each run works in a scratch database it drops afterwards. Figures vary on
shared machines: the SELECT 1 line gives the floor one statement costs through the database layer in the same run.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from contextlib import AsyncExitStack
from pathlib import Path

from sqlalchemy import URL, text

from bench.servers import exit_with, measured_server, scratch_database
from core.bootstrap import Services, build
from core.community.members import Member
from core.resources.library import bundled_folder, load_bundled
from core.settings import Settings
from testkit.standins.latency import LatencyStats

COMMUNITY = "console:bench"
TARGET_P99 = 0.005  # seconds, on SQLite
QUERIES: dict[str, tuple[str, ...]] = {
    "title words": ("ecfmg certification", "program signals", "rank order list", "personal statement",
                    "two year home residence requirement", "usmle score report"),
    "chatty": ("hey guys how do i get an observership??", "is step 1 still scored or just pass fail",
               "when does eras open this year", "what is soap and how does it work",
               "can anyone explain j1 vs h1b for residency", "how do i know if a program is img friendly"),
    "abbreviation": ("CK", "LoR", "YOG", "USCE", "IMG", "SOAP", "ROL", "MSPE", "DS-2019"),
    "typo": ("ecfmg certifcation", "obsevership", "persnal statement", "reccomendation letters",
             "residancy interview", "wellbeing and burnot"),
    "no match": ("zebra quantum", "xyzzy plugh", "qwertyuiop"),
    "fts syntax": ('"NEAR(', "soap AND eras*", "title:(ecfmg", "^visa OR NOT j1"),
}
TOPICS = ("Step 1", "Step 2 CK", "Step 3", "ERAS", "NRMP", "observership", "externship", "research", "J-1 visa",
          "H-1B", "interview", "UWorld", "Anki deck", "personal statement", "CV", "letters", "SOAP", "Match", "OET",
          "ECFMG", "mentor", "networking", "burnout", "rank list", "signals", "USCE", "clinical skills", "NBME")
KINDS = ("notes", "tips", "checklist", "guide", "timeline", "experience", "resources", "spreadsheet", "thread",
         "question bank", "study plan", "practice", "webinar")
WORDS = ("how", "we", "used", "this", "for", "the", "exam", "and", "it", "helped", "our", "group", "schedule",
         "weekly", "review", "with", "free", "links", "programs", "applicants", "international", "graduates",
         "hospital", "rotation", "scores", "deadline", "advice", "senior", "members", "shared")


def generated(n: int, seed: int = 13) -> list[tuple[str, str, tuple[str, ...]]]:
    """n community entries (title, note, tags) that read like members' suggestions, the same every run."""
    rng = random.Random(seed)
    made = []
    for i in range(n):
        topic, kind = rng.choice(TOPICS), rng.choice(KINDS)
        note = " ".join(rng.choice(WORDS + TOPICS) for _ in range(rng.randint(12, 40)))
        made.append((f"{topic} {kind} #{i + 1}", note[:480], (topic.lower().replace(" ", "-"),)))
    return made


async def fill(services: Services, total: int) -> int:
    """The community's entries, suggested and approved through the service, up to `total` with the library."""
    wanted = max(0, total - len(services.resources.library.resources))
    author = Member("console:bench-author", "bench")
    for title, note, tags in generated(wanted):
        s = await services.resources.suggest(COMMUNITY, author, title, "https://www.example.org/", note, tags)
        await services.resources.decide(COMMUNITY, s.number, True, "console:bench-admin")
    return len(services.resources.library.resources) + wanted


async def measure(target: str, args: argparse.Namespace, heading: str) -> bool:
    library = load_bundled(Path(args.library)) if args.library else load_bundled()
    services = await build(Settings(db_path=target), library=library)
    try:
        began = time.perf_counter()
        entries = await fill(services, args.entries)
        print(f"{heading}\n  {entries} entries ({len(library.resources)} in the library), filled in "
              f"{time.perf_counter() - began:.1f} s")
        floor = []
        for _ in range(200):
            start = time.perf_counter()
            await services.db.fetchone(text("SELECT 1"))
            floor.append(time.perf_counter() - start)
        print(f"  {'SELECT 1 through the database layer:':<40}{LatencyStats.from_samples(floor).describe()}")
        everything: list[float] = []
        for kind, queries in QUERIES.items():
            samples = await _samples(services, queries, args.rounds)
            everything += samples
            print(f"  {kind + f' ({len(queries)} queries):':<40}{LatencyStats.from_samples(samples).describe()}")
        overall = LatencyStats.from_samples(everything)
        print(f"  {'all queries:':<40}{overall.describe()}")
        return overall.p99 < TARGET_P99
    finally:
        await services.close()


async def _samples(services: Services, queries: tuple[str, ...], rounds: int) -> list[float]:
    for query in queries:  # warm up: statement caches, connections
        await services.resources.search(COMMUNITY, query)
    samples = []
    for _ in range(rounds):
        for query in queries:
            start = time.perf_counter()
            await services.resources.search(COMMUNITY, query)
            samples.append(time.perf_counter() - start)
    return samples


async def run(args: argparse.Namespace) -> int:
    database = "postgresql" if args.database == "postgres" else args.database
    if not args.library and not bundled_folder().is_dir():
        print("note: no content/resources on this checkout: only generated entries (give --library DIR)")
    with measured_server(args.url, database) as server:
        async with AsyncExitStack() as stack:
            if server.url is None and database == "postgresql":
                print(server.note, file=sys.stderr)
                return 2
            measured: URL | None = server.url if database in ("postgresql", "both") else None
            scratch = await stack.enter_async_context(scratch_database(measured)) if measured is not None else None
            print(f"resource search: {args.rounds} rounds of each query, one at a time")
            if server.note:
                print(f"note: {server.note}")
            if database in ("sqlite", "both"):
                with tempfile.TemporaryDirectory(dir=Path.cwd()) as folder:
                    met = await measure(str(Path(folder) / "bench.db"), args,
                                        f"SQLite (a WAL file in {Path.cwd()})")
                print(f"  target p99 < {TARGET_P99 * 1000:.0f} ms on SQLite: {'met' if met else 'NOT met'}")
            if measured is not None and scratch is not None:
                shown = measured._replace(database=None).render_as_string(hide_password=True)
                await measure(scratch.render_as_string(hide_password=False), args,
                              f"PostgreSQL at {shown} ({server.origin})")
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", choices=("sqlite", "postgres", "postgresql", "both"), default="both")
    parser.add_argument("--entries", type=int, default=1000, help="entries in all (library + generated)")
    parser.add_argument("--rounds", type=int, default=40, help="times each query is measured")
    parser.add_argument("--library", help="a content/resources folder to use instead of the bundled one")
    parser.add_argument("--url", help="a PostgreSQL server to measure (default: DATABASE_URL, else a throwaway one)")
    exit_with(run(parser.parse_args()))


if __name__ == "__main__":
    main()
