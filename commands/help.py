"""`/help`: the commands there are, read from the catalog so it never goes stale."""

from __future__ import annotations

from commands.context import Context
from commands.registry import command, load_catalog
from commands.replies import Card, Field, Reply


@command("help", "What Rounds can do and how to use it")
async def show_help(ctx: Context) -> Reply:
    catalog = load_catalog()
    everyone = [s for s in catalog.commands.values() if not s.admin]
    admins = [s for s in catalog.commands.values() if s.admin]
    fields = (
        Field("Commands", "\n".join(f"`{s.usage()}` — {s.description}" for s in sorted(everyone, key=lambda s: s.name)), inline=False),
        Field("For admins", "\n".join(f"`{s.usage()}` — {s.description}" for s in sorted(admins, key=lambda s: s.name)), inline=False),
    )
    return Reply(cards=(Card(title="Rounds — study together, every day", fields=fields),), private=True)
