"""Running the real Rounds Discord client against the stand-in, for the adapter tests and the ack benchmark.

The bot is built exactly as `rounds discord` builds it (`bots.discord.main.create_client`); tests only choose the
database, the clock, the catalog and how commands are synced.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from bots.discord.client import DEFER_AFTER, RoundsClient, Sync
from bots.discord.main import create_client
from commands.registry import Catalog, load_catalog
from core.clock import Clock
from core.settings import Settings
from testkit.standins.discord_standin import DiscordStandIn, client_running

READY_TIMEOUT = 5.0
GLOBAL_SYNC = Sync("global")


def catalog_with(*packages: str) -> Catalog:
    """The real catalog plus the declarations in some test-only packages."""
    catalog = load_catalog()
    for package in packages:
        extra = load_catalog(package)
        catalog.commands.update(extra.commands)
        catalog.actions.update(extra.actions)
        catalog.groups.update(extra.groups)
    return catalog


@asynccontextmanager
async def running_bot(standin: DiscordStandIn, db_path: str, *, clock: Clock | None = None,
                      catalog: Catalog | None = None, sync: Sync = GLOBAL_SYNC,
                      defer_after: float = DEFER_AFTER, **options: Any) -> AsyncIterator[RoundsClient]:
    """Start the bot, wait until it is ready, and always close it (before the stand-in stops)."""
    client = await create_client(Settings(db_path=db_path), sync=sync, catalog=catalog, clock=clock,
                                 defer_after=defer_after, guild_ready_timeout=0.05, **options)
    async with client_running(client, standin, READY_TIMEOUT) as running:
        yield running
