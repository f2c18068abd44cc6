"""`/study …`: plan a session in plain language, answer it with buttons, see what is coming, export it to a
calendar, and say "I'm here". Changing or cancelling a session is for its host or an admin."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

from commands.context import Context
from commands.moments import written
from commands.registry import Group, Option, action, command
from commands.replies import Card, Reply, notice
from commands.sessions.views import (
    ACCENT,
    CHOICES,
    HERE_ACTION,
    LABELS,
    RSVP_ACTION,
    answered_text,
    calendar_file,
    card_reply,
    list_lines,
    said_back,
)
from core.errors import UserError
from core.sessions.model import Session
from core.sessions.rules import (
    LINK_LIMIT,
    MAX_CAPACITY,
    MAX_MINUTES,
    MIN_CAPACITY,
    MIN_MINUTES,
    REPEATS,
    TOPIC_LIMIT,
    check_capacity,
    check_draft,
    check_link,
    check_minutes,
    check_topic,
)
from core.sessions.service import LIST_LIMIT, MAX_LEAD, MIN_LEAD, Shown
from core.sessions.when import EXAMPLES, MAX_WHEN, parse_when

GROUP = Group("study", "Study-group sessions: plan one, RSVP, get reminded, attend")
NUMBER = Option("id", "The session's number (#3 is 3)", kind="integer", required=True, min_value=1, max_value=10**9)


def _topic(required: bool = True) -> Option:
    return Option("topic", "What you will study, e.g. UWorld block 12 review", required=required,
                  max_length=TOPIC_LIMIT)


def _when(required: bool = True) -> Option:
    return Option("when", f"When, in your time zone: {EXAMPLES}", required=required, max_length=MAX_WHEN)


DURATION = Option("duration", f"Minutes ({MIN_MINUTES}-{MAX_MINUTES}; 60 if left out)", kind="integer",
                  min_value=MIN_MINUTES, max_value=MAX_MINUTES)
CAPACITY = Option("capacity", "Seats; members after that join a waitlist", kind="integer", min_value=MIN_CAPACITY,
                  max_value=MAX_CAPACITY)
LINK = Option("link", "Where to meet: a Zoom, Meet or Discord link (https://…)", max_length=LINK_LIMIT)


@command("study new", "Plan a study session: a card with RSVP buttons, reminders and a calendar file",
         _topic(), _when(), DURATION, Option("repeat", "Repeat it every week", choices=REPEATS), CAPACITY, LINK)
async def new(ctx: Context, topic: str, when: str, duration: int | None = None, repeat: str | None = None,
              capacity: int | None = None, link: str | None = None) -> Reply:
    zone, now = await ctx.zone(), ctx.services.clock.now()
    draft = check_draft(topic, when, zone, now, minutes=duration, capacity=capacity, link=link, repeat=repeat)
    session = await ctx.services.sessions.create(ctx.community_id, ctx.member, ctx.channel_id, draft)
    where = " Its card is posted in this channel for everyone." if ctx.channel_id else ""
    text = (f"📅 Session **#{session.number}** is set for **{said_back(draft.starts_at, draft.when.zone, now)}**"
            f"{' and every week after' if session.weekly else ''}.{where} Wrong time? `/study edit id:{session.number} "
            "when:…`")
    return card_reply(await ctx.services.sessions.shown(session), zone, now, ctx.member.display, text=text,
                      private=True)


@command("study list", "Upcoming study sessions in this community, in your time zone")
async def upcoming(ctx: Context) -> Reply:
    found = await ctx.services.sessions.upcoming(ctx.community_id, LIST_LIMIT + 1)  # one more: are there others?
    body = list_lines(found[:LIST_LIMIT], await ctx.zone(), ctx.services.clock.now())
    more = f"\n…and more after these: this shows the next {LIST_LIMIT}." if len(found) > LIST_LIMIT else ""
    return _listed("📅 Coming up", body + more if body else "No sessions planned yet. `/study new` plans one.")


@command("study mine", "The sessions you're going to (or waiting for, or maybe)")
async def mine(ctx: Context) -> Reply:
    found = await ctx.services.sessions.mine(ctx.community_id, ctx.member.id)
    statuses = {shown.session.id: status for shown, status in found}
    body = list_lines([shown for shown, _ in found], await ctx.zone(), ctx.services.clock.now(), statuses)
    return _listed("📅 Your sessions", body or "You haven't answered any session yet. `/study list` shows them.")


@command("study show", "One session: its card, who's coming, and (for its host) who attended", NUMBER)
async def show(ctx: Context, id: int) -> Reply:
    session = await ctx.services.sessions.find(ctx.community_id, id)
    shown = await ctx.services.sessions.shown(session)
    lines = [await _answers(ctx, session)]
    if session.author_id == ctx.member.id or await ctx.may_administer():
        lines.append(await _attended(ctx, session))
    return await _card_for(ctx, shown, "\n".join(line for line in lines if line))


@command("study cancel", "Cancel a session, or one week of a weekly one (host or admin)", NUMBER,
         Option("week", "Only this week's: its date (2026-12-15) or `next`; leave out to cancel the whole session"))
async def cancel(ctx: Context, id: int, week: str | None = None) -> Reply:
    session = await _managed(ctx, id)
    occurrence = _week(session, week, ctx.services.clock.now()) if week else None
    saved = await ctx.services.sessions.cancel(session, occurrence)
    if occurrence is None:
        return notice(f"🚫 Session #{session.number} is cancelled. Those going will be told.")
    return notice(f"🚫 #{session.number} won't meet on {written(occurrence, session.zone, 'D')}; the rest of the weeks "
                  "stand. Those going will be told." + ("" if saved.next_at else " That was its last week."))


@command("study edit", "Change a session's topic, time, length, seats or link (host or admin)", NUMBER,
         _topic(False), _when(False), DURATION, CAPACITY, LINK)
async def edit(ctx: Context, id: int, topic: str | None = None, when: str | None = None, duration: int | None = None,
               capacity: int | None = None, link: str | None = None) -> Reply:
    session = await _managed(ctx, id)
    if not any(v is not None for v in (topic, when, duration, capacity, link)):
        raise UserError(f"Say what to change, like `/study edit id:{id} when:thu 7pm` or `topic:…`, `duration:`, "
                        "`capacity:`, `link:`.")
    zone, now = await ctx.zone(), ctx.services.clock.now()
    new_when = parse_when(when, zone, now) if when else None
    saved, seated = await ctx.services.sessions.edit(
        session, topic=check_topic(topic) if topic else None, minutes=check_minutes(duration) if duration else None,
        capacity=check_capacity(capacity), link=check_link(link) if link else None,
        when=new_when.at if new_when else None, wall=new_when.wall if new_when else None,
        zone=new_when.zone if new_when else None)
    told = " Those going will be told the new time." if new_when else ""
    extra = f" {len(seated)} from the waitlist got a seat." if seated else ""
    return await _card_for(ctx, await ctx.services.sessions.shown(saved), f"✏️ Session #{id} updated.{told}{extra}")


@command("study remind", "How long before a session you're reminded (5-120 minutes)",
         Option("minutes", "Minutes before the start", kind="integer", min_value=MIN_LEAD, max_value=MAX_LEAD))
async def remind(ctx: Context, minutes: int | None = None) -> Reply:
    if minutes is None:
        lead = await ctx.services.sessions.lead(ctx.member.id)
        return notice(f"⏰ You're reminded {lead} minutes before each session you're going to. "
                      f"`/study remind minutes:30` changes it.")
    moved = await ctx.services.sessions.set_lead(ctx.member, minutes)
    return notice(f"⏰ You'll be reminded {minutes} minutes before each session you're going to"
                  + (f" ({moved} reminder{'s' if moved != 1 else ''} moved)." if moved else "."))


@command("study ics", "A calendar file (.ics) for a session, for Google, Apple or Outlook calendars", NUMBER)
async def ics(ctx: Context, id: int) -> Reply:
    session = await ctx.services.sessions.find(ctx.community_id, id)
    if session.cancelled_at is not None:  # a file would put a session nobody will hold in members' calendars
        raise UserError(f"Session #{id} was cancelled, so there is nothing to add to your calendar. `/study list` "
                        "shows the ones coming up.")
    data = ctx.services.sessions.calendar(session, ctx.community_name)
    return Reply(text=f"📎 Session #{id} for your calendar: open the file to add it"
                      f"{' (every week)' if session.weekly else ''}.", image=calendar_file(session, data), private=True)


@command("study here", "Say you're at a session now: attendance counts for your streak",
         Option("id", "The session's number (the one on now, if left out)", kind="integer", min_value=1,
                max_value=10**9))
async def here(ctx: Context, id: int | None = None) -> Reply:
    return await _here(ctx, id)


@action(RSVP_ACTION, Option("id", "The session", kind="integer", min_value=1, max_value=10**9),
        Option("answer", "Going, maybe or can't", choices=CHOICES))
async def rsvp(ctx: Context, id: int, answer: str) -> Reply:
    shown, answered = await ctx.services.sessions.answer(ctx.community_id, id, ctx.member, answer)  # type: ignore[arg-type]
    return notice(answered_text(shown, answered.after, answered.before, answered.promoted is not None))


@action(HERE_ACTION, Option("id", "The session", kind="integer", min_value=1, max_value=10**9))
async def here_pressed(ctx: Context, id: int) -> Reply:
    return await _here(ctx, id)


async def _here(ctx: Context, id: int | None) -> Reply:
    session, _, first = await ctx.services.sessions.attend(ctx.community_id, ctx.member, id, ctx.channel_id)
    if not first:
        return notice(f"You're already down as here for #{session.number}. 👍")
    return notice(f"🙋 Welcome to #{session.number} · {session.topic}! Your attendance is recorded and counts for your "
                  "streak today.")


async def _managed(ctx: Context, number: int) -> Session:
    """The session, if the member may change it: its host, or an admin."""
    session = await ctx.services.sessions.find(ctx.community_id, number)
    if session.author_id != ctx.member.id and not await ctx.may_administer():
        raise UserError(f"Only the host of #{number} or a community admin can change it.")
    return session


def _week(session: Session, text: str, now: datetime) -> datetime:
    if not session.weekly:
        raise UserError(f"#{session.number} is a one-off: leave `week` out to cancel it.")
    if text.strip().lower() == "next":
        return _next_week(session, now)
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise UserError("`week` takes a date like `2026-12-15`, or `next`.") from None
    found = session.occurrence_on(day)
    if found is None:
        raise UserError(_no_week(session, day))
    return found


def _next_week(session: Session, now: datetime) -> datetime:
    """The next occurrence still to start: while one is under way, `next` is the one after it, never the one its
    members are sitting in."""
    found = session.occurrence_after(now)
    if found is not None and found <= now:
        found = session.following(found)
    if found is None:
        raise UserError(f"#{session.number} has no week left to cancel.")
    return found


def _no_week(session: Session, day: date) -> str:
    """Why a weekly session has no occurrence on `day`: before its first, cancelled already, or another weekday."""
    first = f"{session.wall:%A} {session.wall.day} {session.wall:%B} {session.wall.year}"
    if day < session.wall.date():
        return f"#{session.number} first meets on {first}: pick that week or a later one."
    if replace(session, excluded=frozenset()).occurrence_on(day) is not None:
        return f"#{session.number}'s week of {day:%A} {day.day} {day:%B} is already cancelled."
    return (f"#{session.number} doesn't meet on {day:%A} {day.day} {day:%B}: it meets "
            f"{session.wall:%A}s at {session.wall:%H:%M} {session.zone}.")


async def _card_for(ctx: Context, shown: Shown, text: str) -> Reply:
    session = shown.session
    host = (await ctx.services.people.names([session.author_id]))[session.author_id]
    return card_reply(shown, await ctx.zone(), ctx.services.clock.now(), host, text=text, private=True)


async def _answers(ctx: Context, session: Session) -> str:
    lines = []
    for status in (*CHOICES, "waiting"):
        ids = await ctx.services.sessions.store.members(session.id, status)
        if ids:
            names = await ctx.services.people.names(ids)
            lines.append(f"{LABELS[status]}: " + ", ".join(names[m] for m in ids))
    return "\n".join(lines)


async def _attended(ctx: Context, session: Session) -> str:
    found = await ctx.services.sessions.attended(session)
    if not found:
        return "Attendance: nobody has said \"I'm here\" yet."
    return "\n".join(f"Attended {written(occurrence, session.zone, 'f')}: {', '.join(names)}"
                     for occurrence, names in found[:5])


def _listed(title: str, body: str) -> Reply:
    return Reply(cards=(Card(title=title, body=body, accent=ACCENT),), private=True)
