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
from commands.notifier import ThreadHost, post_once
from commands.permissions import tell_admins_once
from commands.qotd.views import discussion_name, discussion_reply, question_reply, reveal_reply
from commands.registry import duty
from commands.replies import Reply
from core.engine.duties import Duty
from core.engine.errors import Undeliverable, Unpermitted
from core.qotd.daily import ANNOUNCE, REVEAL, SKIP_NOTICE, DueNotice, DuePost


class _Delivered(Protocol):
    @property
    def channel_id(self) -> str: ...


Due = TypeVar("Due", bound=_Delivered)
log = logging.getLogger(__name__)
NO_DISCUSSION = "the daily question gets no discussion thread"


@duty(ANNOUNCE)
async def announce(ctx: DutyContext, due: Duty) -> str | None:
    daily, taxonomy = ctx.services.daily, ctx.services.taxonomy
    return await _deliver(ctx, due, await daily.due_announce(due),
                          lambda f: pinged(f, question_reply(f.post, f.question, taxonomy)), daily.announced,
                          lambda f, message_id: _discussion(ctx, due, f, message_id))


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
                   record: Callable[[Due], Awaitable[None]],
                   then: Callable[[Due, str | None], Awaitable[None]] | None = None) -> str | None:
    """Post what is due into the community's channel, then record it: recorded only once the platform accepted.
    A retry after an attempt that may have posted (a process killed in between) does not post a second time.
    `then` follows up on the message posted (its id, None when the platform gave none)."""
    if found is None:
        return "skipped"
    message_id = await post_once(ctx.notifier, found.channel_id, view(found), due)
    try:
        await record(found)
    except Exception:  # the platform has it: retrying the duty would post it again
        log.exception("posted in %s but could not record it; it is not posted again", found.channel_id)
    if then is not None:
        await then(found, message_id)
    return None


async def _discussion(ctx: DutyContext, due: Duty, found: DuePost, message_id: str | None) -> None:
    """The daily post's discussion thread, opened with a first message that keeps the answer out of the channel: a
    Discord thread on the post (when the bot may create one; else its admins are told once), the post's replies on
    Slack. A retry opens and says nothing twice (a post's thread is found again, its message found by key)."""
    host = ctx.notifier
    if message_id is None or not isinstance(host, ThreadHost):
        return
    try:
        place = await host.open_thread(found.channel_id, message_id, discussion_name(found.post, found.question,
                                                                                     ctx.services.taxonomy))
        await post_once(host, place, discussion_reply(found.post, found.community.timezone), due)
    except Unpermitted as error:
        await tell_admins_once(ctx, found.community.id, found.channel_id, error.permission, NO_DISCUSSION)
    except Undeliverable as error:  # a channel that takes no threads: the question is out, and that is what counts
        log.info("no discussion thread for the daily post in %s: %s", found.channel_id, error)


async def _nothing_to_record(due: DueNotice) -> None:
    """A notice is recorded by its duty being done."""
