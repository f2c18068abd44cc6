"""The sessions' duties: the card posted and kept up to date, "starting now", each occurrence's end, the reminders
and direct messages, and the platform's own event. Core decides what is still due; this renders and delivers with
the notifier of the community's platform, using a platform's native feature (events, threads) where it has one.
"""

from __future__ import annotations

import logging
from datetime import datetime

from commands.context import DutyContext
from commands.notifier import EventHost, NativeEvent, ThreadHost, direct_once, post_once
from commands.permissions import tell_admins_once
from commands.registry import duty
from commands.replies import Reply
from commands.sessions.views import (
    card_reply,
    reminder_reply,
    starting_reply,
    told_reply,
)
from core.engine.duties import Duty
from core.engine.errors import Undeliverable, Unpermitted
from core.sessions.model import Session
from core.sessions.occurrences import Direct
from core.sessions.service import END, EVENT, POST, REFRESH, REMIND, START, TELL, Shown

log = logging.getLogger(__name__)

NO_THREAD = "sessions get no discussion thread"
NO_EVENT = "sessions do not appear in the server's Events"


@duty(POST)
async def post_card(ctx: DutyContext, due: Duty) -> str | None:
    shown = await ctx.services.occurrences.card(due)
    if shown is None or shown.session.channel_id is None:
        return "skipped"
    session, channel = shown.session, shown.session.channel_id
    message_id = await post_once(ctx.notifier, channel, await _card(ctx, shown), due)
    await ctx.services.occurrences.posted(session, message_id)
    if message_id is not None and isinstance(ctx.notifier, ThreadHost) and session.thread_id is None:
        await _open_thread(ctx, ctx.notifier, session, message_id)
    return None


async def _open_thread(ctx: DutyContext, host: ThreadHost, session: Session, message_id: str) -> None:
    assert session.channel_id is not None
    try:
        thread = await host.open_thread(session.channel_id, message_id, f"#{session.number} {session.topic}")
    except Unpermitted as error:
        await _tell_admins(ctx, session, error.permission, NO_THREAD)
        return
    await ctx.services.occurrences.thread_opened(session, thread)


@duty(REFRESH)
async def refresh_card(ctx: DutyContext, due: Duty) -> str | None:
    """The card edited in place; posted afresh when its message is gone."""
    shown = await ctx.services.occurrences.card(due)
    channel = shown.session.channel_id if shown is not None else None
    if shown is None or channel is None or shown.session.message_id is None:
        return "skipped"
    session, reply = shown.session, await _card(ctx, shown)
    try:
        await ctx.notifier.edit(channel, shown.session.message_id, reply)
    except Undeliverable as error:
        log.info("the card of session %s is gone (%s): posting it afresh", session.number, error)
        await ctx.services.occurrences.posted(session, await post_once(ctx.notifier, channel, reply, due))
    return None


@duty(START)
async def starting(ctx: DutyContext, due: Duty) -> str | None:
    shown = await ctx.services.occurrences.starting(due)
    if shown is None or shown.session.channel_id is None:
        return "skipped"
    session = shown.session
    place = session.thread_id or shown.session.channel_id
    zone, now = session.zone, ctx.services.clock.now()
    await post_once(ctx.notifier, place, starting_reply(shown, zone, now, ""), due)
    return None


@duty(END)
async def ended(ctx: DutyContext, due: Duty) -> str | None:
    await ctx.services.occurrences.ended(due)
    return None


@duty(REMIND)
async def remind(ctx: DutyContext, due: Duty) -> str | None:
    found = await ctx.services.occurrences.reminder(due)
    if found is None:
        return "skipped"
    reply = reminder_reply(found.shown, found.occurrence, await _zone(ctx, found), found.now, _thread(ctx, found.shown))
    return await direct_once(ctx.notifier, ctx.services.duties, found.claim, found.member_id, reply)


@duty(TELL)
async def tell(ctx: DutyContext, due: Duty) -> str | None:
    found = await ctx.services.occurrences.telling(due)
    if found is None:
        return "skipped"
    reply = told_reply(found.shown, found.what, found.occurrence, await _zone(ctx, found), found.now)
    return await direct_once(ctx.notifier, ctx.services.duties, found.claim, found.member_id, reply)


@duty(EVENT)
async def sync_event(ctx: DutyContext, due: Duty) -> str | None:
    """The platform's own event kept in step with the session's occurrence next: created, moved, cancelled."""
    host = ctx.notifier
    shown = await ctx.services.occurrences.event(due) if isinstance(host, EventHost) else None
    if shown is None or not isinstance(host, EventHost):
        return "skipped"
    session, occurrence = shown.session, shown.occurrence
    if occurrence is None or session.cancelled_at is not None:
        if session.event_id is not None:
            await host.cancel_event(session.community_id, session.event_id)
            await ctx.services.occurrences.event_placed(session, None)
        return None
    if occurrence <= ctx.services.clock.now():
        return "skipped"  # under way: a platform takes no event starting in the past (the next is made at its end)
    try:
        event_id = await host.put_event(_native(session, occurrence), session.event_id)
    except Unpermitted as error:
        await _tell_admins(ctx, session, error.permission, NO_EVENT)
        return "skipped"
    await ctx.services.occurrences.event_placed(session, event_id)
    return None


def _native(session: Session, occurrence: datetime) -> NativeEvent:
    where = session.link or (f"#{session.channel_id}" if session.channel_id else "Rounds")
    return NativeEvent(session.community_id, f"#{session.number} {session.topic}"[:100], occurrence,
                       session.ends(occurrence), where[:100],
                       f"Rounds study session #{session.number}. RSVP on its card; /study ics id:{session.number} "
                       "adds it to your calendar.")


async def _tell_admins(ctx: DutyContext, session: Session, permission: str, why: str) -> None:
    if session.channel_id is not None:
        await tell_admins_once(ctx, session.community_id, session.channel_id, permission, why)


async def _card(ctx: DutyContext, shown: Shown) -> Reply:
    session = shown.session
    host = (await ctx.services.people.names([session.author_id]))[session.author_id]
    return card_reply(shown, session.zone, ctx.services.clock.now(), host, _thread(ctx, shown))


def _thread(ctx: DutyContext, shown: Shown) -> str:
    thread = shown.session.thread_id
    return ctx.notifier.thread_link(thread) if thread and isinstance(ctx.notifier, ThreadHost) else ""


async def _zone(ctx: DutyContext, found: Direct) -> str:
    """The member's own zone, else the community's: a direct message is read by one person."""
    mine = await ctx.services.people.settings(found.member_id)
    return mine.zone or (await ctx.services.communities.get(found.shown.session.community_id)).timezone
