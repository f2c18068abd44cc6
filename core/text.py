"""Text helpers every layer shares: one way to shorten text and one way to strip our neutral markup.

Neutral markup is `**bold**`, backticks, "• " bullets, newlines and our own `<#channel>` / `<@&role>` / `<@member>`
mentions; adapters translate it. These two helpers are the only ones, so a limit or a marker is handled alike everywhere.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

ELLIPSIS = "…"
# lone surrogates, NUL and other controls, and the invisible marks that reorder or hide text (a name's "nimda" shown
# as "admin"): direction overrides and isolates, zero-width spaces and the byte-order mark (not the emoji joiner)
_UNSAFE = re.compile(r"[\ud800-\udfff\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_MENTION = re.compile(r"<([#@])&?([^>|]+)(?:\|[^>]*)?>")
_SPECIAL_MENTION = re.compile(r"<!([^>|]+)(?:\|[^>]*)?>")  # Slack's <!channel>, <!here>, <!subteam^…>
_MASKED_LINK = re.compile(r"\]\s*\(")  # Discord's [shown text](where it really goes)
_BLOCK_MARK = re.compile(r"^(?:-#|#{1,3}|>{1,3})\s+")  # Discord's heading, subtext and quote at a line's start


def clip(text: str, limit: int) -> str:
    """At most `limit` characters, ending in an ellipsis when something was cut."""
    text = text or ""
    if limit <= 0:
        return ""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + ELLIPSIS


def plain(text: str) -> str:
    """The text a person reads with no formatting: markers dropped, mentions shown as #id / @id."""
    return _MENTION.sub(r"\1\2", text.replace("**", "").replace("`", ""))


def one_line(text: str) -> str:
    """A member's text set inside our markup on cards, queues and posts (a session topic, a suggestion's title): one
    line of plain text, with no mention (`<@&group>`, `<!channel>`), no masked link (`[ECFMG official](https://elsewhere)`
    shows one address and opens another on Discord) and no heading or quote marker taking over the message."""
    line = " ".join(_SPECIAL_MENTION.sub(r"@\1", plain(clean(text or ""))).split())
    return _BLOCK_MARK.sub("", _MASKED_LINK.sub("] (", line))


def quote(typed: str, limit: int = 40) -> str:
    """What a person typed, short enough to quote back in an error and unable to break out of its backticks."""
    return clip(typed.strip().replace("`", "'"), limit)


def clean(text: str) -> str:
    """Text from outside, safe to store and show: lone surrogates (from a JSON '\\ud800' or bytes that were not
    UTF-8) become U+FFFD; control characters other than tab and newline, and invisible reordering marks, are
    dropped."""
    if _UNSAFE.search(text) is None:  # the usual case, on every press: no copy made
        return text
    return _UNSAFE.sub(lambda m: "\ufffd" if "\ud800" <= m.group(0) <= "\udfff" else "", text)


def closest(word: str, vocabulary: Iterable[str], n: int = 3, cutoff: float = 0.5) -> list[str]:
    """The words most like a mistyped one, for every 'did you mean' hint (a tag, a zone, a field, a platform)."""
    return difflib.get_close_matches(word, list(vocabulary), n=n, cutoff=cutoff)
