"""`rounds discord`: settings from the environment, the services, the client, and a clean stop on SIGTERM/SIGINT.

Env: DISCORD_TOKEN (required), DISCORD_API_BASE_URL and DISCORD_GATEWAY_URL (optional: a REST proxy, or a local
stand-in in tests), DISCORD_SYNC (global | guild:<id> | off), ROUNDS_DB.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Mapping
from typing import Any

import aiohttp
import discord
import discord.gateway
import discord.http
import yarl

from bots.discord.client import DEFER_AFTER, NO_SYNC, RoundsClient, Sync
from bots.discord.pace import DEFAULT_RATE
from bots.stopping import on_stop
from commands.registry import Catalog
from core.bootstrap import build
from core.clock import Clock
from core.settings import Settings

log = logging.getLogger(__name__)


def run(args: argparse.Namespace | None = None, env: Mapping[str, str] | None = None) -> int:
    env = os.environ if env is None else env
    token = env.get("DISCORD_TOKEN", "").strip()
    if not token:
        print("DISCORD_TOKEN is not set: export your bot's token (Discord developer portal → Bot → Token) "
              "and run `rounds discord` again.", file=sys.stderr)
        return 2
    try:
        sync = Sync.parse(env.get("DISCORD_SYNC"))
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    try:
        rate = rest_rate(env.get("DISCORD_REST_RATE"))
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    point_at(env.get("DISCORD_API_BASE_URL"), env.get("DISCORD_GATEWAY_URL"))
    return asyncio.run(serve(token, Settings.from_env(env), sync, rate))


def rest_rate(text: str | None) -> float:
    """DISCORD_REST_RATE: the duties' REST requests a second (default 45, under Discord's global limit of 50)."""
    if text is None or not text.strip():
        return DEFAULT_RATE
    try:
        rate = float(text)
    except ValueError:
        rate = 0.0
    if not 0 < rate <= 1000:
        raise ValueError(f"DISCORD_REST_RATE must be a number of requests a second above 0 (Discord allows 50); "
                         f"got {text.strip()[:40]!r}.")
    return rate


def point_at(api_base: str | None, gateway: str | None) -> None:
    """discord.py reads these class attributes for every REST route, webhook and gateway connection."""
    if api_base:
        discord.http.Route.BASE = api_base.rstrip("/")
    if gateway:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway)


async def create_client(settings: Settings, *, sync: Sync = NO_SYNC, catalog: Catalog | None = None,
                        clock: Clock | None = None, defer_after: float = DEFER_AFTER, **options: Any) -> RoundsClient:
    """The Discord side of the composition root: the services, and a client whose duties post through itself."""
    services = await build(settings, clock=clock)
    return RoundsClient(services, catalog=catalog, sync=sync, defer_after=defer_after, **options)


async def serve(token: str, settings: Settings, sync: Sync, rate: float = DEFAULT_RATE) -> int:
    client = await create_client(settings, sync=sync, rest_rate=rate)
    on_stop(lambda: asyncio.ensure_future(client.close()))
    try:
        await client.start(token)
    except discord.LoginFailure:
        print("DISCORD_TOKEN was refused by Discord: check the token (it may have been reset).", file=sys.stderr)
        return 1
    except (TimeoutError, aiohttp.ClientConnectionError, OSError) as error:
        print(f"Discord could not be reached ({type(error).__name__}): check the network, or DISCORD_API_BASE_URL "
              "and DISCORD_GATEWAY_URL if you set them, and run `rounds discord` again.", file=sys.stderr)
        return 1
    finally:
        await client.close()
    return 0
