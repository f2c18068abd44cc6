"""`/whois member:<who>`: says back the Member the option was coerced to, and when the test clock says it is."""

from __future__ import annotations

from commands.context import Context
from commands.moments import moment
from commands.registry import Option, command
from commands.replies import Reply, notice
from core.community.members import Member


@command("whois", "Name a member (test-only declaration)", Option("member", "Who", kind="member", required=True))
async def whois(ctx: Context, member: Member) -> Reply:
    return notice(f"id={member.id!r} name={member.name!r} display={member.display!r} "
                  f"asked at {moment(ctx.services.clock.now(), await ctx.zone(), 't')}")
