"""Turning what a person typed into an option's value, or a friendly error saying what to type instead.

Adapters hand over raw values (text from the console or Slack, typed values from Discord); one coercion serves all.

A `member` option becomes a `Member`: the namespaced id every store keys members by ('slack:U123'), so a handler
can look the person up exactly as it would the one acting, and the display name when the platform gave one (Discord's
resolved user, the `|name` of Slack's `<@U123|name>`), else "" (`Member.display` then shows the id). Discord hands over
a Member already; typed text is a mention, `<@U123>` or `<@U123|name>`, read in the platform of the community it
was typed in. Only the console, whose member ids are the names people go by, also takes `@alice` or `alice`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from commands.registry import CommandSpec, Option
from core.community.members import MAX_NAME, Member, namespaced
from core.errors import UserError
from core.text import clean

TRUE_WORDS = {"yes", "y", "true", "on", "1"}
FALSE_WORDS = {"no", "n", "false", "off", "0"}
MENTION = re.compile(r"^<[#@]&?([A-Za-z0-9]+)(?:\|[^>]*)?>$")  # <#C123|general>, <@&123>, <#123>
MEMBER_MENTION = re.compile(r"^<@!?([A-Za-z0-9]+)(?:\|([^>]*))?>$")  # <@U123>, <@U123|bob>, <@!123> (Discord's old form)
TYPED_NAME = re.compile(r"^@?([A-Za-z0-9][A-Za-z0-9._-]{0,63})$")
NAMED_BY_NAME = frozenset({"console"})  # platforms whose member id is the name a person types (`--user alice`)


def coerce_all(spec: CommandSpec, raw: Mapping[str, Any], *, platform: str = "") -> dict[str, Any]:
    """Every option's value, or the first friendly error. `platform` ('discord', 'slack', 'console') is where the
    command was typed: a member named in it is a member there."""
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
        values[option.name] = coerce(option, value, platform=platform)
    return values


def coerce(option: Option, value: Any, *, platform: str = "") -> Any:
    kind = option.kind
    if kind == "member":
        return _member(option, value, platform)
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


def _member(option: Option, value: Any, platform: str) -> Member:
    """A Member named by a mention (or, on the console, a name); anything else is refused with what to type."""
    if isinstance(value, Member):  # resolved by the platform (Discord): its name came from outside, so it is cleaned
        return Member(clean(value.id), clean(value.name)[:MAX_NAME])
    if not platform:
        raise ValueError(f"`{option.name}` is a member option: coerce it with the platform it was typed on")
    text = str(value).strip()
    mention = MEMBER_MENTION.match(text)
    if mention:
        return Member(namespaced(platform, mention[1]), (mention[2] or "").strip()[:MAX_NAME])
    typed = TYPED_NAME.match(text) if platform in NAMED_BY_NAME else None
    if typed:
        return Member(namespaced(platform, typed[1]), typed[1])
    raise UserError(f"`{option.name}` takes a mention, like @alice.")


def _boolean(option: Option, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in TRUE_WORDS | FALSE_WORDS:
        return word in TRUE_WORDS
    raise UserError(f"`{option.name}` takes yes or no (true/false and on/off work too), like `{option.name}:yes`.")


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
        return f"between {_bound(low)} and {_bound(high)}"
    return f"at least {_bound(low)}" if low is not None else f"at most {_bound(high)}"


def _bound(limit: float | None) -> str:
    """A limit as a person reads it: "1,000,000,000", not `:g`'s "1e+09"."""
    assert limit is not None
    return f"{int(limit):,}" if float(limit).is_integer() else f"{limit:,}"
