"""`/rounds …`: a community's settings. Changing them is for admins; the dispatcher checks, not these handlers."""

from __future__ import annotations

from commands.context import Context, channel_mention
from commands.qotd.views import ACCENT
from commands.registry import Group, Option, command
from commands.replies import Card, Field, Reply, notice
from core.community.model import Community
from core.community.parsing import describe_delay, parse_clock, parse_delay, parse_zone, suggest_zones
from core.questions.tags import parse_tag_filter, suggest_tags
from core.questions.taxonomy import Taxonomy

GROUP = Group("rounds", "Rounds settings for this community")
REVEAL_SUGGESTIONS = ["immediately", "1h", "6h", "12h", "24h"]


async def _change(ctx: Context, **settings: object) -> Community:
    return await ctx.services.communities.update(await ctx.community(), **settings)


async def _zones(ctx: Context, typed: str) -> list[str]:
    return suggest_zones(typed)


async def _tags(ctx: Context, typed: str) -> list[str]:
    return suggest_tags(typed, ctx.services.taxonomy)


async def _delays(ctx: Context, typed: str) -> list[str]:
    return [d for d in REVEAL_SUGGESTIONS if d.startswith(typed.strip().lower())] or REVEAL_SUGGESTIONS


@command("rounds settings", "Show this community's Rounds settings")
async def show_settings(ctx: Context) -> Reply:
    community = await ctx.community()
    return settings_reply(community, ctx.services.taxonomy, channel_mention(community.channel_id))


@command("rounds channel", "Post the daily question in a channel (this one if none is given)",
         Option("channel", "The channel for daily posts", kind="channel"),
         Option("stop", "Stop daily posts", kind="boolean"), admin=True)
async def set_channel(ctx: Context, channel: str | None = None, stop: bool = False) -> Reply:
    target = None if stop else (channel or ctx.channel_id)
    await _change(ctx, channel_id=target)
    if target is None:
        return notice("Daily posts are off. Turn them back on with `/rounds channel`.")
    return notice(f"The question of the day will be posted in {channel_mention(target)}.")


@command("rounds time", "Set the local time the daily question is posted",
         Option("time", "24-hour time, e.g. 09:00", required=True, max_length=20), admin=True)
async def set_time(ctx: Context, time: str) -> Reply:
    community = await _change(ctx, post_time=parse_clock(time))
    return notice(f"The daily question will be posted at {community.post_time:%H:%M} {community.timezone}.")


@command("rounds timezone", "Set the community's time zone (IANA name)",
         Option("zone", "e.g. America/New_York, Asia/Karachi", required=True, max_length=64, suggest=_zones), admin=True)
async def set_timezone(ctx: Context, zone: str) -> Reply:
    community = await _change(ctx, timezone=parse_zone(zone))
    return notice(f"Time zone set to {community.timezone}; the daily question goes out at {community.post_time:%H:%M} there.")


@command("rounds reveal", "When the answer and explanation are revealed",
         Option("delay", "immediately, or a delay after posting like 12h or 90m", required=True, max_length=20, suggest=_delays),
         admin=True)
async def set_reveal(ctx: Context, delay: str) -> Reply:
    community = await _change(ctx, reveal_delay_minutes=parse_delay(delay))
    return notice(f"Answers will be revealed {describe_delay(community.reveal_delay_minutes)}. Today's question keeps its reveal time.")


@command("rounds tags", "Limit daily questions to some steps, systems or disciplines",
         Option("filter", "e.g. step1 cardiovascular, or all", required=True, max_length=300, suggest=_tags), admin=True)
async def set_tags(ctx: Context, filter: str) -> Reply:
    community = await ctx.community()
    tag_filter = parse_tag_filter(filter, ctx.services.taxonomy)
    count = len(ctx.services.bank.require_available(community.id, tag_filter))
    await ctx.services.communities.update(community, tag_filter=tag_filter)
    return notice(f"Daily questions now come from {tag_filter.describe(ctx.services.taxonomy)} ({count} questions).")


@command("rounds admin-role", "Let members with this role change Rounds settings too",
         Option("role", "The role (leave empty to clear)", kind="role"), admin=True)
async def set_admin_role(ctx: Context, role: str | None = None) -> Reply:
    await _change(ctx, admin_role=role)
    return notice(f"Members with <@&{role}> can now change Rounds settings." if role else "Only community admins can change Rounds settings now.")


def settings_reply(community: Community, taxonomy: Taxonomy, channel_label: str) -> Reply:
    fields = (
        Field("Channel", channel_label),
        Field("Posting time", f"{community.post_time:%H:%M} {community.timezone}"),
        Field("Reveal", describe_delay(community.reveal_delay_minutes)),
        Field("Questions", community.tag_filter.describe(taxonomy), inline=False),
    )
    return Reply(cards=(Card(title="Rounds settings", fields=fields, accent=ACCENT),), private=True)
