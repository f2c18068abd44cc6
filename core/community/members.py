"""Who is acting: a member's namespaced id and display name, and where they act from."""

from __future__ import annotations

from dataclasses import dataclass

from core.text import clean

MAX_NAME = 80


@dataclass(frozen=True)
class Member:
    id: str  # 'discord:1234', 'slack:U123', 'console:alice'
    name: str = ""

    @property
    def display(self) -> str:
        return clean(self.name)[:MAX_NAME] or self.id.split(":", 1)[-1]


def namespaced(platform: str, raw_id: str | int) -> str:
    return f"{platform}:{raw_id}"
