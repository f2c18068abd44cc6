"""Study sessions as members use them: create, answer, edit, cancel, attend, export. Rules only: the commands layer
renders, and what must reach a platform (the card, a reminder, a direct message) is planned as a duty here and
delivered by the duties of the commands layer, so a restart or a second process loses and repeats nothing.

Every change a card shows plans a refresh at the end of a short slot (`REFRESH_EVERY`): a burst of presses edits
the card once, and every press of the slot is on it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from core.clock import Clock, iso, slot_end
from core.community.members import Member
from core.community.model import platform_of
from core.community.people import PeopleStore
from core.engine.duties import DutyStore, Plan
from core.errors import UserError
from core.sessions.calendar import CalendarEntry, session_ics
from core.sessions.local import to_wall
from core.sessions.model import Counts, Session
from core.sessions.recurrence import Weekly
from core.sessions.rules import Draft, check_capacity, check_link, check_minutes, check_topic
from core.sessions.store import Answered, Changed, SessionStore, Status
from core.streaks.service import StreakService
from core.streaks.store import Activity

POST, REFRESH, START, END, REMIND, TELL, EVENT = (
    "sessions.post", "sessions.refresh", "sessions.start", "sessions.end", "sessions.remind", "sessions.tell",
    "sessions.event")
REFRESH_EVERY = timedelta(seconds=5)
DEFAULT_LEAD, MIN_LEAD, MAX_LEAD = 15, 5, 120  # minutes before a start that Going members are reminded
LIST_LIMIT = 10
PRESSES: tuple[Status, ...] = ("going", "maybe", "cant")  # the buttons; 'waiting' is only ever decided
Told = str  # what a direct message tells: 'seated' (off the waitlist), 'cancelled', 'moved', 'week-cancelled'


@dataclass(frozen=True)
class Shown:
    """A session as a card shows it: its occurrence next (None once over) and the answers so far."""

    session: Session
    occurrence: datetime | None
    counts: Counts


def occurrence_key(session_id: int, occurrence: datetime) -> str:
    """The key of an occurrence's duties: `SessionStore.unplanned` builds the same one in SQL."""
    return f"{session_id}@{iso(occurrence)}"


def reminder_key(session_id: int, occurrence: datetime, member_id: str) -> str:
    return f"{occurrence_key(session_id, occurrence)}/{member_id}"


class SessionService:
    def __init__(self, store: SessionStore, people: PeopleStore, streaks: StreakService, duties: DutyStore,
                 clock: Clock) -> None:
        self.store = store
        self._people = people
        self._streaks = streaks
        self.duties = duties
        self._clock = clock

    # -- making and finding -------------------------------------------------------------------------------------
    async def create(self, community_id: str, author: Member, channel_id: str | None, draft: Draft) -> Session:
        """Stored, then its card (with its thread and event) and its first occurrence planned: all due now or at
        their time, so nothing is lost if the process stops right after."""
        _same_platform(community_id, author)
        if draft.repeat == "weekly":
            Weekly.starting(draft.starts_at, draft.when.zone)  # refuses a first start in a repeated hour's second pass
        await self._people.remember(author)
        now = self._clock.now()
        session = await self.store.add(Session(
            community_id, author.id, channel_id, draft.topic, draft.starts_at, draft.when.wall, draft.when.zone,
            draft.minutes, draft.capacity, draft.link, draft.repeat == "weekly", next_at=draft.starts_at,
            created_at=now))
        await self.duties.plan(Plan(POST, str(session.id), community_id, now, {"session": session.id}),
                               self._event_plan(session), *await self.occurrence_plans(session, draft.starts_at))
        return session

    async def find(self, community_id: str, number: int) -> Session:
        session = await self.store.get(community_id, number)
        if session is None:
            raise UserError(f"There is no session #{number} here. `/study list` shows the ones coming up.")
        return session

    async def shown(self, session: Session) -> Shown:
        occurrence = None if session.cancelled_at else session.occurrence_after(self._clock.now())
        return Shown(session, occurrence, await self.store.counts(session.id))

    async def upcoming(self, community_id: str, limit: int = LIST_LIMIT) -> list[Shown]:
        found = await self.store.upcoming(community_id, self._clock.now(), limit)
        counts = await self.store.counts_of([s.id for s in found])
        return [Shown(s, s.occurrence_after(self._clock.now()), counts[s.id]) for s in found]

    async def mine(self, community_id: str, member_id: str) -> list[tuple[Shown, Status]]:
        found = await self.store.answered_by(member_id, community_id, ("going", "waiting", "maybe"), self._clock.now())
        counts = await self.store.counts_of([s.id for s, _ in found])
        return [(Shown(s, s.occurrence_after(self._clock.now()), counts[s.id]), status) for s, status in found]

    # -- answers ------------------------------------------------------------------------------------------------
    async def answer(self, community_id: str, number: int, member: Member, pressed: Status) -> tuple[Shown, Answered]:
        """Going, Maybe or Can't; the same again withdraws. A seat gets a reminder planned, a seat given up loses
        it, and the member it goes to is told."""
        if pressed not in PRESSES:
            raise ValueError(f"a press is one of {PRESSES}, not {pressed!r}")  # 'waiting' would skip the seat count
        _same_platform(community_id, member)
        session = await self.find(community_id, number)
        occurrence = self._open(session)
        await self._people.remember(member)
        answered = await self.store.answer(session, member.id, pressed)
        plans = [self._refresh_plan(session)]
        if answered.after == "going":
            plans.append(await self._reminder_plan(session, occurrence, member.id))
        elif answered.before == "going":
            await self.duties.drop(REMIND, [reminder_key(session.id, occurrence, member.id)])
        if answered.promoted is not None:
            plans += [await self._reminder_plan(session, occurrence, answered.promoted),
                      self._tell_plan(session, answered.promoted, "seated", iso(self._clock.now()))]
        await self.duties.plan(*plans)
        return Shown(session, occurrence, answered.counts), answered

    def _open(self, session: Session) -> datetime:
        """The occurrence an answer is for, or why none can be answered."""
        if session.cancelled_at is not None:
            raise UserError(f"Session #{session.number} was cancelled.")
        occurrence = session.occurrence_after(self._clock.now())
        if occurrence is None:
            raise UserError(f"Session #{session.number} is over. `/study list` shows the ones coming up.")
        return occurrence

    # -- the author's changes -----------------------------------------------------------------------------------
    async def cancel(self, session: Session, occurrence: datetime | None = None) -> Session:
        """The whole session, or (weekly) one occurrence alone. Those going are told; the card, the event and the
        reminders follow (a reminder of a cancelled occurrence finds it cancelled and is skipped)."""
        now = self._clock.now()
        live = self._open(session)
        if occurrence is not None and occurrence < live:
            raise UserError("That week is over already: pick one still to come from `/study list`.")
        if occurrence is None:
            changed = replace(session, cancelled_at=now, next_at=None)
            what = "cancelled"
        else:
            if not session.weekly:
                raise UserError("Only a weekly session has weeks to cancel alone: cancel the whole session instead.")
            changed = session.without(occurrence)
            changed = replace(changed, next_at=changed.occurrence_after(now))
            if changed.next_at is None:
                changed = replace(changed, cancelled_at=now)
            what = "week-cancelled"
        saved = await self._save(changed)
        tell = await self.store.members(session.id, "going")
        told_about = iso(occurrence or live)
        plans = [self._refresh_plan(saved), self._event_plan(saved),
                 *[self._tell_plan(saved, m, what, told_about) for m in tell]]
        if saved.next_at is not None and saved.next_at != session.next_at:  # (an END not run yet left it behind)
            plans += await self.occurrence_plans(saved, saved.next_at)
        await self.duties.plan(*plans)
        return saved

    async def edit(self, session: Session, *, topic: str | None = None, when: datetime | None = None,
                   wall: datetime | None = None, zone: str | None = None, minutes: int | None = None,
                   capacity: int | None = None, link: str | None = None) -> tuple[Session, list[str]]:
        """The changes asked for (None: unchanged); returns the session and who it seated (a larger capacity).
        A new time moves the whole series (weekly: every week from the new first start) and tells those going."""
        self._open(session)
        changed = replace(session, topic=session.topic if topic is None else check_topic(topic),
                          minutes=session.minutes if minutes is None else check_minutes(minutes),
                          capacity=session.capacity if capacity is None else check_capacity(capacity),
                          link=session.link if link is None else check_link(link))
        moved = when is not None and when != session.next_at
        if when is not None:
            if when <= self._clock.now():
                raise UserError("That would put the whole session in the past: pick a time still to come.")
            zone = zone or session.zone
            wall = wall or to_wall(when, zone)
            if session.weekly:
                Weekly.starting(when, zone)
            changed = replace(changed, start=when, wall=wall, zone=zone,
                              excluded=_moved_weeks(session.excluded, session.wall, wall) if session.weekly else frozenset())
        next_at = changed.occurrence_after(self._clock.now())
        if next_at is None:
            raise UserError("That would put the whole session in the past: pick a time still to come.")
        saved = await self._save(replace(changed, next_at=next_at))
        seated = await self.store.fill(saved)
        plans = [self._refresh_plan(saved), self._event_plan(saved),
                 *[self._tell_plan(saved, m, "seated", iso(self._clock.now())) for m in seated]]
        if moved or minutes is not None or next_at != session.next_at:  # (an END not run yet left it behind)
            plans += await self.occurrence_plans(saved, next_at)
            if moved:
                plans += [self._tell_plan(saved, m, "moved", iso(next_at))
                          for m in await self.store.members(saved.id, "going") if m not in seated]
        else:
            plans += [await self._reminder_plan(saved, next_at, m) for m in seated]
        await self.duties.plan(*plans)
        return saved, seated

    async def _save(self, session: Session) -> Session:
        try:
            return await self.store.save(session)
        except Changed:
            raise UserError(f"Session #{session.number} was changed meanwhile (edited or cancelled): look at it "
                            f"again with `/study list` and try once more.") from None

    # -- reminders ----------------------------------------------------------------------------------------------
    async def lead(self, member_id: str) -> int:
        return (await self._people.settings(member_id)).lead or DEFAULT_LEAD

    async def set_lead(self, member: Member, minutes: int) -> int:
        """A new lead time, and every pending reminder of the member's moved to it. Returns how many moved."""
        if not MIN_LEAD <= minutes <= MAX_LEAD:
            raise UserError(f"`minutes` must be from {MIN_LEAD} to {MAX_LEAD}.")
        await self._people.set_lead(member, minutes)
        going = await self.store.going_everywhere(member.id, self._clock.now())
        plans = [await self._reminder_plan(s, s.next_at, member.id) for s in going if s.next_at is not None]
        await self.duties.plan(*plans)
        return len(plans)

    # -- attendance and the calendar ----------------------------------------------------------------------------
    async def attend(self, community_id: str, member: Member, number: int | None,
                     channel_id: str | None) -> tuple[Session, datetime, bool]:
        """"I'm here": for the session named, else the one on now (in this channel, if several are). Counts for
        the member's streak once per occurrence."""
        _same_platform(community_id, member)
        session = await (self.find(community_id, number) if number is not None else self._on_now(community_id, channel_id))
        now = self._clock.now()
        occurrence = None if session.cancelled_at else session.occurrence_after(now)
        if occurrence is None or not session.open_for_attendance(occurrence, now):
            raise UserError(_not_on(session, occurrence))
        await self._people.remember(member)
        where = await self._streaks.where(community_id, member.id)
        activity = Activity(community_id, member.id, "session", now, where.zone, where.rollover,
                            minutes=session.minutes, ref=f"session:{occurrence_key(session.id, occurrence)}")
        first = await self.store.attend(session.id, occurrence, member.id, activity)
        if first:
            await self._streaks.answers_recorded(community_id)
        return session, occurrence, first

    async def _on_now(self, community_id: str, channel_id: str | None) -> Session:
        now = self._clock.now()
        on = [s for s in await self.store.upcoming(community_id, now, 50)
              if (o := s.occurrence_after(now)) is not None and s.open_for_attendance(o, now)]
        here = [s for s in on if channel_id in (s.channel_id, s.thread_id or s.channel_id)] or on  # or its thread
        if not here:
            raise UserError("No session is on right now. `/study list` shows the ones coming up; \"I'm here\" opens "
                            "10 minutes before a start.")
        if len(here) > 1:
            numbers = ", ".join(f"#{s.number}" for s in here)
            raise UserError(f"Several sessions are on now ({numbers}): say which, like `/study here id:{here[0].number}`.")
        return here[0]

    async def attended(self, session: Session) -> list[tuple[datetime, list[str]]]:
        """Who said they were there, by occurrence (latest first), by name."""
        found = await self.store.attended(session.id)
        names = await self._people.names([m for _, m in found])
        by: dict[datetime, list[str]] = {}
        for occurrence, member in found:
            by.setdefault(occurrence, []).append(names[member])
        return list(by.items())

    def calendar(self, session: Session, community_name: str = "") -> bytes:
        where = f" · {community_name}" if community_name else ""
        return session_ics(CalendarEntry(
            uid=f"session-{session.id}-{session.community_id}", topic=session.topic, start=session.start,
            zone=session.zone, duration_minutes=session.minutes, stamp=self._clock.now(), link=session.link,
            description=f"Rounds study session #{session.number}{where}", weekly=session.weekly,
            excluded=tuple(sorted(session.excluded))))

    # -- plans ------------------------------------------------------------------------------------------------
    async def occurrence_plans(self, session: Session, occurrence: datetime) -> list[Plan]:
        """An occurrence's "starting now" post, its end (which moves the session on), and a reminder for each
        member going."""
        key, payload = occurrence_key(session.id, occurrence), {"session": session.id, "occurrence": iso(occurrence)}
        start = Plan(START, key, session.community_id, occurrence, payload)
        end = Plan(END, key, session.community_id, session.ends(occurrence), payload)
        leads = await self.store.going_with_leads(session.id)
        return [start, end, *[self._reminder(session, occurrence, m, lead or DEFAULT_LEAD) for m, lead in leads]]

    async def moved_on(self, session: Session, following: datetime | None) -> list[Plan]:
        """What an occurrence's end plans: the next occurrence's duties, and the card and event brought up to it."""
        moved = replace(session, next_at=following)
        plans = [self._refresh_plan(moved), self._event_plan(moved)]
        return plans + (await self.occurrence_plans(moved, following) if following is not None else [])

    async def _reminder_plan(self, session: Session, occurrence: datetime, member_id: str) -> Plan:
        return self._reminder(session, occurrence, member_id, await self.lead(member_id))

    def _reminder(self, session: Session, occurrence: datetime, member_id: str, lead: int) -> Plan:
        due = max(occurrence - timedelta(minutes=lead), min(self._clock.now(), occurrence))
        return Plan(REMIND, reminder_key(session.id, occurrence, member_id), session.community_id, due,
                    {"session": session.id, "occurrence": iso(occurrence), "member": member_id})

    def _refresh_plan(self, session: Session) -> Plan:
        end = slot_end(self._clock.now(), REFRESH_EVERY)
        return Plan(REFRESH, f"{session.id}|{iso(end)}", session.community_id, end, {"session": session.id})

    def _event_plan(self, session: Session) -> Plan:
        return Plan(EVENT, f"{session.id}:v{session.version}@{iso(session.next_at) if session.next_at else 'end'}",
                    session.community_id, self._clock.now(), {"session": session.id})

    def _tell_plan(self, session: Session, member_id: str, what: Told, about: str) -> Plan:
        return Plan(TELL, f"{session.id}/{what}/{member_id}/{about}", session.community_id, self._clock.now(),
                    {"session": session.id, "member": member_id, "what": what, "about": about})


def _same_platform(community_id: str, member: Member) -> None:
    """A member acts in a community of their own platform: a reminder or message planned for a Slack id in a
    Discord community would go to an adapter that cannot reach them. An adapter's bug, not a member's input."""
    if platform_of(member.id) != platform_of(community_id):
        raise ValueError(f"member {member.id!r} is not on the platform of {community_id!r}")


def _moved_weeks(excluded: frozenset[datetime], old: datetime, new: datetime) -> frozenset[datetime]:
    """The weeks cancelled alone, carried to a series' new wall time: each to the same week's new day (the nearer
    way round, Tuesday to Thursday is two days on) at the new time, as the rule makes its starts. Those going were
    told those weeks are off; a new time must not silently bring them back. Weeks before the new first start go."""
    shift = (new.weekday() - old.weekday()) % 7
    days = timedelta(days=shift - 7 if shift > 3 else shift)
    moved = (datetime.combine(wall.date() + days, new.time()) for wall in excluded)
    return frozenset(wall for wall in moved if wall >= new)


def _not_on(session: Session, occurrence: datetime | None) -> str:
    if session.cancelled_at is not None:
        return f"Session #{session.number} was cancelled."
    if occurrence is None:
        return f"Session #{session.number} is over."
    return (f"Session #{session.number} isn't on yet: \"I'm here\" opens 10 minutes before it starts "
            f"(see `/study list`).")
