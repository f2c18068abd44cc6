"""What `/checkin`, `/streak` and `/leaderboard` look like: neutral replies every adapter renders."""

from __future__ import annotations

from datetime import date, datetime

from commands.moments import moment
from commands.replies import Button, Card, Field, Reply
from commands.streaks.heatmap import heatmap_image
from core.streaks.rules import FREEZE_CAP
from core.streaks.service import Board, Place, Summary
from core.streaks.store import Metric

BOARD_ACTION = "streaks.board"
ACCENT = "#f2994a"
METRICS: tuple[Metric, ...] = ("streak", "checkins", "qotd")
PERIODS = ("week", "month", "all")
UNITS = {"streak": ("day", "days"), "checkins": ("check-in day", "check-in days"), "qotd": ("answer", "answers")}
TITLES = {"streak": "streaks", "checkins": "check-ins", "qotd": "questions of the day answered"}
WHEN = {"week": "this week", "month": "this month", "all": "all time"}


def days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


def checkin_reply(summary: Summary, name: str) -> Reply:
    day = max(summary.standing.today, summary.streak.last_day or summary.standing.today)
    if not summary.new_day:
        return Reply(text=f"✅ Check-in recorded for {_day(day)} ({summary.where.zone}), {name}: added to the day you "
                          f"already have. 🔥 Streak: **{days(summary.streak.current)}**.")
    return Reply(text=f"✅ Check-in recorded for {_day(day)} ({summary.where.zone}), {name}. "
                      f"🔥 Streak: **{days(summary.streak.current)}**{_record(summary)}")


def streak_reply(summary: Summary, name: str, counts: dict[date, int], last_shown: date, *, mine: bool = True) -> Reply:
    streak, standing = summary.streak, summary.standing
    whose = "your" if mine else "the"
    who = "you check in" if mine else "they check in"
    at_risk = f"⚠️ not yet — {whose} streak ends at {_ends(summary)} {summary.where.zone} unless {who}"
    today = "✅ done" if standing.done_today else (at_risk if standing.at_risk else "not yet")
    fields = (Field("Current", days(streak.current)), Field("Longest", days(streak.longest)),
              Field("Freezes held", f"{streak.freezes} of {FREEZE_CAP} 🧊"), Field("Today", today))
    card = Card(title="🔥 Your streak" if mine else f"🔥 {name}'s streak", body=_freeze_line(summary), fields=fields,
                footer=(f"Days end at {_ends(summary)} {summary.where.zone} · " if mine else "")  # theirs stays theirs
                + f"one freeze per 7 days, at most {FREEZE_CAP} · /checkin", accent=ACCENT)
    image = heatmap_image(counts, last_shown, title=name)
    return Reply(text=f"{name}: streak {streak.current} ({days(streak.current)}).", cards=(card,), image=image)


def board_reply(board: Board, *, private: bool) -> Reply:
    card = _board_card(board, f"Page {board.page} of {board.pages} · {board.total} ranked")
    return Reply(text=_you(board), cards=(card,), buttons=_pager(board), private=private)


def live_board_reply(board: Board, updated: datetime, zone: str) -> Reply:
    """The live board a duty keeps up to date in a channel: for everyone, so no "You:" line (its pages, pressed,
    show the presser's own place)."""
    footer = f"Updated {moment(updated, zone, 'f')} · refreshed every few minutes · {board.total} ranked"
    return Reply(cards=(_board_card(board, footer),), buttons=_pager(board))


def _board_card(board: Board, footer: str) -> Card:
    body = "\n".join([_line(p, board) for p in board.places] or [_empty(board)])
    return Card(title=f"🏆 Leaderboard — {TITLES[board.metric]}{_period(board)}", body=body, footer=footer,
                accent=ACCENT)


def _line(place: Place, board: Board) -> str:
    return f"{place.rank}. {board.names.get(place.member_id, place.member_id)} — {_amount(board, place.value)}"


def _you(board: Board) -> str:
    if board.mine is None:
        return "You are not on this board yet."
    text = f"You: #{board.mine.rank} · {_amount(board, board.mine.value)}"
    if board.above is not None:
        ahead = board.above
        text += f" · next up: #{ahead.rank} {board.names.get(ahead.member_id, '')} · {_amount(board, ahead.value)}"
    return text


def _amount(board: Board, value: int) -> str:
    one, many = UNITS[board.metric]
    return f"{value} {one if value == 1 else many}"


def _pager(board: Board) -> tuple[Button, ...]:
    buttons = []
    if board.page > 1:
        buttons.append(Button("◀ Previous", BOARD_ACTION, (board.metric, board.period, str(board.page - 1))))
    if board.page < board.pages:
        buttons.append(Button("Next ▶", BOARD_ACTION, (board.metric, board.period, str(board.page + 1))))
    return tuple(buttons)


def _period(board: Board) -> str:
    return " (current)" if board.metric == "streak" else f", {WHEN[board.period]}"


def _empty(board: Board) -> str:
    return "Nobody yet — be the first: `/checkin`." if board.metric != "qotd" else "Nobody yet — answer `/qotd`."


def _freeze_line(summary: Summary) -> str:
    frozen = summary.streak.frozen
    if summary.streak.current == 0 and summary.streak.last_day is not None:
        return (f"The last streak ended: more days were missed after {_day(summary.streak.last_day)} than the freezes "
                "held could cover. A `/checkin` today starts a new one.")
    if not frozen or summary.streak.current == 0:
        return "" if summary.streak.current else "Start a streak today: `/checkin`."
    return f"🧊 A freeze covered {_day(frozen[-1])}" + (f" ({len(frozen)} days in this streak)." if len(frozen) > 1 else ".")


def _record(summary: Summary) -> str:
    streak = summary.streak
    if streak.current and streak.current % 7 == 0 and streak.freezes:
        return f" — you earned a freeze 🧊 ({streak.freezes} held)."
    return " — a new best!" if streak.current > 1 and streak.current == streak.longest else "."


def _ends(summary: Summary) -> str:
    return f"{summary.where.rollover:02d}:00" if summary.where.rollover else "midnight"


def _day(day: date) -> str:
    return f"{day:%a} {day.day} {day:%b}"
