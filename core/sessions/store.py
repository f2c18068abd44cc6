"""Study sessions, their RSVPs and attendance in the database: the one place their SQL lives.

An RSVP is one row per member and session, so Going, Maybe and Can't exclude each other by construction. Whether a
press for Going gets a seat or a place on the waitlist is decided inside one transaction that first takes the
session's row for update (a row lock on PostgreSQL; SQLite's writes are serialised already), so two presses for the
last seat are decided one after the other and exactly one gets it. A seat given up in the same transaction goes to
the first member waiting, in the order they pressed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Text, and_, cast, delete, exists, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from core.clock import Clock, iso, parse_iso
from core.errors import UserError
from core.sessions.model import LONGEST, Counts, Session
from core.storage.database import Database, Row, rows
from core.storage.schema import attendance, duties, members, permission_notices, rsvps, sessions

Status = Literal["going", "maybe", "cant", "waiting"]
STATUSES: tuple[Status, ...] = ("going", "maybe", "cant", "waiting")
NUMBER_TRIES = 5  # two processes numbering a community's sessions at once: the loser takes the next number


@dataclass(frozen=True)
class Answered:
    """What one press did: the member's answer before and after (None: none), and who left the waitlist for a seat."""

    before: Status | None
    after: Status | None
    promoted: str | None
    counts: Counts


class Changed(Exception):
    """The session was edited or cancelled since it was read: the change asked for was not written."""


Also = Callable[[AsyncConnection, Sequence[Any]], Awaitable[object]]  # more writes in the same commit (activity)


class SessionStore:
    def __init__(self, db: Database, clock: Clock, also: Also | None = None) -> None:
        self._db = db
        self._clock = clock
        self._also = also

    # -- sessions ---------------------------------------------------------------------------------------------------
    async def add(self, session: Session) -> Session:
        """Stored with the community's next number; the session's id and number filled in."""
        values = _values(session)
        for attempt in range(NUMBER_TRIES):
            number = (select(func.coalesce(func.max(sessions.c.number), 0) + 1)
                      .where(sessions.c.community_id == session.community_id).scalar_subquery())
            try:
                async with self._db.transaction() as conn:
                    found = await rows(conn, insert(sessions).values(number=number, **values)
                                       .returning(sessions.c.id, sessions.c.number))
            except IntegrityError:
                if attempt == NUMBER_TRIES - 1:
                    raise
                continue
            return replace(session, id=found[0]["id"], number=found[0]["number"])
        raise AssertionError("unreachable")

    async def get(self, community_id: str, number: int) -> Session | None:
        row = await self._db.fetchone(select(sessions).where(sessions.c.community_id == community_id,
                                                             sessions.c.number == number))
        return None if row is None else _session(row)

    async def by_id(self, session_id: int) -> Session | None:
        row = await self._db.fetchone(select(sessions).where(sessions.c.id == session_id))
        return None if row is None else _session(row)

    async def save(self, session: Session) -> Session:
        """Write an edited session back, its version bumped (so the duties it plans anew get keys of their own).
        Only over the version it was read at: an edit or cancellation made meanwhile (another admin, another
        process) is never written over with what was read before it; that raises Changed instead."""
        values = _values(session)
        values.pop("created_at")
        values["version"] = session.version + 1
        written = await self._db.execute(update(sessions).where(
            sessions.c.id == session.id, sessions.c.version == session.version).values(**values))
        if written != 1:
            raise Changed(session.id)
        return replace(session, version=session.version + 1)

    async def placed(self, session_id: int, **where: str | None) -> None:
        """Where its card, thread and event are on the platform (message_id, thread_id, event_id)."""
        await self._db.execute(update(sessions).where(sessions.c.id == session_id).values(**where))

    async def moved_on(self, session_id: int, next_at: datetime | None, was: datetime) -> bool:
        """The occurrence next is now `next_at` (None: the series is over); only if it still was `was`, so two
        processes moving it on from the same occurrence move it once."""
        return await self._db.execute(update(sessions).where(
            sessions.c.id == session_id, sessions.c.next_at == iso(was)).values(
            next_at=None if next_at is None else iso(next_at))) == 1

    async def upcoming(self, community_id: str, since: datetime, limit: int) -> list[Session]:
        """Live sessions whose occurrence next ends after `since`, soonest first (a session runs for hours at most,
        so the start index finds them)."""
        found = await self._db.fetchall(select(sessions).where(
            sessions.c.community_id == community_id, sessions.c.cancelled_at.is_(None),
            sessions.c.next_at > iso(since - LONGEST)).order_by(sessions.c.next_at, sessions.c.number).limit(limit * 2))
        live = [s for s in map(_session, found) if s.next_at is not None and s.ends(s.next_at) > since]
        return live[:limit]

    async def answered_by(self, member_id: str, community_id: str, statuses: Sequence[Status],
                          since: datetime) -> list[tuple[Session, Status]]:
        found = await self._db.fetchall(
            select(sessions, rsvps.c.status).join(rsvps, rsvps.c.session_id == sessions.c.id).where(
                rsvps.c.member_id == member_id, rsvps.c.status.in_(statuses), sessions.c.community_id == community_id,
                sessions.c.cancelled_at.is_(None), sessions.c.next_at > iso(since - LONGEST))
            .order_by(sessions.c.next_at))
        pairs = [(_session(r), r["status"]) for r in found]
        return [(s, status) for s, status in pairs if s.next_at is not None and s.ends(s.next_at) > since]

    async def going_everywhere(self, member_id: str, since: datetime) -> list[Session]:
        """Every live session the member has a seat at, in every community (a new lead time moves their reminders)."""
        found = await self._db.fetchall(
            select(sessions).join(rsvps, rsvps.c.session_id == sessions.c.id).where(
                rsvps.c.member_id == member_id, rsvps.c.status == "going", sessions.c.cancelled_at.is_(None),
                sessions.c.next_at > iso(since)))
        return [_session(r) for r in found]

    async def unplanned(self, kind: str, platforms: frozenset[str], limit: int) -> list[Session]:
        """Live sessions whose occurrence next has no duty of `kind` (a lost plan, an occurrence the start of the
        last one never moved on to). The key is the one `occurrence_key` makes, built in SQL by concatenation."""
        if not platforms:  # an empty or_() filters nothing (and is deprecated): no platform, no sessions
            return []
        key = cast(sessions.c.id, Text) + "@" + sessions.c.next_at
        planned = exists().where(duties.c.kind == kind, duties.c.key == key)
        prefixes = or_(*[sessions.c.community_id.startswith(f"{p}:") for p in sorted(platforms)])
        found = await self._db.fetchall(select(sessions).where(
            sessions.c.next_at.is_not(None), sessions.c.cancelled_at.is_(None), prefixes, ~planned)
            .order_by(sessions.c.next_at).limit(limit))
        return [_session(r) for r in found]

    # -- answers ----------------------------------------------------------------------------------------------------
    async def answer(self, session: Session, member_id: str, pressed: Status) -> Answered:
        """The press decided in one transaction: the same answer again withdraws it; Going without a free seat
        waits; a seat given up goes to the first member waiting."""
        now = iso(self._clock.now())
        async with self._db.transaction() as conn:
            session = await _locked(conn, session)
            if session.cancelled_at is not None:  # cancelled by another process since the caller read it
                raise UserError(f"Session #{session.number} was cancelled.")
            before = await _status(conn, session.id, member_id)
            after: Status | None
            if before == pressed or (pressed == "going" and before == "waiting"):
                after = None
            elif pressed == "going" and session.capacity is not None and (
                    await _count(conn, session.id, "going")) >= session.capacity:
                after = "waiting"
            else:
                after = pressed
            if after is None:
                await conn.execute(delete(rsvps).where(rsvps.c.session_id == session.id, rsvps.c.member_id == member_id))
            elif before is None:
                await conn.execute(insert(rsvps).values(session_id=session.id, member_id=member_id, status=after,
                                                        answered_at=now))
            else:
                await conn.execute(update(rsvps).where(rsvps.c.session_id == session.id, rsvps.c.member_id == member_id)
                                   .values(status=after, answered_at=now))
            promoted = None
            if before == "going" and after != "going":
                promoted = await _promote(conn, session)
            counts = await _counts(conn, session.id)
        return Answered(before, after, promoted, counts)

    async def fill(self, session: Session) -> list[str]:
        """Seats a larger capacity (or none) frees go to the members waiting, first come first served."""
        seated: list[str] = []
        async with self._db.transaction() as conn:
            session = await _locked(conn, session)
            while (member := await _promote(conn, session)) is not None:
                seated.append(member)
        return seated

    async def counts(self, session_id: int) -> Counts:
        async with self._db.transaction() as conn:
            return await _counts(conn, session_id)

    async def counts_of(self, session_ids: Sequence[int]) -> dict[int, Counts]:
        if not session_ids:
            return {}
        found = await self._db.fetchall(
            select(rsvps.c.session_id, rsvps.c.status, func.count().label("n")).where(
                rsvps.c.session_id.in_(sorted(set(session_ids)))).group_by(rsvps.c.session_id, rsvps.c.status))
        tallies: dict[int, dict[str, int]] = {i: {} for i in session_ids}
        for row in found:
            tallies[row["session_id"]][row["status"]] = row["n"]
        return {i: Counts(**t) for i, t in tallies.items()}

    async def status(self, session_id: int, member_id: str) -> Status | None:
        async with self._db.transaction() as conn:
            return await _status(conn, session_id, member_id)

    async def members(self, session_id: int, status: Status) -> list[str]:
        found = await self._db.fetchall(select(rsvps.c.member_id).where(
            rsvps.c.session_id == session_id, rsvps.c.status == status).order_by(rsvps.c.answered_at, rsvps.c.member_id))
        return [r["member_id"] for r in found]

    async def going_with_leads(self, session_id: int) -> list[tuple[str, int | None]]:
        """The members with a seat, and the lead time each asked for (None: the default)."""
        found = await self._db.fetchall(
            select(rsvps.c.member_id, members.c.remind_minutes)
            .join(members, members.c.id == rsvps.c.member_id, isouter=True)
            .where(rsvps.c.session_id == session_id, rsvps.c.status == "going").order_by(rsvps.c.member_id))
        return [(r["member_id"], r["remind_minutes"]) for r in found]

    # -- attendance -------------------------------------------------------------------------------------------------
    async def attend(self, session_id: int, occurrence: datetime, member_id: str, activity: object) -> bool:
        """True when this is the member's first "I'm here" for the occurrence; the activity it counts as (for
        streaks) is stored in the same commit."""
        new = self._db.insert(attendance).values(session_id=session_id, occurrence=iso(occurrence),
                                                 member_id=member_id, at=iso(self._clock.now()))
        async with self._db.transaction() as conn:
            first = (await conn.execute(new.on_conflict_do_nothing())).rowcount == 1
            if first and self._also is not None:
                await self._also(conn, [activity])
        return first

    async def attended(self, session_id: int) -> list[tuple[datetime, str]]:
        """(occurrence, member) of everyone who said they were there, latest occurrence first."""
        found = await self._db.fetchall(select(attendance.c.occurrence, attendance.c.member_id).where(
            attendance.c.session_id == session_id).order_by(attendance.c.occurrence.desc(), attendance.c.at))
        return [(parse_iso(r["occurrence"]), r["member_id"]) for r in found]

    # -- told once --------------------------------------------------------------------------------------------------
    async def first_notice(self, community_id: str, permission: str) -> bool:
        """True the first time a community's admins are to be told the bot lacks `permission`."""
        new = self._db.insert(permission_notices).values(community_id=community_id, permission=permission,
                                                         told_at=iso(self._clock.now()))
        return await self._db.execute(new.on_conflict_do_nothing()) == 1

    async def notice_failed(self, community_id: str, permission: str) -> None:
        """The notice did not get through: the next refusal tells it."""
        await self._db.execute(delete(permission_notices).where(permission_notices.c.community_id == community_id,
                                                                permission_notices.c.permission == permission))

    async def forget_member(self, conn: AsyncConnection, member_id: str) -> int:
        """A member's answers and attendance, inside the caller's transaction (forgetting a member)."""
        gone = (await conn.execute(delete(rsvps).where(rsvps.c.member_id == member_id))).rowcount
        return gone + (await conn.execute(delete(attendance).where(attendance.c.member_id == member_id))).rowcount


async def _locked(conn: AsyncConnection, session: Session) -> Session:
    """The session's row locked for the rest of the transaction, and its capacity as stored now: the one the caller
    read may be stale (another process raised it and found nobody waiting), and a seat is decided on what holds."""
    found = await rows(conn, select(sessions.c.capacity, sessions.c.cancelled_at).where(sessions.c.id == session.id)
                       .with_for_update())
    if not found:
        return session
    cancelled = found[0]["cancelled_at"]
    return replace(session, capacity=found[0]["capacity"], cancelled_at=parse_iso(cancelled) if cancelled else None)


async def _status(conn: AsyncConnection, session_id: int, member_id: str) -> Status | None:
    found = await rows(conn, select(rsvps.c.status).where(rsvps.c.session_id == session_id,
                                                          rsvps.c.member_id == member_id))
    return found[0]["status"] if found else None


async def _count(conn: AsyncConnection, session_id: int, status: Status) -> int:
    found = await rows(conn, select(func.count().label("n")).where(rsvps.c.session_id == session_id,
                                                                   rsvps.c.status == status))
    return int(found[0]["n"])


async def _counts(conn: AsyncConnection, session_id: int) -> Counts:
    found = await rows(conn, select(rsvps.c.status, func.count().label("n")).where(
        rsvps.c.session_id == session_id).group_by(rsvps.c.status))
    return Counts(**{r["status"]: r["n"] for r in found})


async def _promote(conn: AsyncConnection, session: Session) -> str | None:
    """The first member waiting takes a free seat; None when no seat is free or nobody waits."""
    if session.capacity is not None and await _count(conn, session.id, "going") >= session.capacity:
        return None
    first = await rows(conn, select(rsvps.c.member_id).where(
        rsvps.c.session_id == session.id, rsvps.c.status == "waiting")
        .order_by(rsvps.c.answered_at, rsvps.c.member_id).limit(1))
    if not first:
        return None
    member = first[0]["member_id"]
    await conn.execute(update(rsvps).where(and_(rsvps.c.session_id == session.id, rsvps.c.member_id == member))
                       .values(status="going"))
    return str(member)


def _values(session: Session) -> dict[str, Any]:
    return {"community_id": session.community_id, "author_id": session.author_id, "channel_id": session.channel_id,
            "topic": session.topic, "starts_at": iso(session.start), "wall": session.wall.isoformat(),
            "zone": session.zone, "minutes": session.minutes, "capacity": session.capacity, "link": session.link,
            "weekly": int(session.weekly), "excluded": "\n".join(sorted(w.isoformat() for w in session.excluded)),
            "next_at": None if session.next_at is None else iso(session.next_at),
            "created_at": iso(session.created_at),
            "cancelled_at": None if session.cancelled_at is None else iso(session.cancelled_at)}


def _session(row: Row) -> Session:
    return Session(
        id=row["id"], community_id=row["community_id"], number=row["number"], author_id=row["author_id"],
        channel_id=row["channel_id"], topic=row["topic"], start=parse_iso(row["starts_at"]),
        wall=datetime.fromisoformat(row["wall"]), zone=row["zone"], minutes=row["minutes"], capacity=row["capacity"],
        link=row["link"], weekly=bool(row["weekly"]),
        excluded=frozenset(datetime.fromisoformat(w) for w in row["excluded"].split("\n") if w),
        next_at=parse_iso(row["next_at"]) if row["next_at"] else None, message_id=row["message_id"],
        thread_id=row["thread_id"], event_id=row["event_id"], version=row["version"],
        created_at=parse_iso(row["created_at"]),
        cancelled_at=parse_iso(row["cancelled_at"]) if row["cancelled_at"] else None)
