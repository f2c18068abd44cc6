"""The Slack app manifest, generated from the command catalog so it can never disagree with `commands/`.

`rounds slack manifest` prints it (Socket Mode); `rounds slack --http manifest` prints the HTTP variant, whose
request URLs come from SLACK_REQUEST_URL. Paste it at api.slack.com/apps → Create New App → From a manifest.
"""

from __future__ import annotations

from typing import Any

import yaml

from commands.registry import Catalog, CommandSpec

APP_NAME = "Rounds"
APP_DESCRIPTION = "Question of the day and study tools for IMG study groups on the road to US residency."
ACCENT = "#2f80ed"
PLACEHOLDER_URL = "https://rounds.example.org/slack/events"
# What the bot does: slash commands, post and reply (also in public channels it was not invited to), look up whether
# someone is a workspace admin, read a user group's members for a community's admin role, and read a channel's recent
# history when a post is retried after a process died mid-post, so it is never posted twice.
BOT_SCOPES = ("channels:history", "chat:write", "chat:write.public", "commands", "groups:history", "usergroups:read",
              "users:read")
MAX_COMMAND = 32
MAX_DESCRIPTION = 2000
MAX_USAGE_HINT = 1000


def manifest(catalog: Catalog, *, http: bool = False, request_url: str | None = None) -> dict[str, Any]:
    url = request_url or PLACEHOLDER_URL
    commands = []
    for name in catalog.top_level():
        command: dict[str, Any] = {"command": f"/{name}", "description": _description(catalog, name)[:MAX_DESCRIPTION]}
        hint = _usage_hint(catalog, name)
        if hint:
            command["usage_hint"] = hint[:MAX_USAGE_HINT]
        command["should_escape"] = True  # channels and user groups arrive as <#C…|name> / <!subteam^S…|@name>
        if http:
            command["url"] = url
        commands.append(command)
    interactivity: dict[str, Any] = {"is_enabled": True}
    if http:
        interactivity["request_url"] = url
    return {
        "_metadata": {"major_version": 1, "minor_version": 1},
        "display_information": {"name": APP_NAME, "description": APP_DESCRIPTION, "background_color": ACCENT},
        "features": {
            "app_home": {"home_tab_enabled": False, "messages_tab_enabled": True, "messages_tab_read_only_enabled": True},
            "bot_user": {"display_name": APP_NAME, "always_online": True},
            "slash_commands": commands,
        },
        "oauth_config": {"scopes": {"bot": list(BOT_SCOPES)}},
        "settings": {
            "interactivity": interactivity,
            "org_deploy_enabled": False,
            "socket_mode_enabled": not http,
            "token_rotation_enabled": False,
        },
    }


def _description(catalog: Catalog, name: str) -> str:
    spec = catalog.commands.get(name)
    if spec is not None:
        return spec.description
    group = catalog.groups.get(name)
    return group.description if group is not None else f"/{name} commands"


def _usage_hint(catalog: Catalog, name: str) -> str:
    spec = catalog.commands.get(name)
    subs = [sub.path[-1] for sub in catalog.subcommands(name)]
    if spec is not None:
        return " | ".join(hint for hint in (_options_hint(spec), *subs) if hint)
    return " | ".join(subs)


def _options_hint(spec: CommandSpec) -> str:
    return spec.usage()[len(spec.name) + 2:]  # usage() starts with "/<name> "


def manifest_yaml(catalog: Catalog, *, http: bool = False, request_url: str | None = None) -> str:
    header = "# Generated from commands/ by `rounds slack manifest`; do not edit by hand.\n"
    body = yaml.safe_dump(manifest(catalog, http=http, request_url=request_url), sort_keys=False, allow_unicode=True, width=120)
    return header + body
