"""What a study session looks like: its card with RSVP buttons, the list lines, the "starting now" post and the
direct messages. Neutral replies every adapter renders; every time is a moment, so each platform shows it in its
reader's zone and the console in the zone named."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from commands.moments import moment, written
from commands.replies import Button, Card, Field, Image, Reply
from core.sessions.model import Counts, Session
from core.sessions.service import Shown
from core.sessions.store import Status

RSVP_ACTION, HERE_ACTION = "sessions.rsvp", "sessions.here"
ACCENT = "#27ae60"
CHOICES: tuple[Status, ...] = ("going", "maybe", "cant")
LABELS = {"going": "✅ Going", "maybe": "🤔 Maybe", "cant": "❌ Can't", "waiting": "⏳ On the waitlist"}
BUTTONS = {"going": "Going", "maybe": "Maybe", "cant": "Can't"}  # plain words: the console presses a label by typing it
STYLES = {"going": "success", "maybe": "primary", "cant": "danger"}
_MINUTE = timedelta(minutes=1)  # a "starting now" later than this says when it started
DAYS = ("Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays", "Saturdays", "Sundays")


def session_card(shown: Shown, zone: str, now: datetime, host: str, thread: str = "") -> Card:
    session = shown.session
    return Card(title=f"📅 #{session.number} · {session.topic}", body="\n".join(_lines(shown, zone, now, host, thread)),
                fields=_count_fields(session, shown.counts), footer=_footer(shown), accent=ACCENT)


def card_reply(shown: Shown, zone: str, now: datetime, host: str, thread: str = "", text: str = "",
               private: bool = False) -> Reply:
    """The card, with its RSVP buttons while it can still be answered."""
    live = shown.occurrence is not None and shown.session.cancelled_at is None
    return Reply(text=text, cards=(session_card(shown, zone, now, host, thread),),
                 buttons=rsvp_buttons(shown.session) if live else (), private=private)


def rsvp_buttons(session: Session) -> tuple[Button, ...]:
    return tuple(Button(BUTTONS[c], RSVP_ACTION, (str(session.number), c), STYLES[c])  # type: ignore[arg-type]
                 for c in CHOICES)


def here_button(session: Session) -> Button:
    return Button("I'm here", HERE_ACTION, (str(session.number),), "primary")


def said_back(at: datetime, zone: str, now: datetime) -> str:
    """A start written out for the one who typed it ("Tuesday 8 December, 20:00 Asia/Karachi"), with its year when
    that is not this year's: a session is planned up to a year ahead, so "Monday 6 December" alone could be a day
    already gone."""
    text = written(at, zone, "F")
    local, today = at.astimezone(ZoneInfo(zone)), now.astimezone(ZoneInfo(zone))
    if local.year == today.year:
        return text
    day, time = text.split(", ", 1)
    return f"{day} {local.year}, {time}"


def when_line(session: Session, occurrence: datetime, zone: str, now: datetime) -> str:
    return f"{moment(occurrence, zone, 'F')} ({moment(occurrence, zone, 'R', now=now)})"


def _lines(shown: Shown, zone: str, now: datetime, host: str, thread: str) -> list[str]:
    session, occurrence = shown.session, shown.occurrence
    if session.cancelled_at is not None:
        lines = ["🚫 Cancelled."]
    elif occurrence is None:
        lines = ["This session is over."]
    else:
        lines = [f"🕗 {when_line(session, occurrence, zone, now)}"]
    lines.append(f"⏱ {session.minutes} minutes{_repeat(session)} · host: {host}")
    if session.link:
        lines.append(f"🔗 {session.link}")
    if thread:
        lines.append(f"💬 Discussion: {thread}")
    return lines


def _repeat(session: Session) -> str:
    return f" · weekly on {DAYS[session.wall.weekday()]} at {session.wall:%H:%M} {session.zone}" if session.weekly else ""


def _count_fields(session: Session, counts: Counts) -> tuple[Field, ...]:
    going = f"{counts.going}/{session.capacity}" if session.capacity is not None else str(counts.going)
    fields = [Field("✅ Going", going), Field("🤔 Maybe", str(counts.maybe)), Field("❌ Can't", str(counts.cant))]
    if counts.waiting or (session.capacity is not None and counts.going >= session.capacity):
        fields.append(Field("⏳ Waitlist", str(counts.waiting)))
    return tuple(fields)


def _footer(shown: Shown) -> str:
    """The hints only while the card can be answered: a cancelled or finished session has no buttons to press
    again, and a cancelled one no calendar file."""
    session = shown.session
    if shown.occurrence is None or session.cancelled_at is not None:
        return f"Session #{session.number}"
    return f"Session #{session.number} · /study ics id:{session.number} for your calendar · pressing again withdraws"


def answered_text(shown: Shown, after: Status | None, before: Status | None, promoted: bool = False) -> str:
    session = shown.session
    if after is None:
        return f"Withdrawn: you no longer have an answer for #{session.number}." + (
            " Your seat went to the first member waiting." if promoted else "")
    if after == "waiting":
        seats = f"{session.capacity} seat{'' if session.capacity == 1 else 's'}"
        return (f"⏳ #{session.number} is full ({seats}): you're on the waitlist, number "
                f"{shown.counts.waiting}. I'll message you if a seat frees up.")
    if after == "going":
        return f"✅ You're going to #{session.number}. I'll remind you before it starts (`/study remind` sets when)."
    return f"{LABELS[after]}: noted for #{session.number}."


def list_lines(found: list[Shown], zone: str, now: datetime, mine: dict[int, Status] | None = None) -> str:
    lines = []
    for shown in found:
        session, occurrence = shown.session, shown.occurrence
        if occurrence is None:
            continue
        seats = f"{shown.counts.going}/{session.capacity}" if session.capacity else str(shown.counts.going)
        status = f" · {LABELS[mine[session.id]]}" if mine and session.id in mine else ""
        lines.append(f"**#{session.number}** {session.topic} — {when_line(session, occurrence, zone, now)} · "
                     f"{seats} going{' · weekly' if session.weekly else ''}{status}")
    return "\n".join(lines)


def starting_reply(shown: Shown, zone: str, now: datetime, mentions: str) -> Reply:
    session, occurrence = shown.session, shown.occurrence
    assert occurrence is not None
    started = "is starting now" if now < occurrence + _MINUTE else f"started {moment(occurrence, zone, 'R', now=now)}"
    link = f"\n🔗 {session.link}" if session.link else ""
    text = (f"🟢 **#{session.number} · {session.topic}** {started} (until {moment(session.ends(occurrence), zone, 't')})."
            f"{link}\nPress \"I'm here\" when you join: it counts for your streak.{mentions}")
    return Reply(text=text, buttons=(here_button(session),))


def reminder_reply(shown: Shown, occurrence: datetime, zone: str, now: datetime, thread: str) -> Reply:
    session = shown.session
    starts = "started" if occurrence <= now else "starts"
    lines = [f"⏰ **#{session.number} · {session.topic}** {starts} {moment(occurrence, zone, 'R', now=now)}: "
             f"{moment(occurrence, zone, 'F')}."]
    if session.link:
        lines.append(f"🔗 {session.link}")
    if thread:
        lines.append(f"💬 Discussion: {thread}")
    lines.append("Press \"I'm here\" (or `/study here`) when you join.")
    return Reply(text="\n".join(lines), buttons=(here_button(session),))


def told_reply(shown: Shown, what: str, occurrence: datetime, zone: str, now: datetime) -> Reply:
    session = shown.session
    name = f"**#{session.number} · {session.topic}**"
    text = {
        "seated": f"🎉 A seat freed up: you're now going to {name}, {moment(occurrence, zone, 'F')}.",
        "cancelled": f"🚫 {name} was cancelled.",  # by its host or an admin
        "week-cancelled": f"🚫 {name} won't meet on {moment(occurrence, zone, 'D')}. "
                          + (f"The next one is {moment(shown.occurrence, zone, 'F')}." if shown.occurrence else ""),
        "moved": f"🕗 {name} has a new time: {moment(occurrence, zone, 'F')} "
                 f"({moment(occurrence, zone, 'R', now=now)}).",
    }[what]
    return Reply(text=text)


def calendar_file(session: Session, ics: bytes) -> Image:
    return Image(data=ics, alt=f"Calendar file for session #{session.number}: {session.topic}",
                 filename=f"rounds-session-{session.number}.ics")

