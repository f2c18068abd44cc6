"""`rounds console`: a REPL on stdin. Not a TTY → one line at a time, each reply printed, exit 0 at end of input.

What a command sets off (a post, once `/rounds channel` is set after today's time) prints after the command's own
reply, and a post arriving while the prompt waits puts the prompt back under it (see ConsoleNotifier). Ctrl-D and
Ctrl-C both end the console with its prompt line closed; Ctrl-C says so in one line and exits 130, as shells expect.
"""

from __future__ import annotations

import shutil
import sys
from datetime import UTC, datetime
from typing import TextIO

from bots.console.keyboard import INTERRUPTED, Keyboard
from bots.console.notifier import ConsoleNotifier
from bots.console.render import render, wrap_lines
from bots.console.session import ConsoleSession
from commands.dispatch import Dispatcher
from commands.registry import load_catalog
from commands.runtime import start_duties
from core.bootstrap import build
from core.clock import Clock, ShiftedClock
from core.settings import Settings

BANNER = "Rounds console — type /help for commands, /qotd for today's question, Ctrl-D to quit."
PROMPT = "> "
STOPPED = "Stopped (Ctrl-C)."
EXIT_INTERRUPTED = 130


async def run_console(user: str, community: str, admin: bool, stdin: TextIO = sys.stdin, out: TextIO = sys.stdout,
                      clock: Clock | None = None, width: int | None = None, at: datetime | None = None) -> int:
    """`width` wraps text; an interactive terminal's own width when not given, none when not a terminal. `at`
    (`--at`) starts the clock at that instant, whatever ROUNDS_CLOCK_START says; it then runs at the wall clock's pace,
    and the duties that fell due before it (since the last run on this database) are caught up at start."""
    if at is not None:
        clock = ShiftedClock(at)
    services = await build(Settings.from_env(), clock=clock)
    catalog = load_catalog()
    session = ConsoleSession(services, Dispatcher(catalog), user=user, community=community, admin=admin)
    interactive = stdin.isatty()
    width = width or (shutil.get_terminal_size().columns if interactive else None)
    notifier = ConsoleNotifier(out, width=width, prompt=PROMPT if interactive else "", audience=(session,))
    try:
        await start_duties(services, [notifier], catalog)
        if interactive:
            print("\n".join(wrap_lines(banner(at), width)), file=out)
        with Keyboard.open(stdin) as keys:
            return await converse(session, notifier, keys, out)
    finally:
        await services.close()


def banner(at: datetime | None) -> str:
    """The greeting, and the moment the clock started at when `--at` moved it."""
    if at is None:
        return BANNER
    return f"{BANNER}\nClock: starting at {at.astimezone(UTC):%a %d %b %Y %H:%M} UTC (--at)."


async def converse(session: ConsoleSession, notifier: ConsoleNotifier, keys: Keyboard, out: TextIO) -> int:
    """Line by line until the end of input (0) or Ctrl-C (130)."""
    while True:
        print(notifier.prompt, end="", file=out, flush=True)
        notifier.waiting = bool(notifier.prompt)
        line = await keys.readline()
        notifier.waiting = False
        if line in ("", INTERRUPTED):
            return farewell(line, notifier, out)
        with notifier.holding():  # the reply first, then what its command set off
            reply = await session.send(line)
            if reply is not None:
                print(render(reply, notifier.width), file=out, flush=True)


def farewell(line: str, notifier: ConsoleNotifier, out: TextIO) -> int:
    """The prompt's line is closed, so the shell's own prompt starts on a line of its own."""
    if notifier.prompt:
        print(file=out)
    if line == INTERRUPTED:
        print(STOPPED, file=out, flush=True)
        return EXIT_INTERRUPTED
    out.flush()
    return 0
