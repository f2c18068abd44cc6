"""What the streak duties send: the weekly recap a channel gets, and the nudge a member gets in a direct message.
Core hands over the figures; these words and cards are the only place they take a shape."""

from __future__ import annotations

from datetime import date

from commands.moments import moment
from commands.replies import Card, Field, Reply
from commands.streaks.views import ACCENT, days
from core.streaks.nudges import DueNudge
from core.streaks.service import Recap

MAX_MILESTONES = 10  # names on the milestones line; the rest are counted


def recap_reply(recap: Recap) -> Reply:
    first, last = recap.days
    title = f"📅 Weekly recap — {_day(first)} to {_day(last)}"
    if recap.quiet:
        return Reply(cards=(Card(title=title, body="A quiet week: no check-ins and no answers. A new week is a fresh "
                                 "start — `/checkin` to begin a streak.", accent=ACCENT),))
    fields = (Field("🔥 Top streaks", _top(recap), inline=False),
              Field("✅ Check-ins", f"{recap.checkins} · {_members(recap.active_members)} active"),
              Field("🎯 QOTD accuracy", _accuracy(recap.answered, recap.correct)))
    return Reply(cards=(Card(title=title, body=milestones_line(recap), fields=fields,
                             footer="/streak · /leaderboard · /checkin", accent=ACCENT),))


def milestones_line(recap: Recap) -> str:
    reached = [f"{recap.names.get(member, member)} reached {days(n)}" for member, n in recap.milestones]
    if not reached:
        return ""
    shown = reached[:MAX_MILESTONES]
    more = len(reached) - len(shown)
    return "🎉 " + " · ".join(shown) + (f" · and {more} more" if more else "")


def nudge_reply(due: DueNudge) -> Reply:
    where = due.summary.where
    ends = moment(due.ends_at, where.zone, "t")
    return Reply(text=f"⏰ Your streak of {days(due.summary.streak.current)} ends at **{ends}** unless you check in "
                      "today. A quick `/checkin` keeps it going. (No more of these: `/streak nudge:off`.)")


def _top(recap: Recap) -> str:
    if not recap.top:
        return "No streaks going yet."
    return "\n".join(f"{p.rank}. {recap.names.get(p.member_id, p.member_id)} — {days(p.value)}" for p in recap.top)


def _accuracy(answered: int, correct: int) -> str:
    if answered == 0:
        return "no answers this week"
    return f"{(200 * correct + answered) // (2 * answered)}% of {answered} answer{'' if answered == 1 else 's'}"


def _members(n: int) -> str:
    return f"{n} member" if n == 1 else f"{n} members"


def _day(day: date) -> str:
    return f"{day:%a} {day.day} {day:%b}"
