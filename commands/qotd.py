"""Question of the day: today's question, answering with a button, and your stats."""

from __future__ import annotations

from commands.context import Context
from commands.registry import action, command
from core.qotd_views import ANSWER_ACTION, feedback_reply, question_reply, review_reply, stats_reply
from core.replies import Reply


@command("qotd", "Today's question of the day — answer it with the A–E buttons")
async def show_question(ctx: Context) -> Reply:
    post, question = await ctx.services.qotd.today(await ctx.community())
    mine = await ctx.services.qotd.answer_of(post.id, ctx.member.id)
    return question_reply(post, question, ctx.services.taxonomy, mine=mine, private=True)


@action(ANSWER_ACTION)
async def answer(ctx: Context, post_id: str, letter: str) -> Reply:
    community = await ctx.community()
    result = await ctx.services.qotd.answer(post_id, ctx.member, letter, community.id)
    return feedback_reply(result, community, ctx.services.taxonomy)


@command("qotd-stats", "Your question-of-the-day record: answered, accuracy, by system and discipline")
async def my_stats(ctx: Context) -> Reply:
    stats = await ctx.services.qotd.stats(ctx.member.id, ctx.community_id)
    return stats_reply(stats, ctx.member.display, ctx.services.taxonomy)


@command("qotd-review", "Past questions you missed or got wrong, oldest first")
async def review(ctx: Context) -> Reply:
    missed = await ctx.services.qotd.missed(ctx.member.id, await ctx.community())
    return review_reply(missed, ctx.services.bank.get, ctx.services.taxonomy)
