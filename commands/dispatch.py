"""The one way in for every platform: find the command or button, check permission, coerce options, run the
handler, and turn failures into friendly private replies. Errors and permissions are handled here and only here."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from commands.context import Context
from commands.forms import Form, read_form
from commands.options import coerce, coerce_all
from commands.registry import ActionSpec, Catalog, CommandSpec
from commands.replies import CUSTOM_ID_LIMIT, Reply, decode_custom_id, notice
from core.community.members import Member
from core.community.model import platform_of
from core.errors import UserError
from core.text import clean, quote

log = logging.getLogger(__name__)

INTERNAL_ERROR = "Something went wrong on our side and it has been logged. Please try again in a moment."
STALE_BUTTON = "That button is no longer in use. Type `/help` to see what Rounds can do."
ASK_AN_ADMIN = "Ask an admin of this server or workspace to run it."


class Dispatcher:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    async def command(self, ctx: Context, name: str, raw: Mapping[str, Any]) -> Reply:
        name = " ".join(clean(name).lower().split())
        spec = self.catalog.commands.get(name) or self.catalog.root_alias(name.split())
        if spec is None:
            return notice(unknown_command(self.catalog, name))
        values = {clean(str(key)): clean(value) if isinstance(value, str) else value for key, value in raw.items()}
        return await self._guarded(ctx, spec.name, self._run(cleaned(ctx), spec, values))

    async def _run(self, ctx: Context, spec: CommandSpec, raw: Mapping[str, Any]) -> Reply:
        if not await self.allowed(ctx, spec):
            raise UserError(f"Only community admins can use `/{spec.name}`. {ctx.admin_hint or ASK_AN_ADMIN}")
        return await spec.handler(ctx, **coerce_all(spec, raw, platform=platform_of(ctx.community_id)))

    async def allowed(self, ctx: Context, spec: CommandSpec | ActionSpec) -> bool:
        """The one permission check, for commands and buttons alike (an adapter may ask before it opens a form)."""
        return not spec.admin or await ctx.may_administer()

    def form(self, custom_id: str) -> Form | None:
        """The command form a button opens, for adapters that can show one (ask `allowed` before showing it)."""
        return read_form(self.catalog, custom_id)

    async def press(self, ctx: Context, custom_id: str) -> Reply:
        form = self.form(custom_id)
        if form is not None:  # shown by adapters that have forms; here, the command line to type instead
            return await self._guarded(ctx, form.spec.name, self._form_as_text(cleaned(ctx), form))
        decoded = decode_custom_id(clean(custom_id)[:CUSTOM_ID_LIMIT])
        act = self.catalog.actions.get(decoded[0]) if decoded else None
        if decoded is None or act is None or len(decoded[1]) != len(act.args):
            return notice(STALE_BUTTON)
        return await self._guarded(ctx, act.name, self._press(cleaned(ctx), act, decoded[1]))

    async def _press(self, ctx: Context, act: ActionSpec, values: tuple[str, ...]) -> Reply:
        if not await self.allowed(ctx, act):
            raise UserError(f"Only community admins can use that button. {ctx.admin_hint or ASK_AN_ADMIN}")
        try:
            platform = platform_of(ctx.community_id)
            arguments = {option.name: coerce(option, value, platform=platform) for option, value in zip(act.args, values, strict=True)}
        except UserError:  # a forged or outdated custom id: nothing a person typed
            raise UserError(STALE_BUTTON) from None
        return await act.handler(ctx, **arguments)

    async def _form_as_text(self, ctx: Context, form: Form) -> Reply:
        if not await self.allowed(ctx, form.spec):
            raise UserError("Only community admins can use that button.")
        line = form.typed()
        return notice(f"Type this{', with your own words in place of …' if '…' in line else ''}:\n`{line}`")

    async def suggest(self, ctx: Context, name: str, option_name: str, typed: str) -> list[str]:
        """Autocomplete never raises: a failure just offers nothing."""
        spec = self.catalog.commands.get(name) or self.catalog.root_alias(name.split())
        option = spec.option(option_name) if spec else None
        if option is None or option.suggest is None:
            return []
        try:
            return (await option.suggest(ctx, typed[:100]))[:25]
        except Exception:
            log.exception("suggestions failed for /%s %s", name, option_name)
            return []

    async def _guarded(self, ctx: Context, what: str, work: Any) -> Reply:
        try:
            return await work
        except UserError as error:
            return notice(str(error))
        except Exception:
            log.exception("/%s failed for %s in %s", what, ctx.member.id, ctx.community_id)
            return notice(INTERNAL_ERROR)

def unknown_command(catalog: Catalog, name: str) -> str:
    """What to say for a name that is no command: a group alone needs a subcommand, a wrong subcommand gets the
    real ones listed, anything else points to /help."""
    if not name:
        return "Type a command after the `/`, like `/qotd`, or `/help` to see them all."
    group, _, sub = name.partition(" ")
    subs = ", ".join(f"`/{s.name}`" for s in catalog.subcommands(group))
    if subs and sub:
        return f"`/{group}` has no subcommand `{quote(sub)}`. Its subcommands are: {subs}."
    if subs:
        return f"`/{name}` needs a subcommand: {subs}."
    return f"I don't know `/{quote(name)}`. Type `/help` to see the commands."


def cleaned(ctx: Context) -> Context:
    """Who and where, as the platform said it, made safe to store (a Slack name may carry a lone surrogate)."""
    said = (ctx.member.id, ctx.member.name, ctx.community_id, ctx.community_name, ctx.channel_id or "")
    if all(clean(part) is part for part in said):
        return ctx
    member = Member(clean(ctx.member.id), clean(ctx.member.name))
    channel = clean(ctx.channel_id) if ctx.channel_id is not None else None
    return replace(ctx, member=member, community_id=clean(ctx.community_id),
                   community_name=clean(ctx.community_name), channel_id=channel)
