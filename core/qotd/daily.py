"""The daily duties of the question of the day: when a community's post and its reveal are due, and what is due
when a duty wakes. Rules only: the commands layer renders and delivers.

Each community has one pending `qotd.announce` occurrence, keyed by its local date, so a DST night that reaches
09:00 twice, a restart or a second process still make one row and one post. The next occurrence is planned before
today's is delivered, so a failed or given-up day never stops the days after it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta

from core.clock import Clock
from core.community.model import Community
from core.community.store import CommunityStore
from core.engine.duties import Duty, DutyStore, Plan
from core.engine.errors import Postpone
from core.errors import UserError
from core.qotd.posts import DailyPost, PostStore
from core.qotd.service import Distribution, QotdService
from core.questions.model import Question

log = logging.getLogger(__name__)

ANNOUNCE = "qotd.announce"
REVEAL = "qotd.reveal"
SKIP_NOTICE = "qotd.skip-notice"
NOW = "now"  # in an announce duty's payload: an admin asked for the post now, before its posting time
SKIPPED_BY_ADMIN = "skipped by an admin"
PLAN_BATCH = 2000


@dataclass(frozen=True)
class DuePost:
    community: Community
    channel_id: str
    post: DailyPost
    question: Question


@dataclass(frozen=True)
class DueReveal(DuePost):
    distribution: Distribution


@dataclass(frozen=True)
class DueNotice:
    """A skipped day's notice for the channel."""

    community: Community
    channel_id: str
    day: date


@dataclass(frozen=True)
class Preview:
    day: date
    question: Question


class DailySchedule:
    def __init__(self, qotd: QotdService, posts: PostStore, communities: CommunityStore, duties: DutyStore,
                 clock: Clock) -> None:
        self.qotd = qotd
        self.posts = posts
        self.communities = communities
        self.duties = duties
        self.clock = clock

    # -- planning -------------------------------------------------------------------------------------------------
    async def replan(self, community: Community) -> None:
        """After a settings change: today's post if it has not gone out (at once if its time passed, the same local
        day only), else tomorrow's; no post at all without a channel."""
        if community.channel_id is None:
            await self.duties.drop_pending(ANNOUNCE, community.id)
            return
        day = await self._next_day(community)
        await self.duties.plan(_announce(community, day))
        await self.duties.drop_pending(ANNOUNCE, community.id, keep=_key(community.id, day))

    async def _next_day(self, community: Community) -> date:
        """Today in the community's zone, unless a post for today (or, after a move westwards, for a later date)
        already went out or was given up: then the day after."""
        day = community.local_date(self.clock.now())
        last = await self.posts.last_announced(community.id)
        if last is not None and last >= day:
            day = last + timedelta(days=1)
        while await self.duties.is_done(ANNOUNCE, _key(community.id, day)):
            day += timedelta(days=1)
        return day

    async def plan_missing(self, platforms: frozenset[str]) -> None:
        """Communities with a channel and no planned post (a database from before duties, a lost plan) get one,
        in batches; a community whose settings cannot be planned (a zone this host's tzdata lacks) is logged and
        left, never holding up the others."""
        plans = []
        for community in await self.communities.unplanned(ANNOUNCE, platforms):
            try:
                plans.append(_announce(community, await self._next_day(community)))
            except Exception:
                log.exception("cannot plan the daily post of %s", community.id)
            if len(plans) >= PLAN_BATCH:
                await self.duties.plan(*plans)
                plans = []
        await self.duties.plan(*plans)

    # -- what a waking duty finds ---------------------------------------------------------------------------------
    async def due_post(self, duty: Duty) -> DuePost | None:
        """The post to announce now, or None when there is nothing to post (no channel, the day has passed, it went
        out already). The next day is planned first, whatever happens to this one."""
        community = await self.communities.get(duty.scope, fresh=True)
        day = date.fromisoformat(duty.payload["date"])
        if community.channel_id is None:
            return None
        await self.duties.plan(_announce(community, day + timedelta(days=1)))
        now = self.clock.now()
        if community.local_date(now) != day:  # down over the whole day: a late post would confuse more than help
            await self.replan(community)
            return None
        if now < community.scheduled_at(day):
            raise Postpone(community.scheduled_at(day))
        post = await self.posts.get((await self.qotd.post_for(community, day)).id)
        if post is None or post.announced:
            return None
        return DuePost(community, community.channel_id, post, await self.qotd.bank.get(post.question_id))

    async def announced(self, due: DuePost) -> None:
        """Recorded right after the platform accepted the post, and the reveal planned: never sooner than the
        community's delay after this moment, however late the post went out."""
        now = self.clock.now()
        delay = timedelta(minutes=due.community.reveal_delay_minutes)
        reveal_at = await self.posts.mark_announced(due.post.id, now, now + delay)
        if not due.post.immediate:
            await self.duties.plan(Plan(REVEAL, str(due.post.id), due.community.id, reveal_at, {"post": due.post.id}))

    async def due_reveal(self, duty: Duty) -> DueReveal | None:
        post = await self.posts.get(int(duty.payload["post"]))
        if post is None or post.revealed_in_channel:
            return None
        if self.clock.now() < post.reveal_at:
            raise Postpone(post.reveal_at)
        community = await self.communities.get(post.community_id, fresh=True)
        if community.channel_id is None:
            return None
        question = await self.qotd.bank.get(post.question_id)
        return DueReveal(community, community.channel_id, post, question, await self.qotd.distribution(post.id))

    async def revealed(self, due: DueReveal) -> None:
        await self.posts.mark(due.post.id, "revealed", self.clock.now())

    # -- an admin's tools for the day: post now, skip, preview ----------------------------------------------------
    async def post_now(self, community: Community) -> None:
        """Today's announce duty moved to now: the runner posts it like any other, so it is done only once delivered,
        and the days after are planned as usual."""
        day = await self._unposted_today(community)
        await self.duties.plan(Plan(ANNOUNCE, _key(community.id, day), community.id, self.clock.now(),
                                    {"date": day.isoformat(), NOW: True}))

    async def due_announce(self, duty: Duty) -> DuePost | None:
        """What a waking announce duty posts: `due_post`, except that a post an admin asked for now is not held back
        until the posting time."""
        try:
            return await self.due_post(duty)
        except Postpone:
            if not duty.payload.get(NOW):
                raise
        community = await self.communities.get(duty.scope, fresh=True)
        post = await self.posts.get((await self.qotd.post_for(community, date.fromisoformat(duty.payload["date"]))).id)
        if community.channel_id is None or post is None or post.announced:
            return None
        return DuePost(community, community.channel_id, post, await self.qotd.bank.get(post.question_id))

    async def skip_today(self, community: Community) -> date:
        """Today's post will not go out: its duty is settled as skipped (so no replan brings it back), a notice for
        the channel is planned as a duty of its own (delivered once), and the next day is planned as usual."""
        day = await self._unposted_today(community)
        if not await self.duties.settle(_announce(community, day), SKIPPED_BY_ADMIN):
            raise UserError("Today's question is being posted right now, so it can no longer be skipped.")
        await self.duties.plan(Plan(SKIP_NOTICE, _key(community.id, day), community.id, self.clock.now(),
                                    {"date": day.isoformat()}))
        await self.replan(community)
        return day

    async def due_notice(self, duty: Duty) -> DueNotice | None:
        community = await self.communities.get(duty.scope, fresh=True)
        if community.channel_id is None:
            return None
        return DueNotice(community, community.channel_id, date.fromisoformat(duty.payload["date"]))

    async def preview(self, community: Community) -> Preview:
        """Tomorrow's question as it will be picked, without claiming tomorrow. Today's post is claimed if it was not
        yet (whoever asks first today would claim it anyway), because tomorrow's pick depends on it."""
        tomorrow = community.local_date(self.clock.now()) + timedelta(days=1)
        await self.qotd.post_for(community, tomorrow - timedelta(days=1))
        return Preview(tomorrow, await self.qotd.pick(community, tomorrow))

    async def _unposted_today(self, community: Community) -> date:
        """Today's local date, if today's post can still be posted or skipped; else why not."""
        if community.channel_id is None:
            raise UserError("Daily posts are off, so there is no post to send or skip. Pick a channel first: `/rounds channel`.")
        day = community.local_date(self.clock.now())
        post = await self.posts.find(community.id, day)
        if post is not None and post.announced:
            raise UserError(f"Today's question already went out in <#{community.channel_id}>; nothing changed.")
        outcome = await self.duties.outcome(ANNOUNCE, _key(community.id, day))
        if outcome is not None and outcome[0] is not None:
            raise UserError(_FINISHED.get(outcome[0], "Today's post has already run; nothing changed. "
                                          "The next question goes out tomorrow."))
        return day


_FINISHED = {
    SKIPPED_BY_ADMIN: "Today is already skipped; nothing changed. The next question goes out tomorrow.",
    "failed": "Today's post could not be delivered and was given up; nothing changed. Check that Rounds may post in "
              "the channel; the next question goes out tomorrow.",
}


def _key(community_id: str, day: date) -> str:
    return f"{community_id}|{day.isoformat()}"


def _announce(community: Community, day: date) -> Plan:
    return Plan(ANNOUNCE, _key(community.id, day), community.id, community.scheduled_at(day), {"date": day.isoformat()})
