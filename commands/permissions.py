"""Telling a community's admins, once, that a platform feature is off because the bot lacks a permission: sessions'
events and threads and the daily question's discussion thread all hit the same missing grant, and one notice per
community and permission is enough (`permission_notices`), whichever feature met it first."""

from __future__ import annotations

from commands.context import DutyContext
from commands.replies import Reply


def permission_reply(permission: str, why: str) -> Reply:
    return Reply(text=f"ℹ️ For this server's admins: {why} because Rounds lacks the **{permission}** permission. "
                      "Everything else works as before; grant it to Rounds' role and it applies from then on. "
                      "(Told once.)")


async def tell_admins_once(ctx: DutyContext, community_id: str, channel_id: str, permission: str, why: str) -> None:
    """In the channel where the feature was refused; given back for another try when the notice itself fails."""
    occurrences = ctx.services.occurrences
    if not await occurrences.first_notice(community_id, permission):
        return
    try:
        await ctx.notifier.post(channel_id, permission_reply(permission, why),
                                key=f"permission.notice:{community_id}:{permission}")
    except Exception:
        await occurrences.notice_failed(community_id, permission)
        raise
