"""The neutral reply every command returns. Adapters render it; nothing here knows a platform.

Button state lives in the custom id (and the database), never in memory, so a button still works after a restart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ButtonStyle = Literal["primary", "secondary", "success", "danger"]

CUSTOM_ID_PREFIX = "rounds"
CUSTOM_ID_LIMIT = 100  # Discord's limit; Slack allows 255, so the smaller one rules


@dataclass(frozen=True)
class Button:
    label: str
    action: str
    args: tuple[str, ...] = ()
    style: ButtonStyle = "secondary"

    @property
    def custom_id(self) -> str:
        cid = ":".join((CUSTOM_ID_PREFIX, self.action, *self.args))
        if len(cid) > CUSTOM_ID_LIMIT:
            raise ValueError(f"custom id too long: {cid[:40]}…")
        return cid


def decode_custom_id(custom_id: str) -> tuple[str, tuple[str, ...]] | None:
    """(action, args) from a custom id we made, or None for ids that are not ours."""
    parts = custom_id.split(":")
    if len(parts) < 2 or parts[0] != CUSTOM_ID_PREFIX or not parts[1]:
        return None
    return parts[1], tuple(parts[2:])


@dataclass(frozen=True)
class Field:
    name: str
    value: str
    inline: bool = True


@dataclass(frozen=True)
class Card:
    title: str
    body: str = ""
    fields: tuple[Field, ...] = ()
    footer: str = ""
    accent: str | None = None  # hex colour like "#2f80ed"; adapters may ignore it


@dataclass(frozen=True)
class Image:
    """One file a reply carries: a picture (a heatmap, as PNG) or a calendar (a session's `.ics`). Its bytes, the
    words that describe it for screen readers and for platforms that show no files, and the file name it is
    uploaded or saved under (whose extension says what it is)."""

    data: bytes
    alt: str
    filename: str = "image.png"


@dataclass(frozen=True)
class Reply:
    text: str = ""
    cards: tuple[Card, ...] = ()
    buttons: tuple[Button, ...] = ()
    private: bool = False  # ephemeral: only the person who asked sees it
    image: Image | None = None
    ping_roles: tuple[str, ...] = ()  # roles this one message may ping (the daily post's); all else pings nobody

    def plain_text(self) -> str:
        """A flat rendering for notifications, logs and platforms' fallback text."""
        parts = [self.text] if self.text else []
        for card in self.cards:
            parts.append(card.title)
            if card.body:
                parts.append(card.body)
            parts.extend(f"{f.name}: {f.value}" for f in card.fields)
            if card.footer:
                parts.append(card.footer)
        return "\n".join(parts)


def notice(text: str) -> Reply:
    """A short private message: confirmations and friendly errors."""
    return Reply(text=text, private=True)

