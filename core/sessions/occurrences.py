"""What the sessions' duties find when they wake: the card to post or refresh, the occurrence starting, the reminder
or direct message still worth sending. Each duty decides from the database as it is then, not as it was when
planned, so an edit, a cancellation or a withdrawal meanwhile makes a stale duty skip instead of misfire. A reminder
or a "starting now" that wakes late (after a restart) is still sent while the occurrence runs, and skipped once it
is over. Rules only: the commands layer renders and delivers.

Direct messages carry no key a platform could use to refuse a second copy, so each is claimed in the database
before it is sent (a settled duty of its own, as the streaks' nudge is): a member never gets one twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from core.clock import Clock, parse_iso
from core.engine.duties import Duty, DutyStore, Plan
from core.sessions.model import Session
from core.sessions.service import START, SessionService, Shown, Told
from core.sessions.store import SessionStore

log = logging.getLogger(__name__)

REMINDED, TOLD = "sessions.reminded", "sessions.told"  # the claims taken before a direct message goes
SWEEP_LIMIT = 500  # occurrences planned by one sweep (a backlog clears over the next ones)


@dataclass(frozen=True)
class Direct:
    """A direct message to send once: to whom, about what, and the claim taken before sending it."""

    member_id: str
    shown: Shown
    occurrence: datetime
    what: Told | str  # 'reminder', or what a `Told` message tells
    claim: Plan
    now: datetime


class SessionDuties:
    def __init__(self, service: SessionService, store: SessionStore, duties: DutyStore, clock: Clock) -> None:
        self.service = service
        self.store = store
        self.duties = duties
        self.clock = clock

    async def _session(self, due: Duty) -> Session | None:
        return await self.store.by_id(int(due.payload["session"]))

    async def card(self, due: Duty) -> Shown | None:
        """The card to post or refresh; None when the session is gone or has no channel."""
        session = await self._session(due)
        if session is None or session.channel_id is None:
            return None
        return await self.service.shown(session)

    async def posted(self, session: Session, message_id: str | None) -> None:
        await self.store.placed(session.id, message_id=message_id)

    async def thread_opened(self, session: Session, thread_id: str) -> None:
        await self.store.placed(session.id, thread_id=thread_id)

    async def event_placed(self, session: Session, event_id: str | None) -> None:
        await self.store.placed(session.id, event_id=event_id)

    async def event(self, due: Duty) -> Shown | None:
        """The session whose platform event to bring in step (its occurrence next; None once it is over)."""
        session = await self._session(due)
        return None if session is None else await self.service.shown(session)

    async def starting(self, due: Duty) -> Shown | None:
        """The occurrence starting now; None when it was cancelled, moved, or is over already."""
        session = await self._session(due)
        occurrence = parse_iso(due.payload["occurrence"])
        if session is None or not self._ahead(session, occurrence):
            return None
        return Shown(session, occurrence, await self.store.counts(session.id))

    async def ended(self, due: Duty) -> None:
        """An occurrence is over: the session moves on to its next one (None: the session is over), whose duties
        are planned, and its card and event follow. Late (after a stop), it moves past the weeks missed."""
        session = await self._session(due)
        occurrence = parse_iso(due.payload["occurrence"])
        if session is None or session.cancelled_at is not None or session.next_at != occurrence:
            return
        following = session.occurrence_after(max(self.clock.now(), session.ends(occurrence)))
        if not await self.store.moved_on(session.id, following, occurrence):
            return  # another process moved it on
        await self.duties.plan(*await self.service.moved_on(session, following))

    async def reminder(self, due: Duty) -> Direct | None:
        """A reminder still due: the member still going, the occurrence still the one next and not over."""
        session = await self._session(due)
        occurrence, member = parse_iso(due.payload["occurrence"]), due.payload["member"]
        if session is None or not self._ahead(session, occurrence):
            return None
        if await self.store.status(session.id, member) != "going":
            return None
        shown = Shown(session, occurrence, await self.store.counts(session.id))
        return Direct(member, shown, occurrence, "reminder", Plan(REMINDED, due.key, due.scope, due.due_at),
                      self.clock.now())

    async def telling(self, due: Duty) -> Direct | None:
        """A direct message about a change (a seat, a cancellation, a new time); None when it no longer holds."""
        session = await self._session(due)
        if session is None:
            return None
        what, member = due.payload["what"], due.payload["member"]
        about = parse_iso(due.payload["about"])
        if what == "seated" and (await self.store.status(session.id, member) != "going"
                                 or session.cancelled_at is not None):
            return None
        shown = await self.service.shown(session)
        occurrence = shown.occurrence or about
        return Direct(member, shown, occurrence if what != "week-cancelled" else about, what,
                      Plan(TOLD, due.key, due.scope, due.due_at), self.clock.now())

    def _ahead(self, session: Session, occurrence: datetime) -> bool:
        return (session.cancelled_at is None and session.next_at == occurrence and session.is_occurrence(occurrence)
                and self.clock.now() < session.ends(occurrence))

    async def first_notice(self, community_id: str, permission: str) -> bool:
        return await self.store.first_notice(community_id, permission)

    async def notice_failed(self, community_id: str, permission: str) -> None:
        await self.store.notice_failed(community_id, permission)

    async def plan_missing(self, platforms: frozenset[str]) -> None:
        """Occurrences with no "starting now" planned (a lost plan, an occurrence never moved on to after a long
        stop): the ones over are moved past, the rest planned with their reminders."""
        for session in await self.store.unplanned(START, platforms, SWEEP_LIMIT):
            try:
                await self._catch_up(session)
            except Exception:
                log.exception("cannot plan session %s of %s", session.number, session.community_id)

    async def _catch_up(self, session: Session) -> None:
        """Its occurrence's duties planned: one over already has its start skipped and its end moving it on."""
        assert session.next_at is not None
        await self.duties.plan(*await self.service.occurrence_plans(session, session.next_at))
