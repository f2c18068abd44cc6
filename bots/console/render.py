"""Replies as terminal text. Buttons print as [LABEL]; typing that label presses it."""

from __future__ import annotations

import re

from core.replies import Reply

_BOLD = re.compile(r"\*\*(.+?)\*\*", re.DOTALL)
_MENTION = re.compile(r"<([#@])&?([^>|]+)(?:\|[^>]*)?>")


def plain(text: str) -> str:
    return _MENTION.sub(r"\1\2", _BOLD.sub(r"\1", text))


def render(reply: Reply) -> str:
    lines: list[str] = []
    if reply.text:
        lines.append(plain(reply.text))
    for card in reply.cards:
        lines.append(f"┌─ {plain(card.title)}")
        body = [plain(card.body)] if card.body else []
        for field in card.fields:
            body.append(f"{plain(field.name)}:\n  " + plain(field.value).replace("\n", "\n  "))
        for block in body:
            lines.extend(f"│ {line}".rstrip() for line in block.split("\n"))
        if card.footer:
            lines.append(f"│ — {plain(card.footer)}")
        lines.append("└─")
    if reply.buttons:
        lines.append(" ".join(f"[{b.label}]" for b in reply.buttons))
    if reply.private:
        lines.append("(only you can see this)")
    return "\n".join(lines)
