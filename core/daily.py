"""The daily duties the clock starts: announce today's question, reveal it later, catch up after downtime.

Each duty claims its row before delivering, so a double fire (DST, a restart, two processes) posts once.
"""

from __future__ import annotations

import asyncio
import logging

from core.clock import Clock
from core.community import CommunityStore
from core.notifier import Notifier
from core.qotd import DailyPost, QotdService
from core.qotd_views import question_reply, reveal_reply
from core.replies import Reply

log = logging.getLogger(__name__)


class DailyDuties:
    def __init__(self, qotd: QotdService, communities: CommunityStore, notifier: Notifier, clock: Clock) -> None:
        self.qotd = qotd
        self.communities = communities
        self.notifier = notifier
        self.clock = clock

    async def announce(self, community_id: str) -> DailyPost | None:
        """Post today's question if its local time has come and nobody has posted it yet."""
        community = await self.communities.get(community_id)
        now = self.clock.now()
        day = community.local_date(now)
        if community.channel_id is None or now < community.scheduled_at(day):
            return None
        post = await self.qotd.post_for(community, day)
        if not await self.qotd.claim(post.id, "announce"):
            return None
        question = self.qotd.bank.get(post.question_id)
        await self._deliver(post.id, "announce", community.id, community.channel_id,
                            question_reply(post, question, self.qotd.bank.taxonomy))
        log.info("announced QOTD %s for %s on %s", post.question_id, community.id, day)
        return post

    async def reveal(self, post_id: int) -> bool:
        """Post the answer, explanation and distribution once the reveal time has passed."""
        post = await self.qotd.post(post_id)
        if post.immediate or self.clock.now() < post.reveal_at:
            return False
        community = await self.communities.get(post.community_id)
        if community.channel_id is None or not await self.qotd.claim(post.id, "reveal"):
            return False
        question = self.qotd.bank.get(post.question_id)
        distribution = await self.qotd.distribution(post.id)
        await self._deliver(post.id, "reveal", community.id, community.channel_id,
                            reveal_reply(post, question, distribution, self.qotd.bank.taxonomy))
        return True

    async def _deliver(self, post_id: int, what: str, community_id: str, channel_id: str, reply: Reply) -> None:
        """Post what was claimed; if delivery fails or is cancelled (a restart mid-post), give the claim back so the
        catch-up posts it rather than losing the day."""
        try:
            await self.notifier.post(community_id, channel_id, reply)
        except BaseException:
            await asyncio.shield(self.qotd.release(post_id, what))
            raise

    async def catch_up(self) -> list[DailyPost]:
        """After a restart: today's post if its time passed while down (same local day only), and overdue reveals.
        Returns the reveals still waiting for their time."""
        for community in await self.communities.with_channels():
            try:
                await self.announce(community.id)
            except Exception:
                log.exception("catch-up post failed for %s", community.id)
        waiting = []
        for post in await self.qotd.pending_reveals():
            try:
                if not await self.reveal(post.id):
                    waiting.append(post)
            except Exception:
                log.exception("catch-up reveal failed for post %s", post.id)
                waiting.append(post)
        return waiting
