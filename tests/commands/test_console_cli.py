"""`rounds console` as a newcomer runs it: piped stdin, one reply per line, exit 0 at end of input."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime

from core.clock import shifted_environment

# The process runs as if it were 10:00 UTC on a Tuesday: after the 09:00 post, long before its reveal.
START = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def run_console(tmp_path, lines: str, *args: str, **env_vars: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ROUNDS_DB": str(tmp_path / "console.db"), **shifted_environment(START), **env_vars}
    return subprocess.run([sys.executable, "-m", "bots.cli", "console", *args], input=lines, env=env,
                          capture_output=True, text=True, timeout=60)


def test_console_is_scriptable(tmp_path):
    done = run_console(tmp_path, "/qotd\n[C]\n[D]\n/qotd-stats\n", "--user", "alice")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "Question of the day · Tue 24 Nov 2026" in out and "[A] [B] [C] [D] [E]" in out
    assert "You chose C." in out and "Changed to D" in out and "revealed at Tue 24 Nov, 22:00 UTC" in out
    assert "Answered:\n  1" in out.replace("│ ", "")


def test_console_admin_flag_and_a_shared_database(tmp_path):
    refused = run_console(tmp_path, "/rounds time 07:00\n", "--user", "bob")
    assert "Only community admins" in refused.stdout
    allowed = run_console(tmp_path, "/rounds time 07:00\n/rounds settings\n", "--user", "ada", "--admin")
    assert "07:00 UTC" in allowed.stdout
    assert os.path.exists(tmp_path / "console.db")


def test_a_clock_start_that_is_not_an_instant_is_one_line_and_exit_2(tmp_path):
    done = run_console(tmp_path, "/qotd\n", ROUNDS_CLOCK_START="tuesday morning")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip().splitlines() == [
        "ROUNDS_CLOCK_START needs an ISO-8601 instant with a zone, like 2026-03-08T06:30:00Z; got 'tuesday morning'"]
