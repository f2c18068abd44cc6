"""Reading options out of typed text, for the console and Slack: `key:value` pairs and positional words.

`/rounds tags step1 cardiovascular` and `/rounds tags filter:"step1 cardiovascular"` mean the same: positional words
fill options in declared order, and words left over join the last text option.
"""

from __future__ import annotations

import shlex

from commands.registry import Catalog, CommandSpec
from core.errors import UserError
from core.text import quote

MAX_LINE = 4000  # far more than any command needs; shlex is quadratic on one huge word


def split_words(text: str) -> list[str]:
    if len(text) > MAX_LINE:
        raise UserError(f"That command is {len(text):,} characters long; the limit is {MAX_LINE:,}. Shorten the text "
                        "you typed (a note or a topic is capped well below that anyway).")
    try:
        return shlex.split(text)
    except ValueError:
        raise UserError("A quote is not closed. Put text with spaces in matching quotes, like `note:\"tue 8pm\"`.") from None


def parse_options(spec: CommandSpec, words: list[str]) -> dict[str, str]:
    values: dict[str, str] = {}
    positional: list[str] = []
    for word in words:
        key, sep, value = word.partition(":")
        if sep and spec.option(key.lower()) is not None:
            values[key.lower()] = value
        else:
            positional.append(word)
    free = [o for o in spec.options if o.name not in values]
    last = None
    for word in positional:
        if free:
            last = free.pop(0)
            values[last.name] = word
        elif last is not None and last.kind == "text":
            values[last.name] += " " + word
        else:
            raise UserError(f"I did not understand `{quote(word)}`. Usage: `{spec.usage()}`")
    return values


def read_command(catalog: Catalog, text: str) -> tuple[str, CommandSpec | None, dict[str, str]]:
    """A typed command line ('rounds time 07:30', without the slash) → the command's name, its declaration (None
    when unknown) and its raw options. The console and Slack both read typed text through this one function."""
    words = split_words(text)
    spec, rest = catalog.resolve(words)
    if spec is None:
        return " ".join(words[:2]), None, {}
    return spec.name, spec, parse_options(spec, rest)
