"""`rounds slack` stops within a few seconds of SIGTERM in every state, as a real process: while Slack refuses
connections (with one line per failed attempt, and backoff, never a traceback), while Slack accepts the connection and
never answers, and after a Socket Mode connection is lost. Only loopback addresses are used.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from testkit.slack_process import free_port
from testkit.standins.slack_standin import SlackStandIn
from tests.adapters.test_slack_adapter import (  # noqa: F401  (fixture: no proxy for 127.0.0.1)
    _ROOT,
    APP_TOKEN,
    BOT_TOKEN,
    SECRET,
    _no_proxy_env,
)

STOPPED_WITHIN = 5.0  # seconds from SIGTERM to exit (the in-flight grace is 5 s; nothing is in flight here)
ATTEMPT = re.compile(r"Slack could not be reached \(attempt (\d+): [A-Za-z]+\); trying again in (\d+) s")


def env_for(api_url: str, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy") and not k.startswith("SLACK_")}
    env.update(SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_APP_TOKEN=APP_TOKEN, SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=api_url,
               ROUNDS_DB=str(tmp_path / "stop.db"), ROUNDS_HTTP_HOST="127.0.0.1", PYTHONUNBUFFERED="1")
    return env


class Running:
    """A `rounds slack` process whose stderr is read as it comes."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.lines: list[str] = []
        self._reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        assert self.process.stderr is not None
        async for line in self.process.stderr:
            self.lines.append(line.decode(errors="replace").rstrip())

    async def wait_for(self, condition: Callable[[list[str]], bool], timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition(self.lines):
            if self.process.returncode is not None or time.monotonic() > deadline:
                raise AssertionError("never happened; stderr:\n" + "\n".join(self.lines[-20:]))
            await asyncio.sleep(0.05)

    async def terminate(self) -> float:
        """SIGTERM, then seconds until the process was gone (it is killed after 15 s, failing the test)."""
        began = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.process.wait(), 15)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
        took = time.monotonic() - began
        await asyncio.wait_for(self._reader, 5)
        return took

    @property
    def stderr(self) -> str:
        return "\n".join(self.lines)


@asynccontextmanager
async def rounds_slack(api_url: str, tmp_path: Path, *args: str) -> AsyncIterator[Running]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bots.cli", "slack", *args, cwd=_ROOT, env=env_for(api_url, tmp_path),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    running = Running(process)
    try:
        yield running
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


@asynccontextmanager
async def silent_server() -> AsyncIterator[int]:
    """A port on 127.0.0.1 that accepts connections and never says a word: a Slack that hangs."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    try:
        yield int(server.getsockname()[1])
    finally:
        server.close()


async def test_socket_mode_stops_on_sigterm_while_slack_refuses_connections_logging_each_attempt_once(tmp_path: Path) -> None:
    closed = free_port()  # nothing listens there
    async with rounds_slack(f"http://127.0.0.1:{closed}/api/", tmp_path) as running:
        await running.wait_for(lambda lines: sum(bool(ATTEMPT.search(line)) for line in lines) >= 2)
        took = await running.terminate()

    assert running.process.returncode == 0 and took < STOPPED_WITHIN, (took, running.stderr[-2000:])
    attempts = [ATTEMPT.search(line) for line in running.lines]
    found = [(int(m.group(1)), int(m.group(2))) for m in attempts if m]
    assert found[:2] == [(1, 1), (2, 2)]  # one line an attempt, each wait twice the last
    assert "Traceback" not in running.stderr  # the old code logged one every 10 s and ignored SIGTERM
    assert BOT_TOKEN not in running.stderr and APP_TOKEN not in running.stderr


@pytest.mark.parametrize("mode", [(), ("--http", "--port", "0")], ids=["socket-mode", "http"])
async def test_stops_on_sigterm_while_slack_accepts_and_never_answers(tmp_path: Path, mode: tuple[str, ...]) -> None:
    async with silent_server() as port, rounds_slack(f"http://127.0.0.1:{port}/api/", tmp_path, *mode) as running:
        await asyncio.sleep(2.0)  # well into auth.test, whose timeout is 30 s
        assert running.process.returncode is None
        took = await running.terminate()
    assert running.process.returncode == 0 and took < STOPPED_WITHIN, (took, running.stderr[-2000:])
    assert "Traceback" not in running.stderr


async def test_socket_mode_stops_on_sigterm_after_slack_went_away(tmp_path: Path) -> None:
    async with SlackStandIn() as slack, rounds_slack(slack.api_url, tmp_path) as running:
        await slack.wait_connected(timeout=10)
        await running.wait_for(lambda lines: any("connected to Slack" in line for line in lines))
        await slack.stop()  # the websocket closes and the Web API stops answering
        await asyncio.sleep(1.0)
        took = await running.terminate()
    assert running.process.returncode == 0 and took < STOPPED_WITHIN, (took, running.stderr[-2000:])
    assert "Traceback" not in running.stderr
