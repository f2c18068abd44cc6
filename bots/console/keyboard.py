"""Lines typed at the console, read by the event loop itself.

A worker thread blocked in `stdin.readline()` cannot be interrupted: the first Ctrl-C waited for it, and the second
ended the process with a traceback. Here the loop watches standard input (`add_reader`) and reads only what is
there, so nothing blocks, and Ctrl-C (a signal handler) comes out of `readline` as `INTERRUPTED` at once. Input the
loop cannot watch (a regular file, a StringIO in tests) is read in a worker thread: it never blocks for long.
"""

from __future__ import annotations

import asyncio
import codecs
import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

INTERRUPTED = "\x03"  # what `readline` gives for Ctrl-C: no line anyone can type (the terminal turns it into SIGINT)
CHUNK = 65536


class Keyboard:
    def __init__(self, stdin: TextIO, loop: asyncio.AbstractEventLoop) -> None:
        self.stdin = stdin
        self.loop = loop
        self.interrupted = False
        self._lines: asyncio.Queue[str] = asyncio.Queue()
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._partial = ""
        self._ended = False
        self._fd = self._watch()
        self._trapped = self._trap_interrupt()

    @classmethod
    @contextmanager
    def open(cls, stdin: TextIO) -> Iterator[Keyboard]:
        keys = cls(stdin, asyncio.get_running_loop())
        try:
            yield keys
        finally:
            keys.close()

    async def readline(self) -> str:
        """The next line with its newline, '' at the end of input, or `INTERRUPTED` after Ctrl-C."""
        if self.interrupted:
            return INTERRUPTED
        if self._fd is None:
            return await self.loop.run_in_executor(None, self.stdin.readline)
        if self._ended and self._lines.empty():
            return ""
        line = await self._lines.get()
        return INTERRUPTED if self.interrupted else line

    def close(self) -> None:
        self._unwatch()
        if self._trapped:
            self.loop.remove_signal_handler(signal.SIGINT)
            self._trapped = False

    def _watch(self) -> int | None:
        try:
            fd = self.stdin.fileno()
            self.loop.add_reader(fd, self._readable, fd)
        except (OSError, ValueError):  # no descriptor (StringIO), or one epoll cannot watch (a regular file)
            return None
        return fd

    def _unwatch(self) -> None:
        if self._fd is not None and not self._ended:
            self.loop.remove_reader(self._fd)

    def _readable(self, fd: int) -> None:
        try:
            data = os.read(fd, CHUNK)
        except BlockingIOError:
            return
        except OSError:  # EIO: the terminal went away, which ends the input like Ctrl-D
            data = b""
        self._partial += self._decoder.decode(data, final=not data)
        *lines, self._partial = self._partial.split("\n")
        for line in lines:
            self._lines.put_nowait(line + "\n")
        if not data:  # end of input: what was typed without a newline still counts, then ''
            if self._partial:
                self._lines.put_nowait(self._partial)
            self._unwatch()
            self._ended = True
            self._lines.put_nowait("")

    def _trap_interrupt(self) -> bool:
        try:
            self.loop.add_signal_handler(signal.SIGINT, self._interrupt)
        except (RuntimeError, ValueError, NotImplementedError):  # not the main thread, or no signals here
            return False
        return True

    def _interrupt(self) -> None:
        self.interrupted = True
        self._lines.put_nowait(INTERRUPTED)  # wakes a readline that is waiting
