"""The catalog as Discord application commands, generated: no command has adapter code of its own.

Each CommandSpec becomes an `app_commands.Command` whose callback is a closure with a generated `__signature__`
(PLATFORMS.md): typed options, `Range` for bounds and lengths, `Literal` for up to 25 fixed choices, autocomplete
where the option offers suggestions (or has more than 25 choices). A command path of two words becomes a
subcommand of an `app_commands.Group`. The closures hand raw values to the caller's `run` and `suggest`, which
go to the one Dispatcher: permissions, coercion and errors are not handled here. A member option is a USER option
(type 6) handed on as the `Member` commands/ expects, named as the acting member is (`member_of`).
"""

from __future__ import annotations

import inspect
import keyword
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import replace
from typing import Any, Literal, Union

import discord
from discord import app_commands

from commands.forms import Form
from commands.registry import Catalog, CommandSpec, Option
from core.community.members import Member, namespaced
from core.text import clip

log = logging.getLogger(__name__)

Run = Callable[[discord.Interaction, str, dict[str, Any]], Awaitable[None]]
Suggest = Callable[[discord.Interaction, str, str, str], Awaitable[list[str]]]
Bound = Union[app_commands.Command[Any, ..., Any], app_commands.Group]  # noqa: UP007 (a runtime alias)

DESCRIPTION_LIMIT = 100
CHOICES_LIMIT = 25
COMMANDS_LIMIT = 100  # top-level commands an application may register
OPTIONS_LIMIT = 25  # options (or subcommands) a command may have
CHOICE_TEXT_LIMIT = 100
STRING_LIMIT = 6000  # Discord's max_length ceiling for a string option
MODAL_TITLE_LIMIT = 45
MODAL_INPUTS_LIMIT = 5
INPUT_LABEL_LIMIT = 45
INPUT_PLACEHOLDER_LIMIT = 100
INPUT_LIMIT = 4000
LONG_INPUT = 200  # a text option allowed more than this gets a paragraph box
PLATFORM = "discord"


def member_of(user: discord.abc.User) -> Member:
    """A Discord user as Rounds names members, the one acting and one named in an option alike."""
    return Member(namespaced(PLATFORM, user.id), user.display_name)


class IdTransformer(app_commands.Transformer):
    """A channel or role option handed on as its id string, the form commands/ expects. Reads the resolved data
    Discord sends with the interaction, so it needs no guild cache."""

    def __init__(self, kind: Literal["channel", "role"]) -> None:
        self.kind = kind

    @property
    def type(self) -> discord.AppCommandOptionType:
        return discord.AppCommandOptionType.channel if self.kind == "channel" else discord.AppCommandOptionType.role

    @property
    def channel_types(self) -> list[discord.ChannelType]:
        # Rounds posts into channels: text and announcement channels are the ones that take messages.
        return [discord.ChannelType.text, discord.ChannelType.news] if self.kind == "channel" else []

    async def transform(self, interaction: discord.Interaction, value: Any, /) -> str:
        """Only what Discord resolved, and only what Rounds can use: a channel that takes messages, a real role."""
        if self.kind == "channel":
            if not isinstance(value, (app_commands.AppCommandChannel, app_commands.AppCommandThread)):
                raise Refused("I can't see that channel. Pick one from the list Discord offers.")
            if value.type not in self.channel_types:
                raise Refused(f"Daily posts go to a text or announcement channel; #{value.name} is not one. Pick another.")
            return str(value.id)
        if not isinstance(value, discord.Role):
            raise Refused("I can't see that role. Pick one from the list Discord offers.")
        if value.is_default():
            raise Refused("@everyone can't be the admin role: pick a role only some members have "
                          "(or leave the option empty so only server admins change settings).")
        return str(value.id)


class MemberTransformer(app_commands.Transformer):
    """A member option: Discord's user picker (type 6), handed on as a Member read from the resolved data Discord
    sends with the interaction (its display name in this server, when it sent the member)."""

    @property
    def type(self) -> discord.AppCommandOptionType:
        return discord.AppCommandOptionType.user

    async def transform(self, interaction: discord.Interaction, value: Any, /) -> Member:
        if not isinstance(value, (discord.Member, discord.User)):  # an id Discord did not resolve
            raise Refused("I can't see that member. Pick one from the list Discord offers.")
        return member_of(value)


class Refused(app_commands.AppCommandError):
    """An option value Discord resolved but Rounds cannot use; the message says what to pick instead."""


SNOWFLAKE_OPTIONS = {6, 7, 8, 9}  # user, channel, role, mentionable: Discord sends their values as ids


def unusable_option(data: Any) -> bool:
    """True when an id option's value is not an id at all (a forged or broken payload): discord.py would fail on
    it before any handler of ours runs, and the member would get no answer."""
    for option in (data or {}).get("options") or []:
        if not isinstance(option, dict):
            return True
        if option.get("type") in SNOWFLAKE_OPTIONS and not _snowflake(str(option.get("value", ""))):
            return True
        if option.get("options") and unusable_option(option):
            return True
    return False


def bind(catalog: Catalog, run: Run, suggest: Suggest) -> list[Bound]:
    """Every top-level name of the catalog as a Command or a Group of subcommands, in a stable order."""
    bound: list[Bound] = []
    for top in catalog.top_level()[:COMMANDS_LIMIT]:
        subs = catalog.subcommands(top)
        if not subs:
            bound.append(build_command(catalog.commands[top], run, suggest, top_level=True))
            continue
        declared = catalog.groups.get(top)
        if top in catalog.commands:
            if declared is not None and declared.root_as:
                subs = sorted([*subs, replace(catalog.commands[top], path=(top, declared.root_as))], key=lambda s: s.name)
            else:
                log.warning("/%s has subcommands, so Discord cannot run it on its own; only its subcommands are bound", top)
        group = app_commands.Group(name=top, description=clip(declared.description if declared else top, DESCRIPTION_LIMIT),
                                   guild_only=True)
        for spec in subs[:OPTIONS_LIMIT]:
            group.add_command(build_command(spec, run, suggest, top_level=False))
        bound.append(group)
    return bound


def build_command(spec: CommandSpec, run: Run, suggest: Suggest, *, top_level: bool) -> app_commands.Command[Any, ..., Any]:
    # A form command takes nothing on Discord: run bare, it opens its modal (see the client's run_command).
    options = () if spec.form else spec.options[:OPTIONS_LIMIT]
    idents = {_identifier(option, index): option for index, option in enumerate(options)}

    async def callback(interaction: discord.Interaction, **values: Any) -> None:
        raw = {idents[key].name: value for key, value in values.items() if value is not None}
        await run(interaction, spec.name, raw)

    params = [inspect.Parameter("interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=discord.Interaction)]
    for ident, option in idents.items():
        default = inspect.Parameter.empty if option.required else None
        params.append(inspect.Parameter(ident, inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=annotation_for(option),
                                        default=default))
    callback.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    app_commands.describe(**{i: clip(o.description, DESCRIPTION_LIMIT) or o.name for i, o in idents.items()})(callback)
    renames = {ident: option.name for ident, option in idents.items() if ident != option.name}
    if renames:
        app_commands.rename(**renames)(callback)

    command: app_commands.Command[Any, ..., None] = app_commands.Command(name=spec.path[-1], description=clip(spec.description, DESCRIPTION_LIMIT) or spec.name,
                                   callback=callback)
    if top_level:
        app_commands.guild_only()(command)  # a community is a server; subcommands inherit it from their group
    for ident, option in idents.items():
        if _wants_autocomplete(option):
            command.autocomplete(ident)(_completer(spec, option, suggest))
    return command


def annotation_for(option: Option) -> Any:
    """The Python annotation discord.py turns into the option's type, bounds and choices."""
    if option.kind in ("channel", "role"):
        return IdTransformer(option.kind)
    if option.kind == "member":
        return MemberTransformer()
    if option.kind == "boolean":
        return bool
    if option.kind in ("integer", "number"):
        number: type = int if option.kind == "integer" else float
        low, high = option.min_value, option.max_value
        if low is None and high is None:
            return number
        return app_commands.Range[number, _cast(number, low), _cast(number, high)]
    if option.choices and len(option.choices) <= CHOICES_LIMIT:
        return Literal[tuple(option.choices)]
    return app_commands.Range[str, None, min(option.max_length, STRING_LIMIT)]


def _cast(number: type, value: float | None) -> Any:
    return None if value is None else number(value)


def _wants_autocomplete(option: Option) -> bool:
    too_many_choices = len(option.choices) > CHOICES_LIMIT and option.kind == "text"
    return too_many_choices or (option.suggest is not None and not option.choices and option.kind in ("text", "integer", "number"))


def _completer(spec: CommandSpec, option: Option,
               suggest: Suggest) -> Callable[[discord.Interaction, str], Coroutine[Any, Any, list[app_commands.Choice[Any]]]]:
    async def complete(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[Any]]:
        if option.choices:
            typed = str(current).strip().lower()
            found = [c for c in option.choices if typed in c.lower()]
        else:
            found = await suggest(interaction, spec.name, option.name, str(current))
        return _choices(option, found)
    return complete


def _choices(option: Option, suggestions: list[str]) -> list[app_commands.Choice[Any]]:
    """At most 25; names and values within 100 characters; number options only get numbers."""
    choices: list[app_commands.Choice[Any]] = []
    for text in suggestions:
        value: Any = text[:CHOICE_TEXT_LIMIT]
        if option.kind in ("integer", "number"):
            try:
                value = int(text) if option.kind == "integer" else float(text)
            except ValueError:
                continue
        choices.append(app_commands.Choice(name=clip(text, CHOICE_TEXT_LIMIT) or "?", value=value))
        if len(choices) == CHOICES_LIMIT:
            break
    return choices


def _identifier(option: Option, index: int) -> str:
    """A Python parameter name for the option; names that are not identifiers are renamed back for Discord."""
    name = option.name.replace("-", "_")
    return name if name.isidentifier() and not keyword.iskeyword(name) and name != "interaction" else f"option_{index}"


def _snowflake(text: str) -> bool:
    """A Discord id: ASCII digits of a 64-bit number."""
    return text.isascii() and text.isdecimal() and len(text) <= 20 and int(text) < 2**64


def form_modal(form: Form) -> discord.ui.Modal:
    """A command's form as a modal: one text input for each option the person fills in (the dispatcher coerces what
    comes back, as it does typed text). Its custom id is the form's, so the submission is read from the id alone,
    whichever process receives it: the modal is stopped before it is sent, so discord.py keeps nothing of it."""
    modal = discord.ui.Modal(title=clip(f"/{form.spec.name}", MODAL_TITLE_LIMIT), custom_id=form.custom_id)
    for option in form.asked[:MODAL_INPUTS_LIMIT]:
        limit = min(option.max_length, INPUT_LIMIT)
        modal.add_item(discord.ui.TextInput(
            label=clip(option.name, INPUT_LABEL_LIMIT), custom_id=option.name, required=option.required,
            placeholder=clip(option.description, INPUT_PLACEHOLDER_LIMIT) or None, max_length=max(1, limit),
            style=discord.TextStyle.paragraph if option.kind == "text" and limit > LONG_INPUT else discord.TextStyle.short))
    modal.stop()
    return modal


def modal_values(data: Any) -> dict[str, str]:
    """The text inputs of a MODAL_SUBMIT, by custom id: in action rows, or in labels (Discord's newer layout)."""
    values: dict[str, str] = {}
    pending = list((data or {}).get("components") or []) if isinstance(data, dict) else []
    while pending:
        item = pending.pop(0)
        if not isinstance(item, dict):
            continue
        if isinstance(item.get("custom_id"), str) and isinstance(item.get("value"), str):
            values[item["custom_id"]] = item["value"]
        pending += [c for c in (item.get("components") or []) if isinstance(c, dict)]
        if isinstance(item.get("component"), dict):
            pending.append(item["component"])
    return values
