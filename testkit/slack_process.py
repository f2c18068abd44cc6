"""`rounds slack --http` as a real process on a free loopback port, for the crash test and the Slack benchmarks."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import sys
import time
from collections.abc import Mapping
from pathlib import Path

from aiohttp import ClientSession

from testkit.standins.slack_standin import SlackStandIn

ROOT = Path(__file__).resolve().parents[1]
EVENTS = "/slack/events"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def slack_env(slack: SlackStandIn, db_path: str, secret: str, **extra: str) -> dict[str, str]:
    """The process's environment: the stand-in's Web API, a signing secret, the database; no proxy for 127.0.0.1."""
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy") and not k.startswith("SLACK_")}
    env.update(SLACK_BOT_TOKEN="xoxb-testkit", SLACK_SIGNING_SECRET=secret, SLACK_API_URL=slack.api_url,
               ROUNDS_DB=db_path, ROUNDS_HTTP_HOST="127.0.0.1", PYTHONUNBUFFERED="1", PYTHONPATH=str(ROOT), **extra)
    return env


async def start_http(env: Mapping[str, str], *, timeout: float = 20.0,
                     stderr: int = asyncio.subprocess.DEVNULL) -> tuple[asyncio.subprocess.Process, str]:
    """Start it and wait until /healthz answers; returns the process and its events URL."""
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bots.cli", "slack", "--http", "--port", str(port), cwd=ROOT, env=dict(env),
        stdout=asyncio.subprocess.DEVNULL, stderr=stderr)
    base = f"http://127.0.0.1:{port}"
    async with ClientSession() as http:
        deadline = time.monotonic() + timeout
        while True:
            with contextlib.suppress(OSError):
                async with http.get(base + "/healthz") as resp:
                    if resp.status == 200:
                        return process, base + EVENTS
            if process.returncode is not None or time.monotonic() > deadline:
                raise RuntimeError("rounds slack --http did not come up")
            await asyncio.sleep(0.05)
