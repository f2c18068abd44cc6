"""`/timezone`: the zone a member's days and times are in, and the hour their day ends (for night owls)."""

from __future__ import annotations

from commands.context import Context
from commands.registry import Option, command
from commands.replies import Reply, notice
from core.community.parsing import parse_zone, suggest_zones
from core.streaks.days import MAX_ROLLOVER
from core.streaks.service import Where


async def _zones(ctx: Context, typed: str) -> list[str]:
    return suggest_zones(typed)


@command("timezone", "Your time zone (and when your day ends): streaks and times follow it",
         Option("zone", "An IANA zone name, like Asia/Karachi or America/New_York", suggest=_zones, max_length=64),
         Option("rollover", f"The hour your day ends, 0–{MAX_ROLLOVER} (4: a check-in at 03:30 counts for the day before)",
                kind="integer", min_value=0, max_value=MAX_ROLLOVER))
async def timezone(ctx: Context, zone: str | None = None, rollover: int | None = None) -> Reply:
    people = ctx.services.people
    if zone is not None:
        await people.set_zone(ctx.member, parse_zone(zone))
    if rollover is not None:
        await people.set_rollover(ctx.member, rollover)
    if zone is not None or rollover is not None:
        await ctx.services.nudges.moved(ctx.member.id)
    where = await ctx.services.streaks.where(ctx.community_id, ctx.member.id)
    own = (await people.settings(ctx.member.id)).zone is not None
    return notice(zone_text(where, ctx, own, changed=zone is not None or rollover is not None))


def zone_text(where: Where, ctx: Context, own: bool, *, changed: bool) -> str:
    now = ctx.services.clock.now().astimezone(where.zone_info)
    whose = "Your zone" if own else "You have not set a zone, so the community's is yours"
    lead = "Saved. " if changed else ""
    ends = (f"{where.rollover:02d}:00 (until then, what you do still counts for the day before)" if where.rollover
            else "midnight")
    hint = "" if own else " Set yours with `/timezone zone:<name>`, like `/timezone zone:Asia/Karachi`."
    return (f"{lead}{whose}: **{where.zone}**. It is {now:%H:%M} on {now:%a} {now.day} {now:%b} there; "
            f"your day ends at {ends}.{hint}")
