"""`rounds console`: a REPL on stdin. Not a TTY → one line at a time, each reply printed, exit 0 at end of input."""

from __future__ import annotations

import asyncio
import shutil
import sys
from typing import TextIO

from bots.console.render import render
from bots.console.session import ConsoleSession
from commands.dispatch import Dispatcher
from commands.registry import load_catalog
from core.bootstrap import build
from core.replies import Reply
from core.settings import Settings

BANNER = "Rounds console — type /help for commands, /qotd for today's question, Ctrl-D to quit."


class PrintingNotifier:
    """Scheduled channel posts, printed as they happen."""

    def __init__(self, out: TextIO) -> None:
        self.out = out

    async def post(self, community_id: str, channel_id: str, reply: Reply) -> None:
        print(f"\n📣 posted in #{channel_id}:\n{render(reply)}", file=self.out, flush=True)


async def run_console(user: str, community: str, admin: bool, stdin: TextIO = sys.stdin, out: TextIO = sys.stdout) -> int:
    services = await build(Settings.from_env(), notifier=PrintingNotifier(out))
    session = ConsoleSession(services, Dispatcher(load_catalog()), user=user, community=community, admin=admin)
    interactive = stdin.isatty()
    width = shutil.get_terminal_size().columns if interactive else None
    try:
        await services.start_scheduler()
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
