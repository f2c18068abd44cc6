"""The end-of-day nudge's duty: a member who asked for it (`/streak nudge:on`) gets a direct message a few hours
before their local day ends, if they have not been active today and their streak ends with the day. Rules only: the
commands layer renders and delivers.

One duty per member per local day, keyed by community, member and day, so it runs once whatever the restarts. The
duty decides when it wakes, not when it was planned: a member who checked in, turned nudges off or moved to
another zone meanwhile gets nothing, or gets it at the new time. A direct message carries no key a platform could
use to refuse a second copy, so before sending, the day is claimed in the database (a settled duty of its own);
a delivery that fails gives the claim back, and a process killed mid-send leaves it taken: the member may miss one
nudge, and never gets two.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from core.clock import Clock
from core.engine.duties import Duty, DutyStore, Plan
from core.engine.errors import Postpone
from core.streaks.days import day_end
from core.streaks.service import StreakService, Summary, Where
from core.streaks.store import member_scope

log = logging.getLogger(__name__)

NUDGE = "streaks.nudge"
SENT = "streaks.nudge-sent"  # the claim that a day's nudge is being or was sent
BEFORE_DAY_END = timedelta(hours=3)
LOOK_AHEAD = 3  # days tried for the next nudge: today, tomorrow, and one more after a done one


@dataclass(frozen=True)
class DueNudge:
    community_id: str
    member_id: str
    day: date
    summary: Summary
    ends_at: datetime  # when the member's day (and, without a check-in, their streak) ends

    @property
    def claim(self) -> Plan:
        return Plan(SENT, _key(self.community_id, self.member_id, self.day),
                    member_scope(self.community_id, self.member_id), self.ends_at)


def nudge_at(day: date, where: Where) -> datetime:
    return day_end(day, where.zone, where.rollover) - BEFORE_DAY_END


class NudgeSchedule:
    def __init__(self, streaks: StreakService, duties: DutyStore, clock: Clock) -> None:
        self.streaks = streaks
        self.duties = duties
        self.clock = clock

    async def changed(self, community_id: str, member_id: str, on: bool) -> None:
        """The member turned nudges on (plan the next) or off (forget the pending ones)."""
        if on:
            await self.plan_next(community_id, member_id)
        else:
            await self.duties.drop_pending(NUDGE, member_scope(community_id, member_id))

    async def moved(self, member_id: str) -> None:
        """The member changed zone or rollover hour: each pending nudge moves to the end of their new day. Left
        where it was, a nudge moved earlier (flying east) would wake after the day it is for and be skipped."""
        for community_id, _ in await self.streaks.store.nudged(member_id):
            await self.duties.drop_pending(NUDGE, member_scope(community_id, member_id))
            await self.plan_next(community_id, member_id)

    async def plan_missing(self, platforms: frozenset[str]) -> None:
        """Members who asked for the nudge but have none planned (a lost plan, a database from before)."""
        for community_id, member_id in await self.streaks.store.unplanned_nudges(NUDGE):
            if community_id.split(":", 1)[0] not in platforms:
                continue
            try:
                await self.plan_next(community_id, member_id)
            except Exception:
                log.exception("cannot plan the nudge of %s in %s", member_id, community_id)

    async def plan_next(self, community_id: str, member_id: str, after: date | None = None) -> None:
        """The member's first local day (after `after`, if given) whose nudge time is still ahead and not done."""
        where = await self.streaks.where(community_id, member_id)
        day = where.today(self.clock)
        if after is not None:
            day = max(day, after + timedelta(days=1))
        for _ in range(LOOK_AHEAD):
            key = _key(community_id, member_id, day)
            if nudge_at(day, where) > self.clock.now() and not await self.duties.is_done(NUDGE, key):
                await self.duties.plan(Plan(NUDGE, key, member_scope(community_id, member_id), nudge_at(day, where),
                                            {"community": community_id, "member": member_id, "day": day.isoformat()}))
                return
            day += timedelta(days=1)

    async def due(self, duty: Duty) -> DueNudge | None:
        """The nudge to send now, or None: nudges turned off, the day over (or not the member's today any more),
        the member active today, or no streak at stake. The next day is planned first."""
        community_id, member_id = duty.payload["community"], duty.payload["member"]
        day = date.fromisoformat(duty.payload["day"])
        summary = await self.streaks.summary(community_id, member_id)
        if not summary.nudge:
            return None
        await self.plan_next(community_id, member_id, after=day)
        at = nudge_at(day, summary.where)
        if self.clock.now() < at:
            raise Postpone(at)
        standing = summary.standing
        if standing.today != day or not standing.at_risk or standing.current == 0:
            return None
        return DueNudge(community_id, member_id, day, summary,
                        day_end(day, summary.where.zone, summary.where.rollover))


def _key(community_id: str, member_id: str, day: date) -> str:
    return f"{community_id}|{member_id}|{day.isoformat()}"
