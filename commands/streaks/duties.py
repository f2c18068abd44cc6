"""The streaks' duties: the weekly recap, the end-of-day nudge and the live leaderboard, rendered here and delivered
by the notifier of the community's platform. Core decides what is due; this only shows it and hands it over."""

from __future__ import annotations

import logging

from commands.context import DutyContext
from commands.notifier import direct_once, post_once
from commands.registry import duty
from commands.streaks.notices import nudge_reply, recap_reply
from commands.streaks.views import live_board_reply
from core.engine.duties import Duty
from core.engine.errors import Undeliverable
from core.streaks.live import REFRESH, DueBoard
from core.streaks.nudges import NUDGE
from core.streaks.recaps import RECAP

log = logging.getLogger(__name__)


@duty(RECAP)
async def weekly_recap(ctx: DutyContext, due: Duty) -> str | None:
    found = await ctx.services.recaps.due(due)
    if found is None:
        return "skipped"
    await post_once(ctx.notifier, found.channel_id, recap_reply(found.recap), due)
    return None


@duty(NUDGE)
async def nudge(ctx: DutyContext, due: Duty) -> str | None:
    """Sent once (a member who closed their messages misses today's; tomorrow's is planned already)."""
    found = await ctx.services.nudges.due(due)
    if found is None:
        return "skipped"
    return await direct_once(ctx.notifier, ctx.services.duties, found.claim, found.member_id, nudge_reply(found))


@duty(REFRESH)
async def live_board(ctx: DutyContext, due: Duty) -> str | None:
    found = await ctx.services.boards.due(due)
    if found is None:
        return "skipped"
    await ctx.services.boards.refreshed(found, await _show(ctx, found, due))
    return None


async def _show(ctx: DutyContext, found: DueBoard, due: Duty) -> str | None:
    """Edit the board's message in place; post it (once) when it has none yet or the old one was deleted. A channel
    the board can no longer be posted in ends the live board, so a dead channel is not tried every few minutes."""
    live, reply = found.live, live_board_reply(found.board, found.at, found.community.timezone)
    if live.message_id is not None:
        try:
            await ctx.notifier.edit(live.channel_id, live.message_id, reply)
            return live.message_id
        except Undeliverable as error:
            log.info("the live board of %s is gone (%s): posting it afresh", live.community_id, error)
    try:
        return await post_once(ctx.notifier, live.channel_id, reply, due)
    except Undeliverable:
        await ctx.services.boards.stop(live.community_id)
        raise
