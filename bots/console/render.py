"""Replies as terminal text. Buttons print as [LABEL]; typing that label presses it."""

from __future__ import annotations

import re
import textwrap

from core.replies import Reply

_BOLD = re.compile(r"\*\*(.+?)\*\*", re.DOTALL)
_MENTION = re.compile(r"<([#@])&?([^>|]+)(?:\|[^>]*)?>")


def plain(text: str) -> str:
    return _MENTION.sub(r"\1\2", _BOLD.sub(r"\1", text))


def render(reply: Reply, width: int | None = None) -> str:
    """With a width (an interactive terminal), card lines wrap under their bar instead of running off the edge."""
    lines: list[str] = []
    if reply.text:
        lines.append(plain(reply.text))
    for card in reply.cards:
        lines.append(f"┌─ {plain(card.title)}")
        body = [plain(card.body)] if card.body else []
        for field in card.fields:
            body.append(f"{plain(field.name)}:\n  " + plain(field.value).replace("\n", "\n  "))
        for block in body:
            for line in block.split("\n"):
                wrapped = textwrap.wrap(line, width - 2, subsequent_indent="  " if line.startswith("• ") else "") if width else []
                lines.extend(f"│ {part}".rstrip() for part in (wrapped or [line]))
        if card.footer:
            lines.append(f"│ — {plain(card.footer)}")
        lines.append("└─")
    if reply.buttons:
        lines.append(" ".join(f"[{b.label}]" for b in reply.buttons))
    if reply.private:
        lines.append("(only you can see this)")
    return "\n".join(lines)
