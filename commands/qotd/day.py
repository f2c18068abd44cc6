"""`/rounds post-now`, `/rounds preview`, `/rounds skip`: an admin's tools for the day. The rules (what may still be
posted or skipped, tomorrow's pick) live in core's daily schedule; the post and the notice go out as duties, so they
are delivered once and counted done only after delivery."""

from __future__ import annotations

from commands.context import Context, channel_mention
from commands.qotd.views import ACCENT, explanation_card, tags_line
from commands.registry import command
from commands.replies import Card, Reply, notice
from core.qotd.daily import Preview
from core.questions.model import LETTERS
from core.questions.taxonomy import Taxonomy


@command("rounds post-now", "Post today's question in the channel now, if it has not gone out yet", admin=True)
async def post_now(ctx: Context) -> Reply:
    community = await ctx.community()
    await ctx.services.daily.post_now(community)
    return notice(f"Today's question is on its way to {channel_mention(community.channel_id)}.")


@command("rounds preview", "See tomorrow's question privately, before it is posted", admin=True)
async def preview(ctx: Context) -> Reply:
    return preview_reply(await ctx.services.daily.preview(await ctx.community()), ctx.services.taxonomy)


@command("rounds skip", "Skip today's question and say so in the channel", admin=True)
async def skip(ctx: Context) -> Reply:
    community = await ctx.community()
    await ctx.services.daily.skip_today(community)
    return notice(f"Today is skipped: a short notice goes to {channel_mention(community.channel_id)}, "
                  "and tomorrow's question is posted as usual.")


def preview_reply(shown: Preview, taxonomy: Taxonomy) -> Reply:
    """The question with its answer, for the admin only, and no buttons: tomorrow's post does not exist yet."""
    q = shown.question
    options = "\n".join(f"**{letter}.** {q.options[letter]}" for letter in LETTERS)
    card = Card(title=f"Tomorrow's question · {shown.day:%a %d %b %Y}", body=f"{q.stem}\n\n**{q.lead_in}**\n\n{options}",
                footer=tags_line(q, taxonomy), accent=ACCENT)
    return Reply(text="**Preview** · only you see this; it is posted tomorrow unless the settings change.",
                 cards=(card, explanation_card(q, None, taxonomy)), private=True)
