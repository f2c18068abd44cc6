"""`rounds console` at a real terminal (a pseudo-terminal): Ctrl-C and Ctrl-D end it cleanly, markup never shows,
and a post a command sets off prints after the command's reply, wrapped, with the prompt redrawn under it."""

from __future__ import annotations

import asyncio
import io
import os
import pty
import re
import select
import sys
import time
from collections.abc import Iterator

import pytest

from bots.console.run import BANNER, PROMPT, STOPPED, run_console
from core.clock import FrozenClock

DEADLINE = 30.0  # seconds; a loaded machine starts Python slowly
READY = BANNER.split()[-1] + "\n" + PROMPT  # the banner's end (it wraps at the width), then the prompt


class Terminal:
    """`rounds console` as a child on a pseudo-terminal, which is its controlling terminal: typing ^C sends SIGINT."""

    def __init__(self, db: str, *args: str) -> None:
        env = dict(os.environ, ROUNDS_DB=db, COLUMNS="80")
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child
            os.execvpe(sys.executable, [sys.executable, "-m", "bots.cli", "console", *args], env)
        self.seen = ""

    def type(self, keys: str) -> None:
        os.write(self.fd, keys.encode())

    def read_until(self, wanted: str) -> str:
        end = time.monotonic() + DEADLINE
        while wanted not in self.seen and self._read(end - time.monotonic()):
            pass
        assert wanted in self.seen, self.seen
        return self.seen

    def exit_status(self) -> int:
        end = time.monotonic() + DEADLINE
        while time.monotonic() < end:
            self._read(0.1)
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                while self._read(0.2):
                    pass
                return os.waitstatus_to_exitcode(status)
        raise AssertionError(f"still running: {self.seen!r}")

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.fd], [], [], max(timeout, 0))
        if not ready:
            return False
        try:
            data = os.read(self.fd, 65536)
        except OSError:  # the child is gone
            return False
        self.seen += data.decode(errors="replace").replace("\r\n", "\n")
        return bool(data)

    def close(self) -> None:
        try:
            os.kill(self.pid, 9)
            os.waitpid(self.pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        os.close(self.fd)


@pytest.fixture
def terminal(tmp_path) -> Iterator[Terminal]:
    term = Terminal(str(tmp_path / "console.db"), "--user", "alice")
    yield term
    term.close()


def test_ctrl_c_quits_at_once_with_one_line(terminal: Terminal) -> None:
    terminal.read_until(READY)
    terminal.type("\x03")
    assert terminal.exit_status() == 130
    after = terminal.seen.split(READY, 1)[1]
    assert "Traceback" not in after and after.strip().splitlines()[-1] == STOPPED, after
    assert len([line for line in after.splitlines() if line.strip() not in ("", "> ^C", "^C")]) == 1, after


def test_ctrl_c_after_a_command_quits_too(terminal: Terminal) -> None:
    terminal.read_until(PROMPT)
    terminal.type("/help\n")
    terminal.read_until("(only you can see this)\n" + PROMPT)
    terminal.type("\x03")
    assert terminal.exit_status() == 130 and "Traceback" not in terminal.seen


def test_ctrl_d_closes_the_prompt_line(terminal: Terminal) -> None:
    terminal.read_until(READY)
    terminal.type("\x04")
    assert terminal.exit_status() == 0
    assert terminal.seen.endswith(PROMPT + "\n"), terminal.seen


def test_help_and_errors_show_no_markdown(terminal: Terminal) -> None:
    terminal.read_until(PROMPT)
    terminal.type("/help\n")
    terminal.read_until("(only you can see this)\n" + PROMPT)
    terminal.type("/rounds time 07:00\n")
    terminal.type("hello\n")
    terminal.type("/help rounds time\n")
    terminal.read_until("/rounds time time:<time>\n")
    terminal.type("\x04")
    assert terminal.exit_status() == 0
    shown = terminal.seen
    words = " ".join(shown.split())  # lines wrap at the terminal's width
    assert "/qotd" in words and "Only community admins" in words and "rounds console --admin" in words, shown
    assert "`" not in shown and "**" not in shown, shown


async def test_a_post_set_off_by_a_command_prints_after_its_reply_wrapped_with_the_prompt_back(
        tmp_path, monkeypatch: pytest.MonkeyPatch, clock: FrozenClock) -> None:
    monkeypatch.setenv("ROUNDS_DB", str(tmp_path / "console.db"))
    master, slave = os.openpty()
    out = io.StringIO()
    with os.fdopen(slave, "r") as stdin:
        console = asyncio.create_task(run_console("ada", "default", True, stdin=stdin, out=out, clock=clock, width=60))
        try:
            await wait_for(out, PROMPT)
            os.write(master, b"/rounds channel\n")  # 10:00, after today's 09:00: the day's post goes out now
            await wait_for(out, "[A] [B] [C] [D] [E]\n" + PROMPT)
            os.write(master, b"\x04")
            assert await asyncio.wait_for(console, DEADLINE) == 0
        finally:
            console.cancel()
            os.close(master)
    shown = out.getvalue()
    reply_at, post_at = shown.index("(only you can see this)"), shown.index("📣 posted in #general")
    assert reply_at < post_at, shown  # the confirmation first, then the post it set off
    assert re.search(r"\[A\] \[B\] \[C\] \[D\] \[E\]\n> \n$", shown), shown  # the prompt redrawn; Ctrl-D closes it
    assert all(len(line) <= 60 for line in shown.splitlines()), shown


async def wait_for(out: io.StringIO, wanted: str) -> None:
    end = time.monotonic() + DEADLINE
    while wanted not in out.getvalue():
        assert time.monotonic() < end, out.getvalue()
        await asyncio.sleep(0.02)
