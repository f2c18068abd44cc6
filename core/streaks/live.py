"""The live leaderboard: one message in a community's channel that a duty keeps up to date, edited in place.

Activity plans a refresh keyed by the community and the end of the current `REFRESH_EVERY` slot, and due then: a
burst of check-ins plans one row, so it makes one edit a slot, never one per check-in, and every check-in of the
slot is on the board it shows. Each refresh also plans one at the community's next local midnight, so a new week or
month and the streaks that ended overnight show without waiting for someone to check in. Rules only: the commands
layer renders, edits, and posts a fresh message when the old one is gone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from core.clock import Clock, iso, slot_end
from core.community.model import Community
from core.community.store import CommunityStore
from core.engine.duties import Duty, DutyStore, Plan
from core.errors import UserError
from core.streaks.service import Board, Period, StreakService
from core.streaks.store import LiveBoard, Metric

REFRESH = "streaks.board"
REFRESH_EVERY = timedelta(minutes=5)
FIRST = "post"  # in a refresh's key: the board's first post, asked for by an admin


@dataclass(frozen=True)
class DueBoard:
    live: LiveBoard
    community: Community
    board: Board
    at: datetime  # the refresh's moment, for "Updated HH:MM"


class LiveBoards:
    def __init__(self, streaks: StreakService, communities: CommunityStore, duties: DutyStore, clock: Clock) -> None:
        self.streaks = streaks
        self.communities = communities
        self.duties = duties
        self.clock = clock
        self._planned: dict[str, datetime] = {}  # community -> the slot end this process last planned or looked at

    async def start(self, community_id: str, channel_id: str | None, metric: Metric, period: Period) -> LiveBoard:
        """A new live board in `channel_id`, posted by a duty due now (the last one's message is no longer kept)."""
        if channel_id is None:
            raise UserError("Name the channel for the live leaderboard: `/rounds leaderboard-post channel:#channel`.")
        live = LiveBoard(community_id, channel_id, period, metric)
        await self.streaks.store.set_live_board(live)
        self._planned.pop(community_id, None)
        now = self.clock.now()
        await self.duties.plan(Plan(REFRESH, f"{community_id}|{FIRST}|{iso(now)}", community_id, now))
        return live

    async def stop(self, community_id: str) -> bool:
        await self.duties.drop_pending(REFRESH, community_id)
        return await self.streaks.store.drop_live_board(community_id)

    async def current(self, community_id: str) -> LiveBoard | None:
        return await self.streaks.store.live_board(community_id)

    async def activity(self, community_ids: set[str]) -> None:
        """Activity was recorded: a community with a live board refreshes it at the end of this slot."""
        due = slot_end(self.clock.now(), REFRESH_EVERY)
        for community_id in sorted(community_ids):
            if self._planned.get(community_id) == due:  # this process planned this slot's refresh already
                continue
            self._planned[community_id] = due  # before the awaits: the presses of a burst ask together
            try:
                if await self.streaks.store.live_board(community_id) is not None:
                    await self.duties.plan(_refresh(community_id, due))
            except BaseException:
                self._planned.pop(community_id, None)  # not planned after all: the next activity tries again
                raise

    async def due(self, duty: Duty) -> DueBoard | None:
        """The board as it stands now, or None when the live board was stopped. Tonight's refresh is planned."""
        live = await self.streaks.store.live_board(duty.scope)
        if live is None:
            return None
        community = await self.communities.get(live.community_id, fresh=True)
        now = self.clock.now()
        await self.duties.plan(_refresh(community.id, _next_midnight(community, now)))
        board = await self.streaks.board(community.id, live.metric, live.period, 1, None)
        return DueBoard(live, community, board, now)

    async def refreshed(self, due: DueBoard, message_id: str | None) -> None:
        """The message shows the board now (posted afresh, when `message_id` differs from the board's)."""
        await self.streaks.store.board_refreshed(due.live, message_id, due.at)


def _next_midnight(community: Community, now: datetime) -> datetime:
    return community.local_instant(community.local_date(now) + timedelta(days=1), time(0))


def _refresh(community_id: str, due: datetime) -> Plan:
    return Plan(REFRESH, f"{community_id}|{iso(due)}", community_id, due)
