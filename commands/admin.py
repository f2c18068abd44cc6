"""`/rounds …`: a community's settings. Changing them is for admins; the dispatcher checks, not these handlers."""

from __future__ import annotations

from commands.context import Context, channel_mention
from commands.qotd.views import ACCENT
from commands.registry import Group, Option, command
from commands.replies import Card, Field, Reply, notice
from commands.streaks.admin import describe_recap
from core.community.model import Community
from core.community.parsing import describe_delay, parse_clock, parse_delay, parse_zone, suggest_zones
from core.errors import UserError
from core.questions.tags import parse_tag_filter, suggest_tags
from core.questions.taxonomy import Taxonomy

GROUP = Group("rounds", "Rounds settings for this community")
REVEAL_SUGGESTIONS = ["immediately", "1h", "6h", "12h", "24h"]
STOP_WORDS = frozenset({"stop", "off", "none"})  # typed as the channel (Slack, console): stop daily posts
FEW_QUESTIONS = 30  # a filter leaving fewer repeats its questions within a month: say so
POSTS_OFF = "Daily posts are off until you pick a channel: `/rounds channel`."


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


@command("rounds channel", "Post the daily question in a channel (this one if none is given), or stop daily posts",
         Option("channel", "The channel for daily posts (default: this one)", kind="channel"),
         Option("stop", "Stop daily posts instead of choosing a channel", kind="boolean"), admin=True)
async def set_channel(ctx: Context, channel: str | None = None, stop: bool = False) -> Reply:
    target = _channel_choice(channel, stop, ctx.channel_id)
    await _change(ctx, channel_id=target)
    if target is None:
        return notice("Daily posts are off. To start them again, type `/rounds channel` in the channel you want, "
                      "or name it: `/rounds channel #channel`.")
    done = f"The question of the day will be posted in {channel_mention(target)}."
    community = await ctx.community()
    if community.recap_time is None:
        return notice(f"{done}\nA weekly recap of streaks can go there too: `/rounds recap time:18:00 day:sun`.")
    return notice(f"{done}\nThe weekly recap posts there {describe_recap(community)}.")


def _channel_choice(channel: str | None, stop: bool, here: str | None) -> str | None:
    """The channel to post in, or None to stop. Where a typed word fills the channel option (Slack, console), a bare
    `stop` or `off` stops; a channel together with stop:yes is a contradiction, refused rather than guessed."""
    if channel is not None and channel.lower() in STOP_WORDS:
        return None
    if stop and channel:
        raise UserError("Choose a channel or stop daily posts, not both: `/rounds channel #channel` posts there, "
                        "`/rounds channel stop:yes` stops daily posts.")
    return None if stop else (channel or here)


@command("rounds time", "Set the local time the daily question is posted",
         Option("time", "24-hour time, e.g. 09:00", required=True, max_length=20), admin=True)
async def set_time(ctx: Context, time: str) -> Reply:
    community = await _change(ctx, post_time=parse_clock(time))
    at = f"{community.post_time:%H:%M} {community.timezone}"
    if community.channel_id is None:
        return notice(f"Posting time set to {at}. {POSTS_OFF}")
    return notice(f"The daily question will be posted at {at}.")


@command("rounds timezone", "Set the community's time zone (IANA name)",
         Option("zone", "e.g. America/New_York, Asia/Karachi", required=True, max_length=64, suggest=_zones), admin=True)
async def set_timezone(ctx: Context, zone: str) -> Reply:
    community = await _change(ctx, timezone=parse_zone(zone))
    if community.channel_id is None:
        return notice(f"Time zone set to {community.timezone} (posting time {community.post_time:%H:%M} there). {POSTS_OFF}")
    return notice(f"Time zone set to {community.timezone}; the daily question goes out at {community.post_time:%H:%M} there.")


@command("rounds reveal", "When the answer and explanation are revealed",
         Option("delay", "immediately, or a delay after posting like 12h or 90m", required=True, max_length=20, suggest=_delays),
         admin=True)
async def set_reveal(ctx: Context, delay: str) -> Reply:
    community = await _change(ctx, reveal_delay_minutes=parse_delay(delay))
    when = describe_delay(community.reveal_delay_minutes)
    if community.channel_id is None:
        return notice(f"Answers will be revealed {when}. {POSTS_OFF}")
    return notice(f"Answers will be revealed {when}. Today's question keeps its reveal time.")


@command("rounds tags", "Limit daily questions to some steps, systems or disciplines",
         Option("filter", "e.g. step1 cardiovascular, or all", required=True, max_length=300, suggest=_tags), admin=True)
async def set_tags(ctx: Context, filter: str) -> Reply:
    community = await ctx.community()
    tag_filter = parse_tag_filter(filter, ctx.services.taxonomy)
    count = len(ctx.services.bank.require_available(community.id, tag_filter))
    await ctx.services.communities.update(community, tag_filter=tag_filter)
    return notice(f"Daily questions now come from {tag_filter.describe(ctx.services.taxonomy)} "
                  f"({_questions(count)}).{_repeats(count)}")


def _questions(count: int) -> str:
    return f"{count:,} question{'' if count == 1 else 's'}"


def _repeats(count: int) -> str:
    """A pool is used up before any question repeats, so a small one comes round again every `count` days."""
    if count >= FEW_QUESTIONS:
        return ""
    every = "day" if count == 1 else f"{count} days"
    return f" With so few, each one comes back every {every}; widen the filter for more variety."


@command("rounds admin-role", "Let members with this role change Rounds settings too",
         Option("role", "The role (leave empty to clear)", kind="role"), admin=True)
async def set_admin_role(ctx: Context, role: str | None = None) -> Reply:
    await _change(ctx, admin_role=role)
    return notice(f"Members with <@&{role}> can now change Rounds settings." if role else "Only community admins can change Rounds settings now.")


@command("rounds ping-role", "Mention a role when the daily question posts (leave empty to stop)",
         Option("role", "The role to ping (leave empty for no ping)", kind="role"), admin=True)
async def set_ping_role(ctx: Context, role: str | None = None) -> Reply:
    community = await _change(ctx, ping_role=role)
    done = f"The daily question will ping <@&{role}> when it posts." if role else "The daily question pings nobody now."
    return notice(done if community.channel_id else f"{done} {POSTS_OFF}")


def settings_reply(community: Community, taxonomy: Taxonomy, channel_label: str) -> Reply:
    fields = (
        Field("Channel", channel_label),
        Field("Posting time", f"{community.post_time:%H:%M} {community.timezone}"),
        Field("Reveal", describe_delay(community.reveal_delay_minutes)),
        Field("Ping", f"<@&{community.ping_role}>" if community.ping_role else "nobody"),
        Field("Weekly recap", describe_recap(community)),
        Field("Questions", community.tag_filter.describe(taxonomy), inline=False),
    )
    return Reply(cards=(Card(title="Rounds settings", fields=fields, accent=ACCENT),), private=True)
