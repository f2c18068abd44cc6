"""/leaderboard and /streak in a community of 100,000 members with 1,000,000 activity rows, on SQLite and on
PostgreSQL, in one run. The target: a leaderboard's p99 under 20 ms.

    python -m bench.streaks [--members 100000] [--activities 1000000] [--calls 500]
                            [--database sqlite|postgresql|both] [--url URL] [--quick] [--check]

The community is seeded straight into `activity`, `streaks`, `tallies`, their value buckets (`streak_values`,
`tally_values`) and `members` in big executemany chunks, with the rows `StreakStore.record` would have written for the
same activity: each member's streak is `rules.fold` over their local days (a past expiry cleared, as record()'s
sweep leaves it), their tallies are counted per period ('all', 'W…', 'M…') per source and by week for any activity
('day').
Before each database's big seed, a small one (200 members) is seeded both ways, in bulk and through `record()` in
batches as group commit makes them: the tables must come out identical, and every board read from them must rank
as the rows do, so the figures are measured on real data (`--check` runs only that). History covers the 12 weeks
before a fixed instant; how much each member does is skewed (a few every day, most now and then), in a mix of zones
and rollover hours, checking in and answering the question of the day, so streaks run from 0 to 84 with many ties.
Then ANALYZE (PostgreSQL: VACUUM ANALYZE, which autovacuum does on a deployed server), as a deployed database has.

Measured through the service, one call at a time: `StreakService.board(community, metric, period, page, viewer)`
for each board, a random page (a third of the calls page 1) and a random viewer on that board (so the viewer's own
rank and the member just above are part of every call), and `/streak` (`summary` + `heatmap`) for a random member.
Printed for each database: the rows seeded and the seed time, the median and p99 of each operation, whether the
leaderboard's target is met, and the plan of each statement of a board and of /streak (EXPLAIN QUERY PLAN /
EXPLAIN).

PostgreSQL is the server at --url, else ROUNDS_TEST_DATABASE_URL, else DATABASE_URL, else a throwaway one started
from this machine's PostgreSQL programs (testkit/postgres.py) and stopped at the end; the run works in scratch
databases it creates there and drops afterwards. Figures vary on shared machines.
"""

from __future__ import annotations

import argparse
import functools
import math
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import URL, Engine, event, insert, select, text

from bench.servers import exit_with, measured_server, scratch_database
from core.clock import FrozenClock, iso
from core.community.people import PeopleStore
from core.community.store import CommunityStore
from core.storage import schema
from core.storage.database import Database
from core.storage.schema import activity, communities, streak_values, streaks, tallies, tally_values
from core.streaks.days import day_end, day_start, local_day
from core.streaks.rules import fold
from core.streaks.service import Place, StreakService
from core.streaks.store import ANY, Activity, Metric, StreakStore, periods
from testkit.standins.latency import LatencyStats

COMMUNITY = "console:bench"
COMMUNITY_ZONE = "America/New_York"
NOW = datetime(2026, 11, 26, 17, 45, tzinfo=UTC)  # a Thursday: the week's board holds four days, the month's 26
WINDOW = 84  # days of history: 12 weeks
MOST_A_DAY = 4  # a question of the day and up to three check-ins
#: Members' own zones (None: the community's), by weight.
ZONES: dict[str | None, int] = {None: 40, "Asia/Kolkata": 15, "Asia/Karachi": 8, "Africa/Lagos": 6,
                                "Europe/London": 6, "Asia/Manila": 5, "America/Chicago": 5, "Asia/Dubai": 5,
                                "America/Los_Angeles": 4, "Australia/Sydney": 3, "Pacific/Auckland": 3}
ROLLOVERS = {0: 75, 2: 10, 3: 8, 4: 7}
BOARDS: tuple[tuple[Metric, str], ...] = (("streak", "all"), ("checkins", "all"), ("checkins", "week"),
                                          ("checkins", "month"), ("qotd", "all"), ("qotd", "week"), ("qotd", "month"))
TARGET_MS = 20.0
CHECK_MEMBERS, CHECK_ACTIVITIES = 200, 2000
CHUNK = 25_000  # activity rows a bulk transaction (tallies come with them, about twice as many)
REPLAY_BATCH = 64  # activities a record() call in the check, as group commit batches them
WARMUP = 20


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    zone: str | None  # their own; None: the community's
    rollover: int

    @property
    def zone_in_force(self) -> str:
        return self.zone or COMMUNITY_ZONE


# -- the community ---------------------------------------------------------------------------------------------------
def people(count: int, rng: random.Random) -> list[Person]:
    zones, rollovers = list(ZONES), list(ROLLOVERS)
    return [Person(f"console:m{n:06d}", f"Member {n}", rng.choices(zones, list(ZONES.values()))[0],
                   rng.choices(rollovers, list(ROLLOVERS.values()))[0]) for n in range(count)]


def counts(members: int, total: int, rng: random.Random) -> list[int]:
    """How many activities each member has: skewed (lognormal; median about half the mean, a few at the cap), at
    least one each, summing to `total` exactly."""
    cap = WINDOW * MOST_A_DAY
    if not members <= total <= members * cap:
        raise SystemExit(f"--activities must be from --members to {cap} times --members")
    raw = [rng.lognormvariate(0, 1.2) for _ in range(members)]
    scale = total / sum(raw)
    n = [min(cap, max(1, round(r * scale))) for r in raw]
    missing = total - sum(n)
    while missing:
        i = rng.randrange(members)
        step = 1 if missing > 0 else -1
        if 1 <= n[i] + step <= cap:
            n[i] += step
            missing -= step
    return n


def active_days(d: int, today: date, rng: random.Random) -> list[date]:
    """`d` local days out of the window ending today: a run (the more active a member, the likelier), now and then a
    day missed inside it, ending today or a little before; else days here and there."""
    if d >= WINDOW:
        return [today - timedelta(days=k) for k in range(WINDOW)]
    if rng.random() < 0.25 + 0.7 * d / WINDOW:
        k = min(WINDOW - d, rng.choice((0, 0, 0, 0, 1, 1, 1, 2, 3, 5, 8, 13, 21, 34)))
        picked: list[int] = []
        while len(picked) < d:
            picked.append(k)
            k += 1
            if rng.random() < 0.06 and WINDOW - k - 1 >= d - len(picked):
                k += 1  # a day missed: a held freeze covers it, else the streak starts again
        return [today - timedelta(days=k) for k in picked]
    return [today - timedelta(days=k) for k in rng.sample(range(WINDOW), d)]


def member_activity(person: Person, n: int, rng: random.Random) -> list[Activity]:
    """A member's `n` activities, in the order they happened: at least one a day they were active, a question of
    the day at most once a day (it has a `ref`), up to three check-ins."""
    zone = person.zone_in_force
    today = local_day(NOW, zone, person.rollover)
    d = min(WINDOW, max(math.ceil(n / MOST_A_DAY), round(n / rng.uniform(1.0, 2.0)), 1))
    days = active_days(d, today, rng)
    likes_qotd = rng.uniform(0.1, 0.7)
    first = [(day, "qotd" if rng.random() < likes_qotd else "checkin") for day in days]
    tiers = [[(day, "checkin" if source == "qotd" else "qotd") for day, source in first],
             [(day, "checkin") for day in days], [(day, "checkin") for day in days]]
    for tier in tiers:
        rng.shuffle(tier)
    chosen = first + [slot for tier in tiers for slot in tier][: n - d]
    out = []
    bounds = {day: (day_start(day, zone, person.rollover), min(day_end(day, zone, person.rollover), NOW))
              for day in days}
    for day, source in chosen:
        start, end = bounds[day]
        at = start + timedelta(microseconds=rng.randrange(max(1, (end - start) // timedelta(microseconds=1))))
        if source == "qotd":
            out.append(Activity(COMMUNITY, person.id, source, at, zone, person.rollover, questions=1,
                                ref=f"post:{day.toordinal()}"))
        else:
            out.append(Activity(COMMUNITY, person.id, source, at, zone, person.rollover,
                                questions=rng.choice((0, 10, 20, 40, 40, 80)), minutes=rng.choice((0, 30, 60, 90)),
                                note=rng.choice(("", "", "", "cardio block", "renal NBME"))))
    return sorted(out, key=lambda e: e.at)


def community(members: int, total: int, seed: int) -> Iterator[tuple[Person, list[Activity]]]:
    """Every member with their activity, the same for the same arguments."""
    rng = random.Random(seed)
    for person, n in zip(people(members, rng), counts(members, total, rng), strict=True):
        yield person, member_activity(person, n, rng)


# -- the rows record() would write -----------------------------------------------------------------------------------
def activity_row(e: Activity, day: date) -> dict[str, Any]:
    return {"community_id": e.community_id, "member_id": e.member_id, "source": e.source, "at": iso(e.at),
            "zone": e.zone, "local_day": day.isoformat(), "questions": e.questions, "minutes": e.minutes,
            "note": e.note, "ref": e.ref}


def streak_row(person: Person, entries: list[Activity], days: list[date]) -> dict[str, Any]:
    """The member's days folded by the one rule; it expires when the last keepable day ends in their zone, and an
    expiry already past is cleared, as the sweep of record()'s later writes leaves it."""
    streak = fold(days)
    alive = streak.alive_through
    latest = entries[-1]
    expires = day_end(alive, latest.zone, latest.rollover) if alive is not None else None
    if expires is not None and expires <= NOW:
        expires = None
    return {"community_id": COMMUNITY, "member_id": person.id, "current": streak.current, "longest": streak.longest,
            "freezes": streak.freezes, "last_day": streak.last_day.isoformat() if streak.last_day else None,
            "frozen": ",".join(d.isoformat() for d in streak.frozen), "expires_at": iso(expires) if expires else None,
            "nudge": 0, "updated_at": iso(NOW)}


def tally_rows(person: Person, entries: list[Activity], days: list[date]) -> list[dict[str, Any]]:
    """Per period of each day per source, and by week for any activity: the distinct days and the activities."""
    by_day: dict[tuple[date, str], int] = {}
    for e, day in zip(entries, days, strict=True):
        for key in ((day, e.source), (day, ANY)):
            by_day[key] = by_day.get(key, 0) + 1
    seen: dict[tuple[str, str], int] = {}
    count: dict[tuple[str, str], int] = {}
    for (day, source), n in by_day.items():
        for period in _periods(day) if source != ANY else _periods(day)[1:2]:
            board = (period, source)
            seen[board] = seen.get(board, 0) + 1
            count[board] = count.get(board, 0) + n
    return [{"community_id": COMMUNITY, "period": period, "source": source, "member_id": person.id,
             "days": seen[(period, source)], "count": count[(period, source)]} for period, source in sorted(count)]


@functools.cache
def _periods(day: date) -> tuple[str, str, str]:
    return periods(day)


def rows_of(person: Person, entries: list[Activity]) -> tuple[list[dict[str, Any]], dict[str, Any], list[dict[str, Any]]]:
    """A member's activity, streak and tally rows, as record() writes them (each activity's day from its instant,
    zone and rollover, as record() takes it)."""
    days = [e.day for e in entries]
    return ([activity_row(e, day) for e, day in zip(entries, days, strict=True)], streak_row(person, entries, days),
            tally_rows(person, entries, days))


def member_row(person: Person) -> dict[str, Any]:
    return {"id": person.id, "display_name": person.name, "timezone": person.zone, "rollover_hour": person.rollover,
            "created_at": iso(NOW - timedelta(days=WINDOW))}


#: What record() writes, and so what the bulk seed writes.
TABLES = {"activity": activity, "streaks": streaks, "tallies": tallies, "streak_values": streak_values,
          "tally_values": tally_values}


@dataclass
class Seeded:
    rows: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    generating: float = 0.0  # of which: making the rows in Python
    analyze: float = 0.0

    def describe(self) -> str:
        shown = ", ".join(f"{self.rows[t]:,} {t}" for t in ("activity", "streaks", "tallies", "members"))
        buckets = self.rows["streak_values"] + self.rows["tally_values"]
        return f"{shown} (+ {buckets:,} value buckets) in {self.seconds:.1f} s (rows made in Python: {self.generating:.1f} s)"


async def seed(db: Database, members: int, total: int, seed_: int) -> Seeded:
    """The community in bulk: plain INSERTs in executemany chunks, one transaction a chunk."""
    seeded = Seeded()
    began = time.perf_counter()
    await db.execute(insert(communities).values(id=COMMUNITY, name="Bench", timezone=COMMUNITY_ZONE,
                                                created_at=iso(NOW - timedelta(days=WINDOW))))
    pending: dict[str, list[dict[str, Any]]] = {name: [] for name in ("members", *TABLES)}
    tables = {"members": schema.members, **TABLES}
    streak_buckets: Counter[tuple[str, int]] = Counter()
    tally_buckets: Counter[tuple[str, str, str, int]] = Counter()

    async def flush() -> None:
        async with db.transaction() as conn:
            for name, values in pending.items():
                if values:
                    await conn.execute(insert(tables[name]), values)
                    seeded.rows[name] += len(values)
                    values.clear()

    made = time.perf_counter()
    for person, entries in community(members, total, seed_):
        pending["members"].append(member_row(person))
        mine, streak, tallied = rows_of(person, entries)
        pending["activity"].extend(mine)
        pending["streaks"].append(streak)
        pending["tallies"].extend(tallied)
        if streak["current"] > 0 and streak["expires_at"] is not None:
            streak_buckets[(streak["expires_at"], streak["current"])] += 1
        for row in tallied:
            for metric in ("days", "count"):
                tally_buckets[(row["period"], row["source"], metric, row[metric])] += 1
        if len(pending["activity"]) >= CHUNK:
            seeded.generating += time.perf_counter() - made
            await flush()
            made = time.perf_counter()
    pending["streak_values"] = [{"community_id": COMMUNITY, "expires_at": e, "current": c, "members": n}
                                for (e, c), n in sorted(streak_buckets.items())]
    pending["tally_values"] = [{"community_id": COMMUNITY, "period": p, "source": s, "metric": m, "value": v,
                                "members": n} for (p, s, m, v), n in sorted(tally_buckets.items())]
    seeded.generating += time.perf_counter() - made
    await flush()
    seeded.seconds = time.perf_counter() - began
    return seeded


async def analyze(db: Database) -> float:
    """What a deployed database has: planner statistics (and on PostgreSQL the visibility map autovacuum keeps,
    which an index-only scan needs)."""
    began = time.perf_counter()
    if db.dialect == "sqlite":
        await db.execute(text("ANALYZE"))
    else:
        conn = await asyncpg.connect(_dsn(db.url), timeout=10)
        try:
            await conn.execute("VACUUM ANALYZE")
        finally:
            await conn.close()
    return time.perf_counter() - began


# -- the check: bulk rows == record()'s rows --------------------------------------------------------------------------
async def replay(db: Database, members: int, total: int, seed_: int) -> None:
    """The same activity through StreakStore.record, in the order it happened, in group-commit-sized batches."""
    store = StreakStore(db, FrozenClock(NOW))
    entries = sorted((e for _, mine in community(members, total, seed_) for e in mine), key=lambda e: e.at)
    for start in range(0, len(entries), REPLAY_BATCH):
        await store.record(entries[start:start + REPLAY_BATCH])


async def contents(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """The tables record() writes, in a fixed order (activity without its id)."""
    out = {}
    for name, table in TABLES.items():
        cols = [c for c in table.c if c.name != "id"]
        found = await db.fetchall(select(*cols).order_by(*cols))
        out[name] = [tuple(r[c.name] for c in cols) for r in found]
    return out


async def check(bulk: Database, recorded: Database, members: int = CHECK_MEMBERS, total: int = CHECK_ACTIVITIES,
                seed_: int = 7) -> str:
    """Seed both ways and compare; raises AssertionError naming the first differences."""
    await seed(bulk, members, total, seed_)
    await replay(recorded, members, total, seed_)
    mine, theirs = await contents(bulk), await contents(recorded)
    problems = []
    for name in mine:
        if mine[name] != theirs[name]:
            extra, missing = set(mine[name]) - set(theirs[name]), set(theirs[name]) - set(mine[name])
            problems.append(f"{name}: {len(mine[name])} rows in bulk, {len(theirs[name])} through record(); "
                            f"only in bulk {sorted(extra)[:3]}, only through record() {sorted(missing)[:3]}")
    if problems:
        raise AssertionError("bulk seeding differs from StreakStore.record():\n  " + "\n  ".join(problems))
    boards = await check_boards(bulk, random.Random(seed_))
    return (f"{members} members, {total:,} activities seeded in bulk and through StreakStore.record(): identical "
            f"({len(mine['activity']):,} activity, {len(mine['streaks']):,} streaks, {len(mine['tallies']):,} "
            f"tallies, {len(mine['streak_values']) + len(mine['tally_values']):,} value bucket rows); {boards:,} "
            "boards and pages read as the rows rank them")


async def ranked(db: Database, metric: Metric, key: str) -> list[tuple[str, int]]:
    """A board worked out from every row, without the store's statements: (member, value) in board order."""
    if metric == "streak":
        found = [(r["member_id"], r["current"]) for r in await db.fetchall(select(streaks))
                 if r["current"] > 0 and r["expires_at"] is not None and r["expires_at"] > iso(NOW)]
    else:
        column = "days" if metric == "checkins" else "count"
        source = "checkin" if metric == "checkins" else "qotd"
        found = [(r["member_id"], r[column]) for r in await db.fetchall(select(tallies))
                 if r["period"] == key and r["source"] == source and r[column] > 0]
    return sorted(found, key=lambda place: (-place[1], place[0]))


def _telling_offsets(values: list[int]) -> list[int]:
    """Offsets where a page of 10 starts at, just before, or just after the first of a value, or in the middle of
    the members holding one (where `page` turns from reading forward to reading back), and the ends."""
    firsts = [i for i, v in enumerate(values) if i == 0 or values[i - 1] != v] + [len(values)]
    near = {first + d for first in firsts for d in (-10, -9, -1, 0)}
    middles = {(a + b) // 2 + d for a, b in zip(firsts, firsts[1:], strict=False) for d in (0, 1)}
    return sorted(o for o in near | middles | {0, len(values)} if 0 <= o <= len(values))


async def check_boards(db: Database, rng: random.Random) -> int:
    """Every board and every page (and one past the end) for viewers at the top, first of a tie, anywhere and off
    the board, and the store's `page` at the offsets that tell, against the rows: the same places, competition
    ranks, size, the viewer's place and the member just above."""
    service = service_on(db)
    checked = 0
    for metric, period in BOARDS:
        key = (await service.board(COMMUNITY, metric, period, 1, "")).key
        order = await ranked(db, metric, key)
        ranks = [1 + sum(1 for _, v in order if v > value) for _, value in order]
        place = {m: Place(ranks[i], m, v) for i, (m, v) in enumerate(order)}
        ranking = service.store.ranking(COMMUNITY, metric, key)
        for offset in _telling_offsets([v for _, v in order]):
            got = await service.store.page(ranking, 10, offset)
            assert got == order[offset:offset + 10], (metric, period, offset, got, order[offset:offset + 10])
            checked += 1
        pages = max(1, math.ceil(len(order) / 10))
        # the top, the first of every tie (the next value up is ahead of them), anyone, and someone not on the board
        firsts = [m for i, (m, v) in enumerate(order) if i == 0 or order[i - 1][1] != v]
        firsts = firsts[:1] + rng.sample(firsts[1:], min(len(firsts) - 1, 12))
        viewers = [*firsts, *(m for m, _ in rng.sample(order, min(len(order), pages + 1))), "console:nobody"]
        for n, viewer in enumerate(viewers):
            page = n % (pages + 1) + 1  # every page, and one past the end
            board = await service.board(COMMUNITY, metric, period, page, viewer)
            shown = min(page, pages)
            more = [m for m, v in order if viewer in place and v > place[viewer].value]  # "next up": the nearest
            expected = ([place[m] for m, _ in order[(shown - 1) * 10:shown * 10]],
                        len(order), shown, pages, place.get(viewer),
                        place[more[-1]] if more else None)
            actual = (board.places, board.total, board.page, board.pages, board.mine, board.above)
            assert actual == expected, (metric, period, page, viewer, actual, expected)
            checked += 1
    return checked


# -- measuring --------------------------------------------------------------------------------------------------------
def service_on(db: Database) -> StreakService:
    clock = FrozenClock(NOW)
    return StreakService(StreakStore(db, clock), PeopleStore(db, clock), CommunityStore(db, clock), clock)


@dataclass(frozen=True)
class Measured:
    name: str
    latency: LatencyStats
    note: str = ""

    @property
    def board(self) -> bool:
        return self.name.startswith("/leaderboard")


async def timed(calls: int, call: Any) -> LatencyStats:
    for n in range(WARMUP):
        await call(n)
    samples = []
    for n in range(calls):
        began = time.perf_counter()
        await call(n)
        samples.append(time.perf_counter() - began)
    return LatencyStats.from_samples(samples)


async def measure(service: StreakService, members: int, calls: int, seed_: int) -> list[Measured]:
    rng = random.Random(seed_ + 1)
    out = []
    for metric, period in BOARDS:
        first = await service.board(COMMUNITY, metric, period, 1, "")
        ranking = service.store.ranking(COMMUNITY, metric, first.key)
        on_board = [m for m, _ in await service.store.page(ranking, first.total, 0)]
        plan = [(rng.randint(1, first.pages) if rng.random() > 1 / 3 else 1, rng.choice(on_board))
                for _ in range(calls + WARMUP)]

        async def call(n: int, metric: Metric = metric, period: str = period,
                       plan: list[tuple[int, str]] = plan) -> None:
            board = await service.board(COMMUNITY, metric, period, *plan[n])
            assert board.mine is not None  # the viewer is on the board: their rank is part of the call

        name = f"/leaderboard {metric}" + (f" {period}" if metric != "streak" else "")
        out.append(Measured(name, await timed(calls, call), f"{first.total:,} ranked, {first.pages:,} pages"))
    viewers = [f"console:m{rng.randrange(members):06d}" for _ in range(calls + WARMUP)]

    async def streak(n: int) -> None:
        await service.summary(COMMUNITY, viewers[n])
        await service.heatmap(COMMUNITY, viewers[n])

    out.append(Measured("/streak (summary + heatmap)", await timed(calls, streak), "a random member"))
    return out


async def plans(db: Database, service: StreakService) -> list[str]:
    """The plan of each statement a board call (the streak board, then a tally board) and a /streak call run, as
    run: captured with its parameters on the way to the driver, named by the store method that sent it, explained."""
    store = service.store
    sender = [""]
    for name in READS:
        setattr(store, name, _named(getattr(store, name), name, sender))
    seen: dict[str, dict[str, Any]] = {}  # method -> its statements (as sent) -> their parameters

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        if sender[0]:
            seen.setdefault(sender[0], {}).setdefault(statement, parameters)

    calls: list[tuple[str, Any]] = []
    for metric, period in PLANNED:
        first = await service.board(COMMUNITY, metric, period, 1, "")
        ranking = store.ranking(COMMUNITY, metric, first.key)
        viewer = (await StreakStore.page(store, ranking, 1, first.total // 2))[0][0]
        calls.append((f"/leaderboard {metric} {period}, page {first.pages // 2:,} of {first.pages:,}, a viewer "
                      "half-way down", service.board(COMMUNITY, metric, period, first.pages // 2, viewer)))
    async def streak() -> None:
        await service.summary(COMMUNITY, viewer)
        await service.heatmap(COMMUNITY, viewer)

    calls.append(("/streak (summary + heatmap)", streak()))
    prefix = "EXPLAIN QUERY PLAN " if db.dialect == "sqlite" else "EXPLAIN (COSTS OFF) "
    lines: list[str] = []
    try:
        for title, call in calls:
            seen.clear()
            event.listen(Engine, "before_cursor_execute", capture)
            try:
                await call
            finally:
                event.remove(Engine, "before_cursor_execute", capture)
            lines.append(f"{title}:")
            for name, label in READS.items():
                for statement, parameters in seen.get(name, {}).items():
                    async with db.transaction() as conn:
                        found = (await conn.exec_driver_sql(prefix + statement, parameters)).all()
                    lines.append(f"  {label}: {' '.join(statement.split())}")
                    lines.extend(f"      {row[-1]}" for row in found)
    finally:
        for name in READS:
            delattr(store, name)
    return lines


PLANNED: tuple[tuple[Metric, str], ...] = (("streak", "all"), ("checkins", "all"))
#: The store's reads a board or /streak makes, and what each is for.
READS = {"spread": "spread (the board's size and every rank: members per value)", "page": "page",
         "standing": "standing (the viewer's value, the member just above)", "kept": "kept (the stored streak)",
         "totals": "totals", "day_counts": "day_counts (the heatmap)"}


def _named(method: Any, name: str, sender: list[str]) -> Any:
    async def called(*args: Any) -> Any:
        sender[0] = name
        try:
            return await method(*args)
        finally:
            sender[0] = ""

    return called


# -- running ----------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Target:
    """A database to measure: what to print, and how to get fresh empty ones."""

    shown: str
    fresh: Any  # () -> async context manager yielding a target string


async def on_database(target: Target, args: argparse.Namespace) -> bool:
    print(target.shown)
    async with target.fresh() as bulk_target, target.fresh() as recorded_target:
        bulk, recorded = await Database(bulk_target).open(), await Database(recorded_target).open()
        try:
            print(f"  seeding check: {await check(bulk, recorded, seed_=args.seed)}")
        finally:
            await bulk.close()
            await recorded.close()
    if args.check:
        return True
    async with target.fresh() as where:
        db = await Database(where).open()
        try:
            seeded = await seed(db, args.members, args.activities, args.seed)
            seeded.analyze = await analyze(db)
            print(f"  seeded: {seeded.describe()}; {'ANALYZE' if db.dialect == 'sqlite' else 'VACUUM ANALYZE'} "
                  f"{seeded.analyze:.1f} s")
            service = service_on(db)
            measured = await measure(service, args.members, args.calls, args.seed)
            for m in measured:
                print(f"  {m.name:<30}{m.latency.count} calls  median {m.latency.median * 1000:6.2f} ms  "
                      f"p99 {m.latency.p99 * 1000:6.2f} ms  max {m.latency.max * 1000:6.1f} ms   ({m.note})")
            worst = max((m for m in measured if m.board), key=lambda m: m.latency.p99)
            met = worst.latency.p99 * 1000 < TARGET_MS
            print(f"  leaderboard p99 under {TARGET_MS:.0f} ms: {'met' if met else 'NOT met'} "
                  f"(worst p99 {worst.latency.p99 * 1000:.2f} ms, {worst.name})")
            print("  query plans:")
            for line in await plans(db, service):
                print(f"    {line}")
            return met
        finally:
            await db.close()


def sqlite_target() -> Target:
    @asynccontextmanager
    async def fresh() -> AsyncIterator[str]:
        with tempfile.TemporaryDirectory(dir=Path.cwd()) as folder:
            yield str(Path(folder) / "streaks.db")

    return Target(f"SQLite (a WAL file in {Path.cwd()}, synchronous=NORMAL, SQLite {_sqlite_version()})", fresh)


def postgres_target(server: URL, origin: str) -> Target:
    @asynccontextmanager
    async def fresh() -> AsyncIterator[str]:
        async with scratch_database(server) as url:
            yield url.render_as_string(hide_password=False)

    shown = server._replace(database=None).render_as_string(hide_password=True)
    return Target(f"PostgreSQL at {shown} ({origin})", fresh)


def _sqlite_version() -> str:
    import sqlite3

    return sqlite3.sqlite_version


def _dsn(url: URL) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


async def run(args: argparse.Namespace) -> int:
    met = True
    with measured_server(args.url, args.database, "a throwaway server, fsync=off") as server:
        if server.url is None and args.database == "postgresql":
            print(server.note, file=sys.stderr)
            return 2
        what = "seeding check only" if args.check else (f"{args.members:,} members, {args.activities:,} activity "
                                                        f"rows over {WINDOW // 7} weeks, {args.calls} calls an "
                                                        "operation")
        print(f"streaks: {what} (seed {args.seed}, the clock at {NOW.isoformat()})")
        if server.note:
            print(f"note: {server.note}")
        if args.database in ("sqlite", "both"):
            met = await on_database(sqlite_target(), args) and met
        if server.url is not None and args.database in ("postgresql", "both"):
            met = await on_database(postgres_target(server.url, server.origin), args) and met
    return 0 if met else 1


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=100_000, help="members in the community")
    parser.add_argument("--activities", type=int, default=1_000_000, help="activity rows, over the last 12 weeks")
    parser.add_argument("--calls", type=int, default=500, help="timed calls an operation")
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both",
                        help="which databases to measure (default: both when a PostgreSQL server is available)")
    parser.add_argument("--url", help="a PostgreSQL server to measure (default: ROUNDS_TEST_DATABASE_URL, "
                                      "DATABASE_URL, else a throwaway one)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 10,000 members, 100,000 activity rows")
    parser.add_argument("--check", action="store_true",
                        help="only check, on a small seed, that bulk seeding writes what StreakStore.record() does")
    parser.add_argument("--seed", type=int, default=7, help="the random seed of the community")
    args = parser.parse_args(argv)
    if args.quick:
        args.members, args.activities = 10_000, 100_000
    exit_with(run(args))


if __name__ == "__main__":
    main()
