"""The question of the day's duties: the daily post, its reveal and a skipped day's notice, rendered through the
same views the commands use and delivered by the notifier of the community's platform. Core decides what is due;
this only shows it."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import timedelta
from typing import Protocol, TypeVar

from commands.context import DutyContext
from commands.moments import moment
from commands.notifier import post_once
from commands.qotd.views import question_reply, reveal_reply
from commands.registry import duty
from commands.replies import Reply
from core.engine.duties import Duty
from core.qotd.daily import ANNOUNCE, REVEAL, SKIP_NOTICE, DueNotice, DuePost


class _Delivered(Protocol):
    @property
    def channel_id(self) -> str: ...


Due = TypeVar("Due", bound=_Delivered)
log = logging.getLogger(__name__)


@duty(ANNOUNCE)
async def announce(ctx: DutyContext, due: Duty) -> str | None:
    daily, taxonomy = ctx.services.daily, ctx.services.taxonomy
    return await _deliver(ctx, due, await daily.due_announce(due),
                          lambda f: pinged(f, question_reply(f.post, f.question, taxonomy)), daily.announced)


@duty(REVEAL)
async def reveal(ctx: DutyContext, due: Duty) -> str | None:
    daily, taxonomy = ctx.services.daily, ctx.services.taxonomy
    return await _deliver(ctx, due, await daily.due_reveal(due),
                          lambda f: reveal_reply(f.post, f.question, f.distribution, taxonomy), daily.revealed)


@duty(SKIP_NOTICE)
async def skip_notice(ctx: DutyContext, due: Duty) -> str | None:
    return await _deliver(ctx, due, await ctx.services.daily.due_notice(due), skipped_reply, _nothing_to_record)


def pinged(due: DuePost, reply: Reply) -> Reply:
    """The daily post mentions the community's ping role, and only this message may ping it."""
    role = due.community.ping_role
    return replace(reply, text=f"<@&{role}>", ping_roles=(role,)) if role else reply


def skipped_reply(due: DueNotice) -> Reply:
    """A channel post, read by everyone: its time is written in the community's zone where it cannot be shown in
    each reader's own."""
    community = due.community
    at = community.scheduled_at(due.day + timedelta(days=1))
    return Reply(text=f"No question of the day today: an admin skipped it. The next one is posted tomorrow, "
                      f"**{moment(at, community.timezone, 'f')}**.")


async def _deliver(ctx: DutyContext, due: Duty, found: Due | None, view: Callable[[Due], Reply],
                   record: Callable[[Due], Awaitable[None]]) -> str | None:
    """Post what is due into the community's channel, then record it: recorded only once the platform accepted.
    A retry after an attempt that may have posted (a process killed in between) does not post a second time."""
    if found is None:
        return "skipped"
    await post_once(ctx.notifier, found.channel_id, view(found), due)
    try:
        await record(found)
    except Exception:  # the platform has it: retrying the duty would post it again
        log.exception("posted in %s but could not record it; it is not posted again", found.channel_id)
    return None


async def _nothing_to_record(due: DueNotice) -> None:
    """A notice is recorded by its duty being done."""
