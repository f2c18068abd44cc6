"""Accountability: check in, see a streak and its heatmap, and the community's leaderboards."""

from __future__ import annotations

from commands.context import Context
from commands.registry import Option, action, command
from commands.replies import Reply, notice
from commands.streaks.views import BOARD_ACTION, METRICS, PERIODS, board_reply, checkin_reply, streak_reply
from core.community.members import Member
from core.errors import UserError
from core.streaks.service import MAX_MINUTES, MAX_QUESTIONS, NOTE_LIMIT

MAX_PAGE = 100_000


@command("checkin", "Log today's study: it keeps your streak going",
         Option("note", "What you studied", max_length=NOTE_LIMIT),
         Option("questions", "Questions you did", kind="integer", min_value=0, max_value=MAX_QUESTIONS),
         Option("minutes", "Minutes you studied", kind="integer", min_value=0, max_value=MAX_MINUTES))
async def checkin(ctx: Context, note: str = "", questions: int = 0, minutes: int = 0) -> Reply:
    summary = await ctx.services.streaks.check_in(ctx.community_id, ctx.member, questions=questions, minutes=minutes,
                                                  note=note)
    return checkin_reply(summary, ctx.member.display)


@command("streak", "Your streak (or a member's), freezes and a 12-week heatmap",
         Option("member", "Whose streak (you, if left out)", kind="member"),
         Option("nudge", "A direct message a few hours before your day ends, if your streak is at risk",
                kind="boolean"))
async def streak(ctx: Context, member: Member | None = None, nudge: bool | None = None) -> Reply:
    if nudge is not None:
        await ctx.services.streaks.set_nudge(ctx.community_id, ctx.member, nudge)
        return notice("🔔 Nudges on: I'll message you a few hours before your day ends if your streak is at risk."
                      if nudge else "🔕 Nudges off.")
    who = member or ctx.member
    streaks = ctx.services.streaks
    if who.id != ctx.member.id and not await streaks.is_known(ctx.community_id, who.id):
        raise UserError(f"I don't know {who.display} here: nobody by that name has checked in or answered in this "
                        "community yet.")
    mine = who.id == ctx.member.id
    name = ctx.member.display if mine else (await ctx.services.people.names([who.id]))[who.id]
    summary = await streaks.summary(ctx.community_id, who.id)
    counts, last_shown = await streaks.heatmap(ctx.community_id, who.id)
    return streak_reply(summary, name, counts, last_shown, mine=mine)


@command("leaderboard", "The community's leaderboard, posted for everyone (private:true shows it to you alone)",
         Option("period", "Which days count", choices=PERIODS),
         Option("metric", "What ranks members", choices=METRICS),
         Option("private", "Show it to you alone", kind="boolean"))
async def leaderboard(ctx: Context, period: str = "week", metric: str = "streak", private: bool = False) -> Reply:
    board = await ctx.services.streaks.board(ctx.community_id, metric, period, 1, ctx.member.id)  # type: ignore[arg-type]
    return board_reply(board, private=private)


@action(BOARD_ACTION, Option("metric", "What ranks members", choices=METRICS),
        Option("period", "Which days count", choices=PERIODS),
        Option("page", "The page", kind="integer", min_value=1, max_value=MAX_PAGE))
async def board_page(ctx: Context, metric: str, period: str, page: int) -> Reply:
    """Another page, shown to whoever pressed (a public board stays as it was for everyone else)."""
    board = await ctx.services.streaks.board(ctx.community_id, metric, period, page, ctx.member.id)  # type: ignore[arg-type]
    return board_reply(board, private=True)
