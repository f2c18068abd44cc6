"""`rounds discord` never warns about voice libraries (PyNaCl, davey): the bot has no voice feature."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import sys
from pathlib import Path

import discord
import pytest

from bots.discord.client import RoundsClient
from core.bootstrap import Services

ROOT = Path(__file__).resolve().parents[2]


async def test_a_start_prints_no_voice_warning(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a loopback port nobody listens on: the start gets as far as the first REST call
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("DISCORD_")} | {
        "PYTHONPATH": str(ROOT), "DISCORD_TOKEN": "abc", "DISCORD_API_BASE_URL": f"http://127.0.0.1:{port}/api/v10",
        "ROUNDS_DB": str(tmp_path / "rounds.db")}
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "bots.cli", "discord", cwd=ROOT, env=env,
                                                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    _, err = await asyncio.wait_for(proc.communicate(), timeout=20)
    text = err.decode()
    assert "Discord could not be reached" in text  # it did start
    assert "PyNaCl" not in text and "davey" not in text and "voice" not in text


def test_other_discord_client_warnings_still_show(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(discord.VoiceClient, "warn_nacl", True)
    monkeypatch.setattr(discord.VoiceClient, "warn_dave", True)
    with caplog.at_level(logging.WARNING, logger="discord.client"):
        RoundsClient(Services.__new__(Services), run_duties=False)
        logging.getLogger("discord.client").warning("something else")
    messages = [r.getMessage() for r in caplog.records]
    assert messages == ["something else"]
