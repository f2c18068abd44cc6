"""The Discord client: interactions in, the one Dispatcher, rendered Replies out.

- Commands come from `binder` (generated from the catalog); every button whose custom_id starts with `rounds:` is
  routed by one DynamicItem to `Dispatcher.press`, so buttons work after a restart with no view kept in memory.
- The 3-second deadline: the work starts at once; if it has not finished within `defer_after` seconds the
  interaction is deferred (ephemeral "thinking") and the result follows as an edit or a follow-up.
- Permission checks, option coercion and friendly errors live in the Dispatcher. What can still fail here is
  Discord itself (a refused option value, an HTTP error); `report_failure` is the one place that answers those.
- A reply's image rides on the response itself (send_message / followup files, or the edit's attachments).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any

import discord
from discord import app_commands

from bots.discord.binder import PLATFORM, Refused, bind, form_modal, member_of, modal_values, unusable_option
from bots.discord.notifier import DiscordNotifier
from bots.discord.pace import DEFAULT_RATE
from bots.discord.render import NO_PINGS, render
from commands.context import Context
from commands.dispatch import INTERNAL_ERROR, STALE_BUTTON, Dispatcher
from commands.forms import Form
from commands.registry import Catalog, load_catalog
from commands.replies import CUSTOM_ID_PREFIX, Reply
from commands.runtime import start_duties
from core.bootstrap import Services
from core.clock import platform_now
from core.community.members import namespaced

log = logging.getLogger(__name__)

DEFER_AFTER = 2.0  # seconds; Discord drops an interaction not acknowledged within 3 s of its creation


@dataclass(frozen=True)
class Sync:
    """Where commands are registered at start-up: globally, in one guild (instant, for testing), or not at all."""

    mode: str = "global"  # global | guild | off
    guild_id: int | None = None

    @classmethod
    def parse(cls, text: str | None) -> Sync:
        value = (text or "global").strip().lower()
        if value in ("global", "off"):
            return cls(value)
        name, _, guild = value.partition(":")
        if name == "guild" and guild.isdigit():
            return cls("guild", int(guild))
        raise ValueError(f"DISCORD_SYNC must be global, guild:<server id> or off, not {text!r}")


NO_SYNC = Sync("off")


class RoundsButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"(?s)" + re.escape(CUSTOM_ID_PREFIX) + r":.*"):
    """Any button we made, on any message, whenever it was sent: its custom_id is all the state there is."""

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str], /) -> RoundsButton:
        return cls(item)  # type: ignore[arg-type]

    async def callback(self, interaction: discord.Interaction) -> None:
        client = interaction.client
        if isinstance(client, RoundsClient):
            await client.press(interaction, self.custom_id)


class RoundsTree(app_commands.CommandTree):
    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        """Runs before discord.py reads the options: a value it could not read gets an answer instead of silence."""
        if interaction.type is discord.InteractionType.application_command and unusable_option(interaction.data):
            await report_failure(interaction, Refused("Discord sent an option value I cannot use here. Pick a value "
                                                      "from the list Discord offers and try again."))
            return False
        return True

    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        await report_failure(interaction, error)


class RoundsClient(discord.Client):
    def __init__(self, services: Services, *, catalog: Catalog | None = None, sync: Sync = NO_SYNC,
                 defer_after: float = DEFER_AFTER, owns_services: bool = True, run_duties: bool = True,
                 rest_rate: float | None = DEFAULT_RATE, **options: Any) -> None:
        options.setdefault("intents", discord.Intents(guilds=True))  # no privileged intent is needed
        _without_voice_warnings()
        super().__init__(allowed_mentions=NO_PINGS, **options)
        self.services = services
        self.dispatcher = Dispatcher(catalog or load_catalog())
        self.tree = RoundsTree(self)
        self.sync = sync
        self.defer_after = defer_after
        self.owns_services = owns_services
        self.run_duties = run_duties
        self.rest_rate = rest_rate  # the duties' REST requests a second (DISCORD_REST_RATE), under Discord's global 50
        self.ready_event = asyncio.Event()
        self._services_closing: asyncio.Future[None] | None = None

    async def setup_hook(self) -> None:
        """After login, before the gateway: commands, the button route, sync, then the scheduler (posts need
        only REST, so catch-up posts can go out now)."""
        for command in bind(self.dispatcher.catalog, self.run_command, self.suggest):
            self.tree.add_command(command)
        self.add_dynamic_items(RoundsButton)
        await self._sync_commands()
        if self.run_duties:
            await start_duties(self.services, [DiscordNotifier(self, rate=self.rest_rate)], self.dispatcher.catalog, catch_up=False)

    async def _sync_commands(self) -> None:
        if self.sync.mode == "global":
            synced = await self.tree.sync()
        elif self.sync.mode == "guild" and self.sync.guild_id is not None:
            guild = discord.Object(id=self.sync.guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
        else:
            return
        log.info("synced %d commands (%s)", len(synced), self.sync.mode)

    async def on_ready(self) -> None:
        log.info("connected to Discord as %s in %d servers", self.user, len(self.guilds))
        self.ready_event.set()

    async def close(self) -> None:
        """Idempotent, and every caller waits for the same shutdown: a SIGTERM handler and `start()` returning
        both close, and the database thread must be stopped before the process can exit."""
        await super().close()
        if self.owns_services:
            if self._services_closing is None:
                self._services_closing = asyncio.ensure_future(self.services.close())
            await asyncio.shield(self._services_closing)

    # --- interactions -------------------------------------------------------------------------------------------

    async def run_command(self, interaction: discord.Interaction, name: str, raw: dict[str, Any]) -> None:
        spec = self.dispatcher.catalog.commands.get(name)
        if spec is not None and spec.form and not raw and await self.dispatcher.allowed(self.context(interaction), spec):
            await interaction.response.send_modal(form_modal(Form(spec, {})))  # its answer to Discord is the modal
            return
        await answer(interaction, self.dispatcher.command(self.context(interaction), name, raw), self.defer_after)

    async def press(self, interaction: discord.Interaction, custom_id: str) -> None:
        try:
            form = self.dispatcher.form(custom_id)
            if form is not None and await self.dispatcher.allowed(self.context(interaction), form.spec):
                await interaction.response.send_modal(form_modal(form))
                return
            await answer(interaction, self.dispatcher.press(self.context(interaction), custom_id), self.defer_after)
        except Exception as error:  # a DynamicItem's errors would otherwise only be logged by discord.py
            await report_failure(interaction, error)

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """A form we showed comes back: its custom id says which command and what it was given; the command runs
        (and what it records is stored) before Discord gets its answer."""
        data: Any = interaction.data or {}
        custom_id = str(data.get("custom_id") or "")
        if interaction.type is not discord.InteractionType.modal_submit or not custom_id.startswith(f"{CUSTOM_ID_PREFIX}:"):
            return
        form = self.dispatcher.form(custom_id)
        try:
            if form is None:
                await interaction.response.send_message(STALE_BUTTON, ephemeral=True, allowed_mentions=NO_PINGS)
                return
            raw = form.submitted(modal_values(data))
            await answer(interaction, self.dispatcher.command(self.context(interaction), form.spec.name, raw), self.defer_after)
        except Exception as error:
            await report_failure(interaction, error)

    async def suggest(self, interaction: discord.Interaction, name: str, option: str, typed: str) -> list[str]:
        return await self.dispatcher.suggest(self.context(interaction), name, option, typed)

    def context(self, interaction: discord.Interaction) -> Context:
        """Who and where, from the interaction itself: Discord computes the member's permissions for us."""
        user = interaction.user
        guild = interaction.guild
        community = namespaced(PLATFORM, interaction.guild_id) if interaction.guild_id else namespaced(PLATFORM, f"dm-{user.id}")
        roles = tuple(str(r.id) for r in getattr(user, "roles", ()) if not r.is_default())
        permissions = interaction.permissions
        return Context(
            services=self.services, member=member_of(user),
            community_id=community, community_name=getattr(guild, "name", None) or "",
            channel_id=str(interaction.channel_id) if interaction.channel_id else None,
            is_admin=permissions.manage_guild or permissions.administrator, roles=roles,
        )


async def answer(interaction: discord.Interaction, work: Awaitable[Reply], defer_after: float) -> None:
    """Reply within the deadline: at once if the work is quick, else defer and deliver when it is done."""
    task = asyncio.ensure_future(work)
    done, _ = await asyncio.wait({task}, timeout=max(0.0, defer_after - age(interaction)))
    if task in done:
        reply = task.result()
        await interaction.response.send_message(**render(reply).kwargs(), ephemeral=reply.private)
        return
    await interaction.response.defer(ephemeral=True, thinking=True)
    await deliver_late(interaction, await task)


def age(interaction: discord.Interaction) -> float:
    """Seconds since Discord created the interaction (its snowflake says when), so time spent queued before it
    reached us counts against the deadline too. A host clock running behind gives a negative age: then the
    deadline counts from receipt instead, which is never later than without this."""
    return max(0.0, (platform_now() - interaction.created_at).total_seconds())


async def deliver_late(interaction: discord.Interaction, reply: Reply) -> None:
    """After an ephemeral defer. A private reply replaces the "thinking" message. A public one cannot (the
    deferred message stays ephemeral), so the placeholder is removed and the reply goes out as a public follow-up."""
    rendered = render(reply)
    if reply.private:
        await interaction.edit_original_response(**rendered.edit_kwargs())  # an image goes in as an attachment
        return
    try:
        await interaction.delete_original_response()
    except discord.HTTPException:
        log.warning("could not remove the deferred placeholder of interaction %s", interaction.id)
    await interaction.followup.send(**rendered.kwargs(), ephemeral=False, wait=True)


async def report_failure(interaction: discord.Interaction, error: BaseException) -> None:
    """The adapter's one error handler: a refused option value is the person's to fix; anything else is logged
    (with the traceback, never shown) and answered with the Dispatcher's generic apology."""
    if isinstance(error, Refused):
        text = str(error)
    elif isinstance(error, app_commands.TransformerError):
        text = "Discord sent an option value I cannot use here. Pick a value from the list Discord offers and try again."
    elif isinstance(error, app_commands.CommandNotFound):
        text = "That command is no longer available. Type `/help` to see the commands."
    elif isinstance(error, app_commands.CommandSignatureMismatch):
        text = "That command changed since Discord last loaded it. Please try again in a minute."
        log.warning("command signature mismatch for %s: commands need a sync", error.command.qualified_name)
    else:
        original = getattr(error, "original", error)
        log.error("interaction %s failed", interaction.id, exc_info=(type(original), original, original.__traceback__))
        text = INTERNAL_ERROR
    try:
        if interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_PINGS)
        else:
            await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_PINGS)
    except discord.HTTPException:
        log.warning("could not tell the member about the failure of interaction %s", interaction.id)


def _without_voice_warnings() -> None:
    """discord.py warns at every start that PyNaCl and davey (voice) are missing; this bot never joins a voice
    channel, so the two flags that trigger exactly those warnings are cleared, and every other warning still shows."""
    discord.VoiceClient.warn_nacl = False
    discord.VoiceClient.warn_dave = False
