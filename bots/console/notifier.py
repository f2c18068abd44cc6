"""Duties' messages in the terminal: channel posts and direct messages are printed as they happen.

The console has one reader, so both kinds go to the same stream, each under a line that says where it would have
gone. Printing cannot be refused, so nothing here raises `Undeliverable`. Images are saved as files (see render).
"""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

from bots.console.render import render
from commands.replies import Reply

PLATFORM = "console"


class ConsoleNotifier:
    platform = PLATFORM

    def __init__(self, out: TextIO, files_dir: Path | None = None) -> None:
        self.out = out
        self.files_dir = files_dir  # None: render's default (ROUNDS_FILES_DIR or the temporary directory)

    async def post(self, channel_id: str, reply: Reply) -> None:
        self._print(f"📣 posted in #{channel_id}", reply)

    async def direct(self, member_id: str, reply: Reply) -> None:
        self._print(f"✉️ to {name_of(member_id)}", reply)

    def _print(self, heading: str, reply: Reply) -> None:
        print(f"\n{heading}:\n{render(reply, directory=self.files_dir)}", file=self.out, flush=True)


def name_of(member_id: str) -> str:
    """'console:alice' -> 'alice'; any other id is shown whole."""
    platform, _, name = member_id.partition(":")
    return name if platform == PLATFORM and name else member_id
