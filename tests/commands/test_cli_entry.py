"""The `rounds` entry point run as a process: its version, and the help of a command group given no action."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def rounds(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run([sys.executable, "-m", "bots.cli", *args], capture_output=True, text=True, env=full,
                          timeout=30, cwd=ROOT)


def test_version_prints_the_installed_version() -> None:
    done = rounds("--version")
    assert done.returncode == 0
    assert done.stdout.strip() == f"rounds {version('rounds')}"


def test_content_with_no_action_prints_the_content_help_and_exits_2() -> None:
    done = rounds("content")
    assert done.returncode == 2
    assert "usage: rounds content" in done.stdout
    for action in ("check", "import", "list", "remove"):
        assert action in done.stdout
    assert "console" not in done.stdout  # not the top-level help
