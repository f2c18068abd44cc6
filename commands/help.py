"""`/help`: the commands there are, read from the catalog so it never goes stale; `/help qotd` explains one command
(its usage and each option) and `/help rounds` a group (its subcommands)."""

from __future__ import annotations

from collections.abc import Iterable

from commands.context import Context
from commands.dispatch import unknown_command
from commands.registry import Catalog, CommandSpec, Option, command, load_catalog
from commands.replies import Card, Field, Reply
from core.errors import UserError

TITLE = "Rounds — study together, every day"
MORE = "Type `/help` and a command's name, like `/help qotd` or `/help rounds`, for its options."


@command("help", "What Rounds can do and how to use it",
         Option("command", "A command to explain, like qotd or rounds time"))
async def show_help(ctx: Context, command: str = "") -> Reply:
    catalog = load_catalog()
    card = explain(catalog, command) if command.strip() else overview(catalog)
    return Reply(cards=(card,), private=True)


def overview(catalog: Catalog) -> Card:
    everyone = [s for s in catalog.commands.values() if not s.admin]
    admins = [s for s in catalog.commands.values() if s.admin]
    fields = (Field("Commands", listing(everyone), inline=False), Field("For admins", listing(admins), inline=False))
    return Card(title=TITLE, fields=fields, footer=MORE)


def explain(catalog: Catalog, typed: str) -> Card:
    """One command's card, or a group's; a name that is neither gets the dispatcher's own words for it."""
    name = " ".join(typed.lower().lstrip("/").split())
    spec = catalog.commands.get(name)
    if spec is not None:
        return command_card(spec)
    group = catalog.subcommands(name)
    if group:
        about = catalog.groups.get(name)
        return Card(title=f"/{name}", body=about.description if about else "",
                    fields=(Field("Subcommands", listing(group), inline=False),), footer=MORE)
    raise UserError(unknown_command(catalog, name))


def command_card(spec: CommandSpec) -> Card:
    fields = [Field("Usage", f"`{spec.usage()}`", inline=False)]
    if spec.options:
        fields.append(Field("Options", "\n".join(option_line(o) for o in spec.options), inline=False))
    footer = "For community admins." if spec.admin else ""
    return Card(title=f"/{spec.name}", body=spec.description, fields=tuple(fields), footer=footer)


def option_line(option: Option) -> str:
    return f"• `{option.name}:<{option.placeholder}>` — {option.description} ({'required' if option.required else 'optional'})"


def listing(specs: Iterable[CommandSpec]) -> str:
    return "\n".join(f"`{s.usage()}` — {s.description}" for s in sorted(specs, key=lambda s: s.name))
