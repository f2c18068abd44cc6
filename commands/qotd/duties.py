"""The question of the day's duties: the daily post and its reveal, rendered through the same views the commands
use and delivered by the notifier of the community's platform. Core decides what is due; this only shows it."""

from __future__ import annotations

from commands.context import DutyContext
from commands.qotd.views import question_reply, reveal_reply
from commands.registry import duty
from core.engine.duties import Duty
from core.qotd.daily import ANNOUNCE, REVEAL


@duty(ANNOUNCE)
async def announce(ctx: DutyContext, due: Duty) -> str | None:
    daily = ctx.services.daily
    found = await daily.due_post(due)
    if found is None:
        return "skipped"
    await ctx.notifier.post(found.channel_id, question_reply(found.post, found.question, ctx.services.taxonomy))
    await daily.announced(found)
    return None


@duty(REVEAL)
async def reveal(ctx: DutyContext, due: Duty) -> str | None:
    daily = ctx.services.daily
    found = await daily.due_reveal(due)
    if found is None:
        return "skipped"
    reply = reveal_reply(found.post, found.question, found.distribution, ctx.services.taxonomy)
    await ctx.notifier.post(found.channel_id, reply)
    await daily.revealed(found)
    return None
