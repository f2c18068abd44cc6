"""`rounds console`: a REPL on stdin. Not a TTY → one line at a time, each reply printed, exit 0 at end of input."""

from __future__ import annotations

import asyncio
import shutil
import sys
from typing import TextIO

from bots.console.notifier import ConsoleNotifier
from bots.console.render import render
from bots.console.session import ConsoleSession
from commands.dispatch import Dispatcher
from commands.registry import load_catalog
from commands.runtime import start_duties
from core.bootstrap import build
from core.clock import Clock
from core.settings import Settings

BANNER = "Rounds console — type /help for commands, /qotd for today's question, Ctrl-D to quit."


async def run_console(user: str, community: str, admin: bool, stdin: TextIO = sys.stdin, out: TextIO = sys.stdout,
                      clock: Clock | None = None) -> int:
    services = await build(Settings.from_env(), clock=clock)
    catalog = load_catalog()
    session = ConsoleSession(services, Dispatcher(catalog), user=user, community=community, admin=admin)
    interactive = stdin.isatty()
    width = shutil.get_terminal_size().columns if interactive else None
    try:
        await start_duties(services, [ConsoleNotifier(out)], catalog)
        if interactive:
            print(BANNER, file=out)
        loop = asyncio.get_running_loop()
        while True:
            if interactive:
                print("> ", end="", file=out, flush=True)
            line = await loop.run_in_executor(None, stdin.readline)
            if not line:
                break
            reply = await session.send(line)
            if reply is not None:
                print(render(reply, width), file=out, flush=True)
    finally:
        await services.close()
    return 0
