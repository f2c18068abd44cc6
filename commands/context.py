"""What a handler knows about the call: who, where, and the services to act with."""

from __future__ import annotations

from dataclasses import dataclass

from core.bootstrap import Services
from core.community import Community
from core.members import Member


@dataclass(frozen=True)
class Context:
    services: Services
    member: Member
    community_id: str  # namespaced: 'discord:<guild>', 'slack:<team>', 'console:<name>'
    community_name: str = ""
    channel_id: str | None = None  # the platform's own channel id
    is_admin: bool = False  # the platform says so: Manage Server, workspace admin, console --admin
    roles: tuple[str, ...] = ()  # platform role ids, for a community's configured admin role

    async def community(self) -> Community:
        return await self.services.communities.get(self.community_id, self.community_name)

    def may_administer(self, community: Community) -> bool:
        return self.is_admin or (community.admin_role is not None and community.admin_role in self.roles)


def channel_mention(channel_id: str | None) -> str:
    """`<#id>` is how Discord and Slack both link a channel; the console shows it as #id."""
    return f"<#{channel_id}>" if channel_id else "not set — daily posts are off"
