"""Question of the day: today's question, answering with a button, your stats and your review."""

from __future__ import annotations

from datetime import date

from commands.context import Context
from commands.qotd.views import ANSWER_ACTION, REVIEW_ACTION, feedback_reply, review_reply, stats_reply, today_reply
from commands.registry import Option, action, command
from commands.replies import Reply
from core.questions.model import LETTERS
from core.storage.database import MAX_ROW_ID


@command("qotd", "Today's question of the day — answer it with the A–E buttons")
async def show_question(ctx: Context) -> Reply:
    seen = await ctx.services.qotd.seen(await ctx.community(), ctx.member.id)
    due = await ctx.services.review.due(ctx.community_id, ctx.member.id)
    return today_reply(seen, ctx.services.taxonomy, due.count)


@action(ANSWER_ACTION, Option("post", "The daily post", kind="integer", min_value=1, max_value=MAX_ROW_ID),
        Option("letter", "The option chosen", choices=LETTERS))
async def answer(ctx: Context, post: int, letter: str) -> Reply:
    community = await ctx.community()
    result = await ctx.services.qotd.answer(post, ctx.member, letter, community.id)
    due = await ctx.services.review.due(community.id, ctx.member.id)
    return feedback_reply(result, result.zone or community.timezone, ctx.services.taxonomy, due.count)


@command("qotd-stats", "Your question-of-the-day record: answered, accuracy, by system and discipline")
async def my_stats(ctx: Context) -> Reply:
    stats = await ctx.services.qotd.stats(ctx.member.id, ctx.community_id)
    return stats_reply(stats, ctx.member.display, ctx.services.taxonomy)


@command("qotd-review", "Your history: past questions you skipped or got wrong, oldest first (to study the queue: /review)")
async def review(ctx: Context) -> Reply:
    community = await ctx.community()
    return review_reply(await ctx.services.qotd.review(ctx.member.id, community), await ctx.zone(), ctx.services.taxonomy)


@action(REVIEW_ACTION, Option("day", "The day of the question to show (a date ordinal)", kind="integer",
                              min_value=1, max_value=date.max.toordinal()))
async def review_page(ctx: Context, day: int) -> Reply:
    community = await ctx.community()
    page = await ctx.services.qotd.review(ctx.member.id, community, date.fromordinal(day))
    return review_reply(page, await ctx.zone(), ctx.services.taxonomy)
