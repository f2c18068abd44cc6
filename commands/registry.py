"""Declarations: decorators only record metadata on the function; `load_catalog` scans this package for them."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from types import ModuleType
from typing import TYPE_CHECKING, Any, Literal

from commands.replies import Reply

if TYPE_CHECKING:
    from commands.context import Context, DutyContext
    from core.engine.duties import Duty

# "member": someone in the community (a Discord user option, a Slack `<@U…>` mention, a console name); handlers get a
# `core.community.members.Member` with the namespaced id, like the acting member's (see commands/options.py).
OptionKind = Literal["text", "integer", "number", "boolean", "channel", "role", "member"]
Suggester = Callable[["Context", str], Awaitable[list[str]]]
Handler = Callable[..., Awaitable[Reply]]
DutyFunction = Callable[["DutyContext", "Duty"], Awaitable[str | None]]

DEFAULT_TEXT_LIMIT = 200


@dataclass(frozen=True)
class Option:
    name: str
    description: str
    kind: OptionKind = "text"
    required: bool = False
    choices: tuple[str, ...] = ()
    min_value: float | None = None
    max_value: float | None = None
    max_length: int = DEFAULT_TEXT_LIMIT
    suggest: Suggester | None = None  # autocomplete: what the person has typed → suggestions

    @cached_property
    def _choice_index(self) -> dict[str, str]:
        return {c.lower(): c for c in self.choices}

    def choice_of(self, text: str) -> str | None:
        """The declared choice a person meant, whatever its case; a button press looks this up every time."""
        return self._choice_index.get(text.lower())

    @property
    def placeholder(self) -> str:
        if self.choices:
            return "|".join(self.choices)
        return {"integer": "number", "number": "number", "boolean": "yes|no", "channel": "#channel", "role": "@role",
                "member": "@member"}.get(self.kind, self.name)


@dataclass(frozen=True)
class CommandSpec:
    path: tuple[str, ...]  # ('qotd',) or ('rounds', 'time'): a group and its subcommand
    description: str
    options: tuple[Option, ...]
    handler: Handler
    admin: bool = False
    form: bool = False  # run with nothing typed, it opens its form where the platform has one (a modal)

    @property
    def name(self) -> str:
        return " ".join(self.path)

    def option(self, name: str) -> Option | None:
        return next((o for o in self.options if o.name == name), None)

    def usage(self) -> str:
        parts = [f"/{self.name}"]
        for o in self.options:
            parts.append(f"{o.name}:<{o.placeholder}>" if o.required else f"[{o.name}:<{o.placeholder}>]")
        return " ".join(parts)


@dataclass(frozen=True)
class ActionSpec:
    """A button: its arguments are typed and checked like a command's options, in the order the Button carries
    them, and its permission is checked by the dispatcher, like a command's."""

    name: str  # the action of a Button, e.g. 'qotd.answer'
    handler: Handler
    args: tuple[Option, ...] = ()
    admin: bool = False

    def option(self, name: str) -> Option | None:
        return next((o for o in self.args if o.name == name), None)


@dataclass(frozen=True)
class DutySpec:
    """A timed effect, declared by name like a command: the runner calls it when a duty of this kind is due."""

    name: str  # e.g. 'qotd.announce'
    handler: DutyFunction


@dataclass(frozen=True)
class Group:
    """`root_as` names the group's own command as a subcommand too: Discord cannot run a group's root (`/resource
    query:…` beside `/resource suggest`), so there it is bound as `/resource search`, which every platform reads."""

    name: str
    description: str
    root_as: str | None = None


def command(name: str, description: str, *options: Option, admin: bool = False,
            form: bool = False) -> Callable[[Handler], Handler]:
    def mark(handler: Handler) -> Handler:
        handler.__rounds_command__ = CommandSpec(tuple(name.split()), description, options, handler, admin, form)  # type: ignore[attr-defined]
        return handler
    return mark


def action(name: str, *args: Option, admin: bool = False) -> Callable[[Handler], Handler]:
    def mark(handler: Handler) -> Handler:
        handler.__rounds_action__ = ActionSpec(name, handler, args, admin)  # type: ignore[attr-defined]
        return handler
    return mark


def duty(name: str) -> Callable[[DutyFunction], DutyFunction]:
    def mark(handler: DutyFunction) -> DutyFunction:
        handler.__rounds_duty__ = DutySpec(name, handler)  # type: ignore[attr-defined]
        return handler
    return mark


@dataclass
class Catalog:
    commands: dict[str, CommandSpec] = field(default_factory=dict)
    actions: dict[str, ActionSpec] = field(default_factory=dict)
    duties: dict[str, DutySpec] = field(default_factory=dict)
    groups: dict[str, Group] = field(default_factory=dict)

    def add_module(self, module: ModuleType) -> None:
        for value in vars(module).values():
            if isinstance(value, Group):
                self.groups[value.name] = value
            spec: Any = getattr(value, "__rounds_command__", None)
            if isinstance(spec, CommandSpec):
                self.commands[spec.name] = spec
            act: Any = getattr(value, "__rounds_action__", None)
            if isinstance(act, ActionSpec):
                self.actions[act.name] = act
            timed: Any = getattr(value, "__rounds_duty__", None)
            if isinstance(timed, DutySpec):
                self.duties[timed.name] = timed

    def top_level(self) -> list[str]:
        """Names a platform registers: plain commands and groups, in a stable order."""
        return sorted({spec.path[0] for spec in self.commands.values()})

    def subcommands(self, group: str) -> list[CommandSpec]:
        return sorted((s for s in self.commands.values() if s.path[0] == group and len(s.path) > 1), key=lambda s: s.name)

    def resolve(self, words: Sequence[str]) -> tuple[CommandSpec | None, list[str]]:
        """The longest command path the words start with, and the words left for its options."""
        for length in (2, 1):
            spec = self.commands.get(" ".join(words[:length]))
            if spec is not None and len(words) >= length:
                return spec, list(words[length:])
            root = self.root_alias(words[:length])
            if root is not None:
                return root, list(words[length:])
        return None, list(words)

    def root_alias(self, words: Sequence[str]) -> CommandSpec | None:
        """`resource search` for the group `resource`'s own command, when the group declares that name for it."""
        group = self.groups.get(words[0].lower()) if len(words) == 2 else None
        if group is None or group.root_as is None or words[1].lower() != group.root_as:
            return None
        return self.commands.get(group.name)


def load_catalog(package: str = "commands") -> Catalog:
    catalog = Catalog()
    root = importlib.import_module(package)
    for info in sorted(pkgutil.walk_packages(root.__path__, prefix=f"{package}."), key=lambda i: i.name):
        catalog.add_module(importlib.import_module(info.name))
    return catalog
