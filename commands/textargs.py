"""Reading options out of typed text, for the console and Slack: `key:value` pairs and positional words.

`/rounds tags step1 cardiovascular` and `/rounds tags filter:"step1 cardiovascular"` mean the same: positional words
fill options in declared order, and words left over join the last text option. Bare words right after a free-text
option (`/checkin note:read cardio`) are more of its text, as anyone would mean them; `name:value` for an option the command does not have is refused, never kept as
text. Command names are read whatever
their case (`/QOTD` is `/qotd`); an option given twice is refused rather than one of the two silently winning.
"""

from __future__ import annotations

import shlex

from commands.registry import Catalog, CommandSpec
from core.errors import UserError
from core.text import quote

MAX_LINE = 4000  # far more than any command needs; shlex is quadratic on one huge word
QUOTED_EXAMPLE = '/rounds tags filter:"step1 cardiovascular"'  # a real command and option: a test reads it back


def split_words(text: str) -> list[str]:
    if len(text) > MAX_LINE:
        raise UserError(f"That command is {len(text):,} characters long; the limit is {MAX_LINE:,}. Shorten the text "
                        "you typed (a note or a topic is capped well below that anyway).")
    try:
        return shlex.split(text)
    except ValueError:
        raise UserError(f"A quote is not closed. Put text with spaces in matching quotes, like `{QUOTED_EXAMPLE}`.") from None


def parse_options(spec: CommandSpec, words: list[str]) -> dict[str, str]:
    values: dict[str, str] = {}
    positional: list[str] = []
    continuing = None  # a free-text option just given (`note:read cardio`): bare words after it are its words
    for word in words:
        key, sep, value = word.partition(":")
        option = spec.option(key.lower()) if sep else None
        if option is None and continuing is not None:
            values[continuing.name] += " " + word
        elif option is None and sep and _looks_like_option(key, value):
            names = ", ".join(o.name for o in spec.options) or "none"
            raise UserError(f"`{quote(key)}` is not an option of `/{spec.name}` (its options: {names}). "
                            f"Usage: `{spec.usage()}`")
        elif option is None:
            positional.append(word)
        elif option.name in values:
            raise UserError(f"You gave `{option.name}` twice (`{quote(values[option.name])}` and `{quote(value)}`). "
                            f"Give it once. Usage: `{spec.usage()}`")
        else:
            values[option.name] = value
            continuing = option if option.kind == "text" and not option.choices else None
    free = [o for o in spec.options if o.name not in values]
    last = None
    for word in positional:
        if free:
            last = free.pop(0)
            values[last.name] = word
        elif last is not None and last.kind == "text":
            values[last.name] += " " + word
        else:
            given = ", ".join(f"{name}:{quote(value)}" for name, value in values.items()) if last is None else ""
            hint = f": every option is already given ({given})" if given else ""
            raise UserError(f"I did not understand `{quote(word)}`{hint}. Usage: `{spec.usage()}`")
    return values


def _looks_like_option(key: str, value: str) -> bool:
    """`foo:bar` where no option is foo is a mistyped option, not text to store (a link's `https://` is text)."""
    return key.replace("-", "").replace("_", "").isalpha() and not value.startswith("/")


def read_command(catalog: Catalog, text: str) -> tuple[str, CommandSpec | None, dict[str, str]]:
    """A typed command line ('rounds time 07:30', without the slash) → the command's name, its declaration (None
    when unknown) and its raw options. The console and Slack both read typed text through this one function."""
    words = split_words(text)
    head = [word.lower() for word in words[:2]]  # a command's name; option values keep their case
    spec, rest = catalog.resolve(head)
    if spec is None:
        return " ".join(head), None, {}
    return spec.name, spec, parse_options(spec, words[len(head) - len(rest):])  # the typed words, in their case
