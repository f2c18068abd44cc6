"""What a handler knows about the call (who, where, the services to act with), and what a duty knows (the
services, and the notifier of the platform the duty belongs to)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from commands.notifier import Notifier
from core.bootstrap import Services
from core.community.members import Member
from core.community.model import Community

Authority = Callable[[Community], Awaitable[bool]]


@dataclass(frozen=True)
class Context:
    services: Services
    member: Member
    community_id: str  # namespaced: 'discord:<guild>', 'slack:<team>', 'console:<name>'
    community_name: str = ""
    channel_id: str | None = None  # the platform's own channel id
    is_admin: bool = False  # the platform says so: Manage Server, workspace admin, console --admin
    roles: tuple[str, ...] = ()  # platform role ids, for a community's configured admin role
    authority: Authority | None = None  # asked only when admin rights are needed and not known (Slack's users.info)
    admin_hint: str = ""  # how one becomes an admin on this platform, told with a refusal (else: ask an admin)

    async def community(self) -> Community:
        return await self.services.communities.get(self.community_id, self.community_name)

    async def zone(self) -> str:
        """The zone this member's times are shown in: their own, else the community's."""
        mine = await self.services.people.settings(self.member.id)
        return mine.zone or (await self.community()).timezone

    async def may_administer(self) -> bool:
        community = await self.community()
        if self.is_admin or (community.admin_role is not None and community.admin_role in self.roles):
            return True
        return self.authority is not None and await self.authority(community)


@dataclass(frozen=True)
class DutyContext:
    services: Services
    notifier: Notifier


def channel_mention(channel_id: str | None) -> str:
    """`<#id>` is how Discord and Slack both link a channel; the console shows it as #id."""
    return f"<#{channel_id}>" if channel_id else "not set — daily posts are off"
