"""The question of the day's duties: the daily post and its reveal, rendered through the same views the commands
use and delivered by the notifier of the community's platform. Core decides what is due; this only shows it."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from commands.context import DutyContext
from commands.qotd.views import question_reply, reveal_reply
from commands.registry import duty
from commands.replies import Reply
from core.engine.duties import Duty
from core.qotd.daily import ANNOUNCE, REVEAL, DuePost

Due = TypeVar("Due", bound=DuePost)
log = logging.getLogger(__name__)


@duty(ANNOUNCE)
async def announce(ctx: DutyContext, due: Duty) -> str | None:
    daily, taxonomy = ctx.services.daily, ctx.services.taxonomy
    return await _deliver(ctx, await daily.due_post(due), lambda f: question_reply(f.post, f.question, taxonomy),
                          daily.announced)


@duty(REVEAL)
async def reveal(ctx: DutyContext, due: Duty) -> str | None:
    daily, taxonomy = ctx.services.daily, ctx.services.taxonomy
    return await _deliver(ctx, await daily.due_reveal(due),
                          lambda f: reveal_reply(f.post, f.question, f.distribution, taxonomy), daily.revealed)


async def _deliver(ctx: DutyContext, found: Due | None, view: Callable[[Due], Reply],
                   record: Callable[[Due], Awaitable[None]]) -> str | None:
    """Post what is due into the community's channel, then record it: recorded only once the platform accepted."""
    if found is None:
        return "skipped"
    await ctx.notifier.post(found.channel_id, view(found))
    try:
        await record(found)
    except Exception:  # the platform has it: retrying the duty would post it again
        log.exception("posted in %s but could not record it; it is not posted again", found.channel_id)
    return None
