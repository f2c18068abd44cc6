"""`/rounds recap` and `/rounds leaderboard-post`: an admin's settings for the streaks' timed posts. The dispatcher
checks admin rights; the duties do the posting."""

from __future__ import annotations

from commands.context import Context, channel_mention
from commands.moments import moment
from commands.registry import Option, command
from commands.replies import Reply, notice
from commands.streaks.views import METRICS, PERIODS
from core.community.model import Community
from core.community.parsing import parse_clock
from core.errors import UserError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = ("Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays", "Saturdays", "Sundays")
OFF_WORDS = frozenset({"off", "stop", "none", "no"})
NO_CHANNEL = "It posts in the daily question's channel, so pick one first: `/rounds channel`."


@command("rounds recap", "A weekly recap of streaks, check-ins and QOTD accuracy in the channel (or off)",
         Option("time", "Local 24-hour time like 18:00, or off", required=True, max_length=20),
         Option("day", "The day it posts (default: the day set before, Sunday at first)", choices=WEEKDAYS),
         admin=True)
async def set_recap(ctx: Context, time: str, day: str | None = None) -> Reply:
    if time.strip().lower() in OFF_WORDS:
        if day is not None:
            raise UserError("Turn the recap off or give it a day, not both: `/rounds recap off`, or "
                            "`/rounds recap time:18:00 day:sun`.")
        await ctx.services.communities.update(await ctx.community(), recap_time=None)
        return notice("The weekly recap is off. Turn it on again with `/rounds recap time:18:00 day:sun`.")
    changes: dict[str, object] = {"recap_time": parse_clock(time)}
    if day is not None:
        changes["recap_weekday"] = WEEKDAYS.index(day)
    community = await ctx.services.communities.update(await ctx.community(), **changes)
    return notice(await _recap_confirmation(ctx, community))


async def _recap_confirmation(ctx: Context, community: Community) -> str:
    when = describe_recap(community)
    if community.channel_id is None:
        return f"The weekly recap is set for {when}. {NO_CHANNEL}"
    first = await ctx.services.recaps.next_at(community)
    nxt = f" The next one: **{moment(first, await ctx.zone(), 'f')}**." if first else ""
    return f"The weekly recap posts in {channel_mention(community.channel_id)} {when}.{nxt}"


def describe_recap(community: Community) -> str:
    """'Sundays at 18:00 (Europe/Berlin)', or 'off': for the confirmation and `/rounds settings`."""
    if community.recap_time is None:
        return "off"
    return f"{DAY_NAMES[community.recap_weekday]} at {community.recap_time:%H:%M} ({community.timezone})"


@command("rounds leaderboard-post", "Post a leaderboard that keeps itself up to date (the daily channel, else here)",
         Option("period", "Which days count", choices=PERIODS),
         Option("metric", "What ranks members", choices=METRICS),
         Option("channel", "Where to post it (default: the daily question's channel, else this one)", kind="channel"),
         Option("stop", "Stop updating the live leaderboard instead", kind="boolean"), admin=True)
async def post_leaderboard(ctx: Context, period: str = "week", metric: str = "streak", channel: str | None = None,
                           stop: bool = False) -> Reply:
    if stop or (channel is not None and channel.lower() in OFF_WORDS):
        stopped = await ctx.services.boards.stop(ctx.community_id)
        return notice("The live leaderboard is no longer updated; its message stays as it is." if stopped
                      else "There is no live leaderboard to stop.")
    target = channel or (await ctx.community()).channel_id or ctx.channel_id
    await ctx.services.boards.start(ctx.community_id, target, metric, period)  # type: ignore[arg-type]
    return notice(f"The live leaderboard is being posted in {channel_mention(target)}; it updates itself every few "
                  "minutes after check-ins. Any earlier one is no longer updated.")
