"""Duties' messages in the terminal: channel posts and direct messages are printed as they happen.

The console has one reader, so both kinds go to the same stream, each under a line that says where it would have
gone. Printing cannot be refused, so nothing here raises `Undeliverable`. Images are saved as files (see render).

The screen has to read in the order things happened to the person at it: a post that a command set off (`/rounds
channel` after today's time) is held while the command is handled and printed after its reply (`holding`), and a
post printed while the prompt waits for input redraws the prompt below it. Whoever is at the console (`Audience`)
hears of each message as it is printed, so its buttons are the ones a typed `[C]` presses.

A screen cannot change what it already printed: an edit prints the message again, whole, under the heading of its
post marked "(updated)", and whoever is at the console sees it as a post (its buttons are the ones now on screen).
A post's id is a counter of this notifier's; any id can be edited, since printing cannot be refused.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from itertools import count
from pathlib import Path
from typing import Protocol, TextIO

from bots.console.render import render
from commands.replies import Reply

PLATFORM = "console"


class Audience(Protocol):
    def saw_post(self, channel_id: str, reply: Reply) -> None: ...

    def saw_direct(self, member_id: str, reply: Reply) -> None: ...


class ConsoleNotifier:
    platform = PLATFORM

    def __init__(self, out: TextIO, files_dir: Path | None = None, *, width: int | None = None, prompt: str = "",
                 audience: Sequence[Audience] = ()) -> None:
        self.out = out
        self.files_dir = files_dir  # None: render's default (ROUNDS_FILES_DIR or the temporary directory)
        self.width = width  # None: no wrapping (not a terminal)
        self.prompt = prompt
        self.audience = list(audience)
        self.waiting = False  # the prompt is on screen: whatever prints now puts it back underneath
        self._held: list[Callable[[], None]] | None = None
        self._ids = count(1)  # the ids of posts: '1', '2', ...

    async def post(self, channel_id: str, reply: Reply, *, key: str | None = None,
                   since: datetime | None = None) -> str | None:
        """One process prints to one screen: a retry cannot find an earlier print, and needs no key."""
        self._show(f"📣 posted in #{channel_id}", reply, lambda who: who.saw_post(channel_id, reply))
        return str(next(self._ids))

    async def edit(self, channel_id: str, message_id: str, reply: Reply) -> None:
        self._show(f"📣 posted in #{channel_id} (updated)", reply, lambda who: who.saw_post(channel_id, reply))

    async def direct(self, member_id: str, reply: Reply) -> None:
        self._show(f"✉️ to {name_of(member_id)}", reply, lambda who: who.saw_direct(member_id, reply))

    @contextmanager
    def holding(self) -> Iterator[None]:
        """Messages delivered inside the block print when it ends, after the reply the block printed."""
        self._held = []
        try:
            yield
        finally:
            held, self._held = self._held, None
            for show in held:
                show()

    def _show(self, heading: str, reply: Reply, tell: Callable[[Audience], None]) -> None:
        def show() -> None:
            print(f"\n{heading}:\n{render(reply, self.width, directory=self.files_dir)}", file=self.out)
            for who in self.audience:
                tell(who)
            if self.waiting:
                print(self.prompt, end="", file=self.out)
            self.out.flush()

        if self._held is None:
            show()
        else:
            self._held.append(show)


def name_of(member_id: str) -> str:
    """'console:alice' -> 'alice'; any other id is shown whole."""
    platform, _, name = member_id.partition(":")
    return name if platform == PLATFORM and name else member_id
