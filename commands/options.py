"""Turning what a person typed into an option's value, or a friendly error saying what to type instead.

Adapters hand over raw values (text from the console or Slack, typed values from Discord); one coercion serves all.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from commands.registry import CommandSpec, Option
from core.errors import UserError

TRUE_WORDS = {"yes", "y", "true", "on", "1"}
FALSE_WORDS = {"no", "n", "false", "off", "0"}
MENTION = re.compile(r"^<[#@]&?([A-Za-z0-9]+)(?:\|[^>]*)?>$")  # <#C123|general>, <@&123>, <#123>


def coerce_all(spec: CommandSpec, raw: Mapping[str, Any]) -> dict[str, Any]:
    unknown = [name for name in raw if spec.option(name) is None]
    if unknown:
        raise UserError(f"`/{spec.name}` has no option `{unknown[0]}`. Usage: `{spec.usage()}`")
    values: dict[str, Any] = {}
    for option in spec.options:
        value = raw.get(option.name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if option.required:
                raise UserError(f"`/{spec.name}` needs `{option.name}` ({option.description}). Usage: `{spec.usage()}`")
            continue
        values[option.name] = coerce(option, value)
    return values


def coerce(option: Option, value: Any) -> Any:
    kind = option.kind
    if kind == "boolean":
        return _boolean(option, value)
    if kind in ("integer", "number"):
        return _number(option, value)
    text = str(value).strip()
    if kind in ("channel", "role"):
        match = MENTION.match(text)
        text = match.group(1) if match else text.lstrip("#@")
    if len(text) > option.max_length:
        raise UserError(f"`{option.name}` is {len(text):,} characters long; the limit is {option.max_length:,}.")
    if option.choices:
        chosen = option.choice_of(text)
        if chosen is None:
            raise UserError(f"`{option.name}` must be one of: {', '.join(option.choices)}.")
        return chosen
    return text


def _boolean(option: Option, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in TRUE_WORDS | FALSE_WORDS:
        return word in TRUE_WORDS
    raise UserError(f"`{option.name}` takes yes or no.")


def _number(option: Option, value: Any) -> int | float:
    noun = "a whole number" if option.kind == "integer" else "a number"
    try:
        text = str(value).strip()
        number: int | float = int(text) if option.kind == "integer" else float(text)
    except (ValueError, OverflowError):
        raise UserError(f"`{option.name}` must be {noun}.") from None
    if not math.isfinite(number):
        raise UserError(f"`{option.name}` must be {noun}.")
    low, high = option.min_value, option.max_value
    if (low is not None and number < low) or (high is not None and number > high):
        raise UserError(f"`{option.name}` must be {_range(low, high)}.")
    return number


def _range(low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f"between {low:g} and {high:g}"
    return f"at least {low:g}" if low is not None else f"at most {high:g}"
