"""Activity, streaks and tallies in the database: the one place their SQL lives.

An activity is stored with its instant, the zone in force then and the local day that made, so a later zone change
never moves it. Recording folds the new days into the member's stored streak (the one rule, `rules.advance`) and
adds to their tallies for the periods the day belongs to, in the same transaction: a leaderboard then reads an index
of `streaks` or `tallies`, never the activity. An activity with a `ref` counts once (a question answered is one
activity however many times it is pressed).

The same transaction moves the member between the buckets of `streak_values` and `tally_values`, which count the
members holding each value of a board: a rank, a board's size and where a page starts are sums over those few
buckets, never a count of the members (100,000 of them take a SQLite count 10 to 25 ms). Anything else that ever
writes `streaks` or `tallies` must move the buckets with them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import cached_property
from typing import Any, Literal

from sqlalchemy import (
    ColumnElement,
    Select,
    Table,
    and_,
    bindparam,
    delete,
    exists,
    func,
    insert,
    literal,
    select,
    tuple_,
    union_all,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from core.clock import Clock, iso, parse_iso
from core.storage.database import Database, Row, rows
from core.storage.schema import activity, answers, daily_posts, duties, live_boards, streak_values, streaks, tallies, tally_values
from core.streaks.days import day_end, local_day
from core.streaks.rules import Streak, advance, fold

#: Where activity comes from, and how Rounds names it: a new source is one line here.
SOURCES: dict[str, str] = {
    "checkin": "check-in",
    "qotd": "question of the day",
    "session": "study session",
    "review": "spaced review",
}
ANY = "day"  # the tally of days with any activity at all, kept by week (the recap's active members and milestones)
FOLDED = ("current", "longest", "freezes", "last_day", "frozen", "expires_at", "updated_at")
Metric = Literal["streak", "checkins", "qotd"]
METRIC_SOURCE: dict[str, str] = {"checkins": "checkin", "qotd": "qotd"}
METRIC_COLUMN: dict[str, str] = {"checkins": "days", "qotd": "count"}  # which tally a board ranks by
Bucket = tuple[str | int, ...]  # a value bucket's key, in its table's primary key order
SWEEP_LIMIT = 500  # run-out streaks cleared by one write (a backlog clears over the next ones)
SCOPE_SEPARATOR = "/"


def member_scope(community_id: str, member_id: str) -> str:
    """The scope of a duty about one member in one community (their nudge): it starts with the community's id, so
    its platform is the community's, and `unplanned_nudges` finds it by the same concatenation."""
    return f"{community_id}{SCOPE_SEPARATOR}{member_id}"


@dataclass(frozen=True)
class Activity:
    community_id: str
    member_id: str
    source: str
    at: datetime
    zone: str  # in force at `at`
    rollover: int = 0
    questions: int = 0
    minutes: int = 0
    note: str = ""
    ref: str | None = None
    counts_for: date | None = None  # set when recorded: a day before the member's last active day counts for that

    @cached_property
    def day(self) -> date:
        """Worked out once: a batch asks each activity's day several times, and a zone's rules are not free."""
        return self.counts_for or local_day(self.at, self.zone, self.rollover)


@dataclass(frozen=True)
class Kept:
    """A member's stored streak, and whether they asked to be nudged."""

    streak: Streak = Streak()
    nudge: bool = False


@dataclass(frozen=True)
class LiveBoard:
    """A leaderboard message a duty keeps up to date: where it is (None until it is posted) and what it ranks."""

    community_id: str
    channel_id: str
    period: str
    metric: Metric
    message_id: str | None = None
    refreshed_at: datetime | None = None


@dataclass(frozen=True)
class Totals:
    days: int = 0
    count: int = 0


def periods(day: date) -> tuple[str, str, str]:
    """The tallies a day adds to: all time, its ISO week, its month."""
    week = day.isocalendar()
    return ("all", f"W{week.year}-{week.week:02d}", f"M{day.year}-{day.month:02d}")


class StreakStore:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    # -- writing ----------------------------------------------------------------------------------------------------
    async def record(self, entries: Sequence[Activity]) -> dict[tuple[str, str], Streak]:
        """Store a batch of activity and fold it in; returns the streaks it changed, by (community, member). An
        entry whose `ref` was recorded before is dropped, and counts nothing."""
        async with self._db.transaction() as conn:
            return await self.record_in(conn, entries)

    async def record_in(self, conn: AsyncConnection, entries: Sequence[Activity]) -> dict[tuple[str, str], Streak]:
        """`record` inside a transaction of the caller's (the answers' own, so both commit together)."""
        if not entries:
            return {}
        held = await self._held(conn, entries)
        entries = [_no_earlier(e, held.get((e.community_id, e.member_id))) for e in entries]
        known = await self._days_known(conn, entries)
        kept = await self._insert(conn, entries)
        if not kept:
            return {}
        tally_moves: Counter[Bucket] = Counter()
        streak_moves: Counter[Bucket] = Counter()
        await self._add_tallies(conn, kept, known, tally_moves)
        changed = await self._fold(conn, kept, known, held, streak_moves)
        # The buckets last: they are the rows every writer shares, so they are held the shortest, and every
        # transaction locks streaks, tallies, then tally_values and streak_values, each in key order.
        await _shift(self._db, conn, tally_values, tally_moves)
        await _shift(self._db, conn, streak_values, streak_moves)
        return changed

    async def _held(self, conn: AsyncConnection, entries: Sequence[Activity]) -> dict[tuple[str, str], Row]:
        """The stored streaks of the batch's members, locked (PostgreSQL) in one order until the commit."""
        stored = await self._locked(conn, sorted({(e.community_id, e.member_id) for e in entries}))
        return {(row["community_id"], row["member_id"]): row for row in stored}

    async def _insert(self, conn: AsyncConnection, entries: Sequence[Activity]) -> list[Activity]:
        values = [{"community_id": e.community_id, "member_id": e.member_id, "source": e.source, "at": iso(e.at),
                   "zone": e.zone, "local_day": e.day.isoformat(), "questions": e.questions, "minutes": e.minutes,
                   "note": e.note, "ref": e.ref} for e in entries]
        if not values:
            return []
        new = self._db.insert(activity).on_conflict_do_nothing(
            index_elements=[activity.c.community_id, activity.c.member_id, activity.c.source, activity.c.ref],
            index_where=activity.c.ref.is_not(None))
        ids = [row["id"] for row in await rows(conn, new.returning(activity.c.id), values)]  # insertmanyvalues
        if len(ids) == len(entries):
            return list(entries)
        stored = {row["ref"] for row in await rows(conn, select(activity.c.ref).where(activity.c.id.in_(ids)))}
        return [e for e in entries if e.ref is None or e.ref in stored]

    async def _days_known(self, conn: AsyncConnection, entries: Sequence[Activity]) -> set[tuple[str, str, str, str]]:
        """(community, member, day, source) active before this batch, with `ANY` for any source: a second
        activity adds to a day, never a second day."""
        wanted = sorted({(e.community_id, e.member_id, e.day.isoformat()) for e in entries})
        if not wanted:
            return set()
        found = await rows(conn, select(activity.c.community_id, activity.c.member_id, activity.c.local_day,
                                        activity.c.source).distinct()
                           .where(tuple_(activity.c.community_id, activity.c.member_id, activity.c.local_day)
                                  .in_(wanted)))
        known = {(r["community_id"], r["member_id"], r["local_day"], r["source"]) for r in found}
        return known | {(c, m, d, ANY) for c, m, d, _ in known}

    async def _add_tallies(self, conn: AsyncConnection, entries: list[Activity],
                           known: set[tuple[str, str, str, str]], moves: Counter[Bucket]) -> None:
        days: Counter[tuple[str, str, str, str]] = Counter()
        counts: Counter[tuple[str, str, str, str]] = Counter()
        fresh: set[tuple[str, str, str, str]] = set()
        for e in entries:
            day = e.day.isoformat()
            for source in (e.source, ANY):
                mark = (e.community_id, e.member_id, day, source)
                first = mark not in known and mark not in fresh
                fresh.add(mark)
                for period in periods(e.day) if source != ANY else periods(e.day)[1:2]:  # any activity: by week
                    key = (e.community_id, period, source, e.member_id)
                    days[key] += first
                    counts[key] += 1
        new = self._db.insert(tallies)
        upsert = new.on_conflict_do_update(
            index_elements=[tallies.c.community_id, tallies.c.period, tallies.c.source, tallies.c.member_id],
            set_={"days": tallies.c.days + new.excluded.days, "count": tallies.c.count + new.excluded.count})
        values = [{"community_id": c, "period": p, "source": s, "member_id": m, "days": days[key], "count": counts[key]}
                  for key in sorted(counts) for c, p, s, m in [key]]
        # executemany: one compiled statement; RETURNING tells each tally's value after the batch, and so before it
        now = await rows(conn, upsert.returning(tallies.c.community_id, tallies.c.period, tallies.c.source,
                                                tallies.c.member_id, tallies.c.days, tallies.c.count), values)
        for row in now:
            key = (row["community_id"], row["period"], row["source"], row["member_id"])
            for metric, delta in (("days", days[key]), ("count", counts[key])):
                if delta:
                    _move(moves, (*key[:3], metric), row[metric] - delta, row[metric])

    async def _fold(self, conn: AsyncConnection, entries: list[Activity], known: set[tuple[str, str, str, str]],
                    held: dict[tuple[str, str], Row], moves: Counter[Bucket]) -> dict[tuple[str, str], Streak]:
        """Fold each member's new days into their stored streak, under a row lock (PostgreSQL) taken in one order.
        A member's first activity has no row to lock: it is made first (a second process making it at once waits
        for the first's commit), then locked, so the second folds onto the first's streak and moves it between
        buckets once."""
        by_member: dict[tuple[str, str], list[Activity]] = {}
        for e in entries:
            if (e.community_id, e.member_id, e.day.isoformat(), ANY) not in known:
                by_member.setdefault((e.community_id, e.member_id), []).append(e)
        if not by_member:
            return {}
        now = iso(self._clock.now())
        missing = sorted(set(by_member) - set(held))
        if missing:
            await conn.execute(self._db.insert(streaks).on_conflict_do_nothing(),
                               [{"community_id": c, "member_id": m, "updated_at": now} for c, m in missing])
            held = {**held, **{(row["community_id"], row["member_id"]): row
                               for row in await self._locked(conn, missing)}}
        stored = [held[key] for key in sorted(by_member)]
        changed: dict[tuple[str, str], Streak] = {}
        for key in sorted(by_member):
            changed[key] = await self._advanced(conn, _streak_of(held[key]), by_member[key])
        values = [_streak_values(key, streak, by_member[key][-1], now) for key, streak in changed.items()]
        new = self._db.insert(streaks)
        await conn.execute(new.on_conflict_do_update(index_elements=[streaks.c.community_id, streaks.c.member_id],
                                                     set_={name: new.excluded[name] for name in FOLDED}), values)
        was = {(row["community_id"], row["member_id"]): (row["current"], row["expires_at"]) for row in stored}
        for after in values:
            before = was.get((after["community_id"], after["member_id"]), (0, None))
            if before != (after["current"], after["expires_at"]):
                for (current, expires), step in ((before, -1), ((after["current"], after["expires_at"]), 1)):
                    if current > 0 and expires is not None:
                        moves[(after["community_id"], expires, current)] += step
        await self._sweep(conn, sorted({c for c, _ in by_member}), now, moves)
        return changed

    @staticmethod
    async def _locked(conn: AsyncConnection, keys: list[tuple[str, str]]) -> list[Row]:
        return await rows(conn, select(streaks).where(tuple_(streaks.c.community_id, streaks.c.member_id).in_(keys))
                          .order_by(streaks.c.community_id, streaks.c.member_id).with_for_update())

    async def _sweep(self, conn: AsyncConnection, communities: list[str], now: str, moves: Counter[Bucket]) -> None:
        """Clear the expiry of streaks that have run out, a bounded number at a time, oldest first: they leave the
        board's index (partial: expiry not null) and their buckets, so a board never steps over dead streaks. The
        board still asks `expires_at > now`, so a streak not swept yet is never counted. Rows another transaction
        has locked are skipped (PostgreSQL): that one is writing them, and no wait is added to its order."""
        expired = await rows(conn, select(streaks.c.community_id, streaks.c.member_id, streaks.c.current,
                                          streaks.c.expires_at)
                             .where(streaks.c.community_id.in_(communities), streaks.c.expires_at <= now)
                             .order_by(streaks.c.expires_at).limit(SWEEP_LIMIT)
                             .with_for_update(skip_locked=True))
        if not expired:
            return
        await conn.execute(update(streaks).where(streaks.c.community_id == bindparam("c"),
                                                 streaks.c.member_id == bindparam("m")).values(expires_at=None),
                           [{"c": r["community_id"], "m": r["member_id"]} for r in expired])
        for r in expired:
            if r["current"] > 0:
                moves[(r["community_id"], r["expires_at"], r["current"])] -= 1

    async def _advanced(self, conn: AsyncConnection, streak: Streak, new: list[Activity]) -> Streak:
        """The new days folded in; a day before the last counted one (a zone change west) refolds every day."""
        days = sorted({e.day for e in new})
        if streak.last_day is None or days[0] > streak.last_day:
            for day in days:
                streak = advance(streak, day)
            return streak
        first = new[0]
        every = await rows(conn, select(activity.c.local_day).distinct()
                           .where(activity.c.community_id == first.community_id,
                                  activity.c.member_id == first.member_id))
        return fold(date.fromisoformat(r["local_day"]) for r in every)

    async def set_nudge(self, community_id: str, member_id: str, on: bool) -> None:
        new = self._db.insert(streaks).values(community_id=community_id, member_id=member_id, nudge=int(on),
                                              updated_at=iso(self._clock.now()))
        await self._db.execute(new.on_conflict_do_update(
            index_elements=[streaks.c.community_id, streaks.c.member_id], set_={"nudge": int(on)}))

    # -- reading ----------------------------------------------------------------------------------------------------
    async def kept(self, community_id: str, member_id: str) -> Kept:
        row = await self._db.fetchone(select(streaks).where(streaks.c.community_id == community_id,
                                                            streaks.c.member_id == member_id))
        return Kept() if row is None else Kept(_streak_of(row), bool(row["nudge"]))

    async def is_known(self, community_id: str, member_id: str) -> bool:
        """Has this member any activity (or a streak row) in the community?"""
        row = await self._db.fetchone(select(streaks.c.member_id).where(streaks.c.community_id == community_id,
                                                                        streaks.c.member_id == member_id))
        return row is not None

    async def nudged(self, member_id: str | None = None) -> list[tuple[str, str]]:
        """Every (community, member) who asked for the end-of-day nudge (one member's, if named)."""
        mine = () if member_id is None else (streaks.c.member_id == member_id,)
        found = await self._db.fetchall(select(streaks.c.community_id, streaks.c.member_id)
                                        .where(streaks.c.nudge == 1, *mine)
                                        .order_by(streaks.c.community_id, streaks.c.member_id))
        return [(r["community_id"], r["member_id"]) for r in found]

    async def unplanned_nudges(self, kind: str) -> list[tuple[str, str]]:
        """(community, member) who asked for the nudge but have no pending duty of `kind` in their scope."""
        scope = streaks.c.community_id + SCOPE_SEPARATOR + streaks.c.member_id
        planned = exists().where(duties.c.kind == kind, duties.c.scope == scope, duties.c.done_at.is_(None))
        found = await self._db.fetchall(select(streaks.c.community_id, streaks.c.member_id)
                                        .where(streaks.c.nudge == 1, ~planned)
                                        .order_by(streaks.c.community_id, streaks.c.member_id))
        return [(r["community_id"], r["member_id"]) for r in found]

    # -- the live leaderboard ---------------------------------------------------------------------------------------
    async def set_live_board(self, board: LiveBoard) -> None:
        """One live board per community: a new one replaces the last (whose message is no longer updated)."""
        values = {"channel_id": board.channel_id, "message_id": board.message_id, "period": board.period,
                  "metric": board.metric, "refreshed_at": iso(board.refreshed_at) if board.refreshed_at else None}
        new = self._db.insert(live_boards).values(community_id=board.community_id, **values)
        await self._db.execute(new.on_conflict_do_update(index_elements=[live_boards.c.community_id], set_=values))

    async def live_board(self, community_id: str) -> LiveBoard | None:
        row = await self._db.fetchone(select(live_boards).where(live_boards.c.community_id == community_id))
        if row is None:
            return None
        return LiveBoard(row["community_id"], row["channel_id"], row["period"], row["metric"], row["message_id"],
                         parse_iso(row["refreshed_at"]) if row["refreshed_at"] else None)

    async def board_refreshed(self, board: LiveBoard, message_id: str | None, at: datetime) -> bool:
        """The board's message as posted or edited now; only if the board still lives in that channel with that
        message (an admin who moved it meanwhile wins). False when it did not."""
        same_message = (live_boards.c.message_id.is_(None) if board.message_id is None
                        else live_boards.c.message_id == board.message_id)
        return await self._db.execute(update(live_boards).where(
            live_boards.c.community_id == board.community_id, live_boards.c.channel_id == board.channel_id,
            same_message).values(message_id=message_id, refreshed_at=iso(at))) == 1

    async def drop_live_board(self, community_id: str) -> bool:
        return await self._db.execute(delete(live_boards).where(live_boards.c.community_id == community_id)) == 1

    async def day_counts(self, community_id: str, member_id: str, since: date) -> dict[date, int]:
        found = await self._db.fetchall(
            select(activity.c.local_day, func.count().label("n"))
            .where(activity.c.community_id == community_id, activity.c.member_id == member_id,
                   activity.c.local_day >= since.isoformat())
            .group_by(activity.c.local_day))
        return {date.fromisoformat(r["local_day"]): r["n"] for r in found}

    async def totals(self, community_id: str, member_id: str, period: str) -> dict[str, Totals]:
        """Per source (and `ANY`). The sources are named so that each is one seek of the primary key (community,
        period, source, member): without them PostgreSQL, which has no skip scan, reads the period's every tally."""
        found = await self._db.fetchall(select(tallies.c.source, tallies.c.days, tallies.c.count)
                                        .where(tallies.c.community_id == community_id, tallies.c.period == period,
                                               tallies.c.source.in_([*SOURCES, ANY]),
                                               tallies.c.member_id == member_id))
        return {r["source"]: Totals(r["days"], r["count"]) for r in found}

    async def sums(self, community_id: str, period: str) -> dict[str, tuple[int, int, int]]:
        """Per source over a period: (members, days, activities), for the recap."""
        found = await self._db.fetchall(
            select(tallies.c.source, func.count().label("members"), func.sum(tallies.c.days).label("days"),
                   func.sum(tallies.c.count).label("count"))
            .where(tallies.c.community_id == community_id, tallies.c.period == period)
            .group_by(tallies.c.source))
        return {r["source"]: (r["members"], int(r["days"] or 0), int(r["count"] or 0)) for r in found}

    async def milestones(self, community_id: str, period: str, floor: int) -> list[tuple[str, int, int]]:
        """(member, current streak, active days in `period`) for live streaks of at least `floor` days."""
        week = tallies.alias("week")
        found = await self._db.fetchall(
            select(streaks.c.member_id, streaks.c.current, week.c.days)
            .join(week, and_(week.c.community_id == streaks.c.community_id, week.c.member_id == streaks.c.member_id,
                             week.c.period == period, week.c.source == ANY))
            .where(streaks.c.community_id == community_id, streaks.c.current >= floor,
                   streaks.c.expires_at > iso(self._clock.now()))
            .order_by(streaks.c.current.desc(), streaks.c.member_id))
        return [(r["member_id"], r["current"], r["days"]) for r in found]

    async def answer_counts(self, community_id: str, days: tuple[date, date]) -> tuple[int, int]:
        """(answers, correct ones) to the community's questions of these days, for a recap's accuracy."""
        row = await self._db.fetchone(
            select(func.count().label("n"), func.coalesce(func.sum(answers.c.correct), 0).label("correct"))
            .select_from(answers.join(daily_posts, answers.c.post_id == daily_posts.c.id))
            .where(daily_posts.c.community_id == community_id,
                   daily_posts.c.local_date.between(days[0].isoformat(), days[1].isoformat())))
        return (int(row["n"]), int(row["correct"])) if row is not None else (0, 0)

    # -- ranking ----------------------------------------------------------------------------------------------------
    async def spread(self, ranking: Ranking) -> Spread:
        """The board's buckets, in one read: its size, any value's rank and where a page starts."""
        found = await self._db.fetchall(select(ranking.bucket.label("value"), func.sum(ranking.members).label("n"))
                                        .where(*ranking.buckets).group_by(ranking.bucket)
                                        .order_by(ranking.bucket.desc()))
        return Spread(tuple((int(r["value"]), int(r["n"])) for r in found))

    async def page(self, ranking: Ranking, limit: int, offset: int, spread: Spread | None = None) -> list[tuple[str, int]]:
        """Places offset+1 … offset+limit. The buckets (`spread`, read if not given) say which value the page starts
        in and how many members are before that value; the index is read from there, from whichever end of that
        value's members is nearer."""
        ordered = (ranking.value.desc(), ranking.member.asc())
        if offset == 0:
            return await self._places(ranking.select().order_by(*ordered).limit(limit))
        start = (spread or await self.spread(ranking)).at(offset)
        if start is None:
            return []
        value, members, skip = start
        if skip <= members // 2:
            return await self._places(ranking.select(ranking.value <= value).order_by(*ordered)
                                      .limit(limit).offset(skip))
        tail = await self._places(ranking.select(ranking.value == value).order_by(ranking.member.desc())
                                  .limit(min(limit, members - skip)).offset(max(0, members - skip - limit)))
        tail.reverse()
        if len(tail) < limit:
            tail += await self._places(ranking.select(ranking.value < value).order_by(*ordered)
                                       .limit(limit - len(tail)))
        return tail

    async def _places(self, statement: Select[str, int]) -> list[tuple[str, int]]:
        return [(r["member_id"], r["value"]) for r in await self._db.fetchall(statement)]

    async def size(self, ranking: Ranking) -> int:
        return (await self.spread(ranking)).size

    async def rank_of(self, ranking: Ranking, value: int) -> int:
        return (await self.spread(ranking)).rank_of(value)

    async def standing(self, ranking: Ranking, member_id: str) -> tuple[int, tuple[str, int] | None] | None:
        """The member's value on the board and the nearest member with more (one tied with them is not ahead of
        them), or None when they are not on it: one statement, two seeks of the board's index."""
        theirs = (select(ranking.value).where(*ranking.where, ranking.value > 0, ranking.member == member_id)
                  .correlate(None).scalar_subquery())
        mine = ranking.select(ranking.member == member_id).add_columns(literal(0).label("ahead"))
        ahead = (ranking.select(ranking.value > theirs, floor=False).add_columns(literal(1).label("ahead"))
                 .order_by(ranking.value.asc(), ranking.member.desc()).limit(1).subquery())
        found = {r["ahead"]: (r["member_id"], r["value"])
                 for r in await self._db.fetchall(union_all(mine, select(ahead)))}
        if 0 not in found:
            return None
        return found[0][1], found.get(1)

    def ranking(self, community_id: str, metric: Metric, period: str) -> Ranking:
        """Who counts on a board, by what: a live streak (all time), or a source's tally in a period."""
        now = iso(self._clock.now())
        if metric == "streak":
            return Ranking(streaks.c.member_id, streaks.c.current,
                           (streaks.c.community_id == community_id, streaks.c.expires_at > now),
                           streak_values.c.current, streak_values.c.members,
                           (streak_values.c.community_id == community_id, streak_values.c.expires_at > now,
                            streak_values.c.current > 0))
        source, column = METRIC_SOURCE[metric], METRIC_COLUMN[metric]
        value = tallies.c[column]
        return Ranking(tallies.c.member_id, value,
                       (tallies.c.community_id == community_id, tallies.c.period == period,
                        tallies.c.source == source),
                       tally_values.c.value, tally_values.c.members,
                       (tally_values.c.community_id == community_id, tally_values.c.period == period,
                        tally_values.c.source == source, tally_values.c.metric == column, tally_values.c.value > 0))


@dataclass(frozen=True)
class Ranking:
    """A board: its members and their values (`select`), and the buckets counting the members of each value."""

    member: ColumnElement[str]
    value: ColumnElement[int]
    where: tuple[ColumnElement[bool], ...]  # the board's rows, whatever their value
    bucket: ColumnElement[int]  # a bucket's value
    members: ColumnElement[int]  # the members in it
    buckets: tuple[ColumnElement[bool], ...]  # this board's buckets

    def select(self, *more: ColumnElement[bool], floor: bool = True) -> Select[str, int]:
        """The board's members (a value of 0 is not on it). `floor=False` when `more` bounds the value above 0
        itself: SQLite given both `value > 0` and `value > n` may seek by the first and step over every row to n."""
        low = (self.value > 0,) if floor else ()
        return select(self.member.label("member_id"), self.value.label("value")).where(*self.where, *low, *more)


def _no_earlier(entry: Activity, stored: Row | None) -> Activity:
    """Activity never lands on a day before the member's last active one: flying west makes yesterday's date again,
    and counting it would add a day to the streak that the member did not live through (or let a zone switch
    inflate it). It counts for the last active day instead."""
    last = date.fromisoformat(stored["last_day"]) if stored is not None and stored["last_day"] else None
    return replace(entry, counts_for=last) if last is not None and entry.day < last else entry


@dataclass(frozen=True)
class Spread:
    """How many members hold each value of a board, the highest value first."""

    buckets: tuple[tuple[int, int], ...]  # (value, members)

    @property
    def size(self) -> int:
        return sum(members for _, members in self.buckets)

    def rank_of(self, value: int) -> int:
        """Competition ranking: one more than the members with a greater value (ties share a rank)."""
        return 1 + sum(members for bucket, members in self.buckets if bucket > value)

    def at(self, offset: int) -> tuple[int, int, int] | None:
        """The bucket holding place offset+1: its value, its members, and how many of them come before that place."""
        above = 0
        for value, members in self.buckets:
            if offset < above + members:
                return value, members, offset - above
            above += members
        return None


async def _shift(db: Database, conn: AsyncConnection, table: Table, moves: Counter[Bucket]) -> None:
    """Members into and out of value buckets, in key order (so concurrent writers lock them in one order); a bucket
    left empty is deleted."""
    keys = list(table.primary_key.columns)
    changes: list[dict[str, Any]] = [dict(zip([c.name for c in keys], bucket, strict=True), members=n)
                                     for bucket, n in sorted(moves.items()) if n]
    if not changes:
        return
    new = db.insert(table)
    await conn.execute(new.on_conflict_do_update(index_elements=keys,
                                                 set_={"members": table.c.members + new.excluded.members}), changes)
    emptied = [{f"k_{k}": v for k, v in change.items() if k != "members"} for change in changes if change["members"] < 0]
    if emptied:
        await conn.execute(delete(table).where(*(c == bindparam(f"k_{c.name}") for c in keys), table.c.members == 0),
                           emptied)


async def count_buckets(conn: AsyncConnection, community_id: str) -> None:
    """Count a community's buckets from its streaks and tallies as they stand: for rows written other than by
    `record` (an import, into a community that had none)."""
    for metric in METRIC_COLUMN.values():
        value = tallies.c[metric]
        await conn.execute(insert(tally_values).from_select(
            ["community_id", "period", "source", "metric", "value", "members"],
            select(tallies.c.community_id, tallies.c.period, tallies.c.source, literal(metric), value, func.count())
            .where(tallies.c.community_id == community_id, value > 0)
            .group_by(tallies.c.community_id, tallies.c.period, tallies.c.source, value)))
    await conn.execute(insert(streak_values).from_select(
        ["community_id", "expires_at", "current", "members"],
        select(streaks.c.community_id, streaks.c.expires_at, streaks.c.current, func.count())
        .where(streaks.c.community_id == community_id, streaks.c.current > 0, streaks.c.expires_at.is_not(None))
        .group_by(streaks.c.community_id, streaks.c.expires_at, streaks.c.current)))


async def leave_buckets(db: Database, conn: AsyncConnection, member_id: str) -> None:
    """Take a member out of every bucket they count in, in every community: before their streaks and tallies are
    deleted (forgetting them)."""
    tally_moves: Counter[Bucket] = Counter()
    for row in await rows(conn, select(tallies).where(tallies.c.member_id == member_id)):
        for metric in METRIC_COLUMN.values():
            if row[metric] > 0:
                tally_moves[(row["community_id"], row["period"], row["source"], metric, row[metric])] -= 1
    streak_moves: Counter[Bucket] = Counter()
    for row in await rows(conn, select(streaks).where(streaks.c.member_id == member_id)):
        if row["current"] > 0 and row["expires_at"] is not None:
            streak_moves[(row["community_id"], row["expires_at"], row["current"])] -= 1
    await _shift(db, conn, tally_values, tally_moves)
    await _shift(db, conn, streak_values, streak_moves)


def _move(moves: Counter[Bucket], board: Bucket, before: int, after: int) -> None:
    """A member's value on a board went from `before` to `after` (0: they were not on it)."""
    if before != after:
        if before > 0:
            moves[(*board, before)] -= 1
        moves[(*board, after)] += 1


def _streak_of(row: Row) -> Streak:
    return Streak(row["current"], row["longest"], row["freezes"],
                  date.fromisoformat(row["last_day"]) if row["last_day"] else None,
                  tuple(date.fromisoformat(d) for d in row["frozen"].split(",") if d))


def _streak_values(key: tuple[str, str], streak: Streak, latest: Activity, now: str) -> dict[str, Any]:
    """The row for a streak; it expires when the member's last keepable day ends, in the zone they act in now."""
    alive = streak.alive_through
    expires = day_end(alive, latest.zone, latest.rollover) if alive is not None else None
    return {"community_id": key[0], "member_id": key[1], "current": streak.current, "longest": streak.longest,
            "freezes": streak.freezes, "last_day": streak.last_day.isoformat() if streak.last_day else None,
            "frozen": ",".join(d.isoformat() for d in streak.frozen), "expires_at": iso(expires) if expires else None,
            "updated_at": now}
