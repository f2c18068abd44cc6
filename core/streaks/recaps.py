"""The weekly recap's duty: when a community's recap is due and what it reports. Rules only: the commands layer
renders and delivers.

A recap is keyed by the community and the ISO week it reports, so it posts once per week whatever the restarts,
the processes or an admin moving its day. A recap posted Friday to Sunday reports the week it ends; one posted Monday
to Thursday reports the week just finished, whole. Its time is wall-clock time in the community's zone on its day,
so a DST week moves its UTC instant, never its local hour. The next week is planned before this one is delivered, as
the daily post does, so a failed week never stops the weeks after it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from core.clock import Clock
from core.community.model import Community
from core.community.store import CommunityStore
from core.engine.duties import Duty, DutyStore, Plan
from core.engine.errors import Postpone
from core.streaks.service import Recap, StreakService
from core.streaks.store import periods

log = logging.getLogger(__name__)

RECAP = "streaks.recap"
LATE = timedelta(days=1)  # a recap later than this (the bot was down) is skipped: last week's news by then
REPORTS_THE_WEEK_BEFORE = 4  # a recap on a day before Friday (weekday 4) reports the previous week


@dataclass(frozen=True)
class DueRecap:
    community: Community
    channel_id: str
    recap: Recap


def covered_week(day: date) -> date:
    """The Monday of the week a recap posted on `day` reports: Friday to Sunday, their own; else the week before."""
    shifted = day - timedelta(days=REPORTS_THE_WEEK_BEFORE)
    return shifted - timedelta(days=shifted.weekday())


def recap_day(week: date, weekday: int) -> date:
    """The day the recap of the week starting on Monday `week` is posted (the inverse of `covered_week`)."""
    return week + timedelta(days=weekday if weekday >= REPORTS_THE_WEEK_BEFORE else 7 + weekday)


def week_key(week: date) -> str:
    return periods(week)[1]


class RecapSchedule:
    def __init__(self, streaks: StreakService, communities: CommunityStore, duties: DutyStore, clock: Clock) -> None:
        self.streaks = streaks
        self.communities = communities
        self.duties = duties
        self.clock = clock

    async def replan(self, community: Community) -> None:
        """After a settings change: the next recap whose time is ahead and whose week was not recapped yet; none
        without a channel or a recap time."""
        if community.channel_id is None or community.recap_time is None:
            await self.duties.drop_pending(RECAP, community.id)
            return
        week = await self._next_week(community)
        await self.duties.plan(_recap(community, week))
        await self.duties.drop_pending(RECAP, community.id, keep=_key(community.id, week))

    async def plan_missing(self, platforms: frozenset[str]) -> None:
        """Communities with a channel and a recap time but no planned recap get one (one bad zone never holds up
        the others)."""
        plans = []
        for community in await self.communities.unplanned(RECAP, platforms, needs=("channel_id", "recap_time")):
            try:
                plans.append(_recap(community, await self._next_week(community)))
            except Exception:
                log.exception("cannot plan the weekly recap of %s", community.id)
        await self.duties.plan(*plans)

    async def next_at(self, community: Community) -> datetime | None:
        """When the next recap posts, for an admin's confirmation."""
        pending = await self.duties.pending(RECAP, community.id)
        return pending[0].due_at if pending else None

    async def _next_week(self, community: Community) -> date:
        now = self.clock.now()
        week = covered_week(community.local_date(now))
        if _recap_at(community, week) < now:
            week += timedelta(weeks=1)
        while await self.duties.is_done(RECAP, _key(community.id, week)):
            week += timedelta(weeks=1)
        return week

    async def due(self, duty: Duty) -> DueRecap | None:
        """The recap to post now, or None (recaps turned off, or too late to be news). The next week is planned
        first, whatever happens to this one."""
        community = await self.communities.get(duty.scope, fresh=True)
        if community.channel_id is None or community.recap_time is None:
            return None
        week = date.fromisoformat(duty.payload["week"])
        await self.duties.plan(_recap(community, week + timedelta(weeks=1)))
        at, now = _recap_at(community, week), self.clock.now()
        if now < at:
            raise Postpone(at)
        if now > at + LATE:
            return None
        return DueRecap(community, community.channel_id, await self.streaks.recap(community.id, week_key(week)))


def _key(community_id: str, week: date) -> str:
    return f"{community_id}|{week_key(week)}"


def _recap_at(community: Community, week: date) -> datetime:
    if community.recap_time is None:
        raise ValueError(f"{community.id} has no recap time")
    return community.local_instant(recap_day(week, community.recap_weekday), community.recap_time)


def _recap(community: Community, week: date) -> Plan:
    return Plan(RECAP, _key(community.id, week), community.id, _recap_at(community, week), {"week": week.isoformat()})
