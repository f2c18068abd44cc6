"""`rounds console` as a newcomer runs it: piped stdin, one reply per line, exit 0 at end of input."""

from __future__ import annotations

import os
import subprocess
import sys


def run_console(tmp_path, lines: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, ROUNDS_DB=str(tmp_path / "console.db"))
    return subprocess.run([sys.executable, "-m", "bots.cli", "console", *args], input=lines, env=env,
                          capture_output=True, text=True, timeout=60)


def test_console_is_scriptable(tmp_path):
    # The subprocess runs on the wall clock: a 48 h reveal keeps the day's answer unrevealed at any time of day.
    assert run_console(tmp_path, "/rounds reveal 48h\n", "--user", "ada", "--admin").returncode == 0
    done = run_console(tmp_path, "/qotd\n[C]\n[C]\n/qotd-stats\n", "--user", "alice")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "Question of the day" in out and "[A] [B] [C] [D] [E]" in out
    assert "already answered" in out
    assert "Answered:\n  1" in out.replace("│ ", "")


def test_console_admin_flag_and_a_shared_database(tmp_path):
    refused = run_console(tmp_path, "/rounds time 07:00\n", "--user", "bob")
    assert "Only community admins" in refused.stdout
    allowed = run_console(tmp_path, "/rounds time 07:00\n/rounds settings\n", "--user", "ada", "--admin")
    assert "07:00 UTC" in allowed.stdout
    assert os.path.exists(tmp_path / "console.db")
