"""A button that opens a command's form: the command's own options, some of them already filled in by the button and
hidden (the post a report is about), the rest asked for. One mechanism for every such button on every platform:
Discord shows a modal, Slack opens one with views.open, and the console, which has no forms, answers with the exact
command line to type.

The form's state is its custom id (`rounds:form:<command>:<option>=<value>…`), so it keeps working after a restart.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from commands.registry import Catalog, CommandSpec, Option
from commands.replies import CUSTOM_ID_LIMIT, Button, ButtonStyle, decode_custom_id
from core.text import clean

FORM_ACTION = "form"


def form_button(label: str, command: str, given: Mapping[str, str], style: ButtonStyle = "secondary") -> Button:
    """A button that opens `command`'s form with `given` options filled in."""
    if any(":" in part or "=" in name for name, value in given.items() for part in (name, value)):
        raise ValueError("a form's given values may not contain ':' and names may not contain '='")
    return Button(label, FORM_ACTION, (command, *(f"{name}={value}" for name, value in given.items())), style)


@dataclass(frozen=True)
class Form:
    spec: CommandSpec
    given: dict[str, str]  # raw values, coerced with the rest when the form comes back

    @property
    def custom_id(self) -> str:
        return form_button("", self.spec.name, self.given).custom_id

    @property
    def asked(self) -> tuple[Option, ...]:
        """The options the person fills in."""
        return tuple(o for o in self.spec.options if o.name not in self.given)

    def typed(self) -> str:
        """The command line that does what the form would, for a platform without forms."""
        given = [f"{name}:{value}" for name, value in self.given.items()]
        asked = [f'{o.name}:"…"' if o.kind == "text" else f"{o.name}:<{o.placeholder}>" for o in self.asked]
        return " ".join((f"/{self.spec.name}", *given, *asked))

    def submitted(self, values: Mapping[str, str]) -> dict[str, str]:
        """What came back from the form, with the given options (which the form never showed) on top."""
        return {**{k: v for k, v in values.items() if k not in self.given}, **self.given}


def read_form(catalog: Catalog, custom_id: str) -> Form | None:
    """The form a button or modal id opens; None for any other id, or one naming a command or option that is gone."""
    decoded = decode_custom_id(clean(custom_id)[:CUSTOM_ID_LIMIT])
    if decoded is None or decoded[0] != FORM_ACTION or not decoded[1]:
        return None
    spec = catalog.commands.get(decoded[1][0])
    pairs = [part.partition("=") for part in decoded[1][1:]]
    if spec is None or any(not sep or spec.option(name) is None for name, sep, _ in pairs):
        return None
    return Form(spec, {name: value for name, _, value in pairs})
