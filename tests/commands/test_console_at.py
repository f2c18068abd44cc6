"""`rounds console --at INSTANT`: the console's clock starts at that instant and runs on at the wall clock's pace, so
schedules can be tried without waiting for the day to pass. Runs at increasing instants against one ROUNDS_DB are one
bot living through those moments: what fell due between two runs is caught up when the later one starts."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import UTC, datetime

import pytest

from core.clock import shifted_environment
from tests.commands.test_console_terminal import Terminal

POSTED = "📣 posted in #general"


def console(tmp_path, lines: str, *args: str) -> subprocess.CompletedProcess[str]:
    """The real `rounds console`, piped, on tmp_path's database. The environment keeps the shared shifted timeline
    the test session gives every process (24 Nov 2026): `--at` must win over it."""
    env = {**os.environ, "ROUNDS_DB": str(tmp_path / "console.db"),
           **shifted_environment(datetime(2026, 11, 24, 10, 0, tzinfo=UTC))}
    return subprocess.run([sys.executable, "-m", "bots.cli", "console", *args], input=lines, env=env,
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("value", ["tuesday", "2026-03-08T06:30:00", "2026-03-08", "", "2026-13-40T06:30:00Z"])
def test_a_value_that_is_not_an_instant_with_a_zone_is_one_line_and_exit_2(tmp_path, value: str) -> None:
    done = console(tmp_path, "/qotd\n", "--at", value)
    assert done.returncode == 2 and done.stdout == "", done.stderr
    assert done.stderr.splitlines() == [
        f"--at needs an ISO-8601 instant with a zone, like 2026-03-08T06:30:00Z; got {value!r}"]
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "console.db").exists()  # refused before the database is opened


def test_an_instant_beyond_the_years_a_clock_can_live_through_is_refused(tmp_path) -> None:
    done = console(tmp_path, "/qotd\n", "--at", "9999-12-31T23:59:59Z")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.splitlines() == ["--at needs an instant from 1970 to 8999; got '9999-12-31T23:59:59Z'"]


def test_the_console_runs_at_the_instant_given_with_an_offset(tmp_path) -> None:
    # 01:30 in New York is 06:30 UTC, before the default 09:00 UTC post: today's question is Sunday's, its reveal
    # at 21:00 UTC, 12 hours after the post; an answer can be changed for a few seconds after 06:30.
    done = console(tmp_path, "/qotd\n[C]\n", "--at", "2026-03-08T01:30:00-05:00")
    assert done.returncode == 0, done.stderr
    assert "Question of the day · Sun 08 Mar 2026" in done.stdout
    assert re.search(r"Tap another letter until 06:3\d:\d\d UTC to change it", done.stdout), done.stdout
    assert "revealed at Sun 8 Mar, 21:00 UTC" in done.stdout
    assert "Nov 2026" not in done.stdout  # not the environment's timeline


def test_runs_at_increasing_instants_on_one_database_are_one_bot(tmp_path) -> None:
    first = console(tmp_path, "/rounds channel\n/rounds time 09:00\n", "--user", "ada", "--admin",
                    "--at", "2026-03-08T06:30:00Z")
    assert first.returncode == 0, first.stderr
    assert "posted at 09:00 UTC" in first.stdout and POSTED not in first.stdout  # 06:30: not due yet

    second = console(tmp_path, "[C]\n", "--user", "ada", "--at", "2026-03-08T09:05:00Z")
    assert second.returncode == 0, second.stderr
    assert second.stdout.count(POSTED) == 1  # 09:00 fell due between the runs: posted at start
    assert "Question of the day · Sun 08 Mar 2026" in second.stdout
    assert "You chose C." in second.stdout  # the caught-up post's buttons are pressable

    third = console(tmp_path, "", "--user", "ada", "--at", "2026-03-09T09:30:00Z")
    assert third.returncode == 0, third.stderr
    assert third.stdout.count(POSTED) == 2  # Sunday's reveal (21:00) and Monday's question, each once
    assert "Answer revealed · question of Sun 08 Mar 2026" in third.stdout
    assert "Question of the day · Mon 09 Mar 2026" in third.stdout
    assert "Question of the day · Sun 08 Mar 2026" not in third.stdout  # Sunday's question is not posted again

    fourth = console(tmp_path, "", "--user", "ada", "--at", "2026-03-09T09:40:00Z")
    assert fourth.returncode == 0, fourth.stderr
    assert POSTED not in fourth.stdout  # nothing new fell due: nothing is posted twice


def test_the_banner_says_when_the_clock_starts(tmp_path) -> None:
    terminal = Terminal(str(tmp_path / "console.db"), "--at", "2026-03-08T01:30:00-05:00")
    try:
        seen = terminal.read_until("(--at).")
        assert "Clock: starting at Sun 08 Mar 2026 06:30 UTC (--at)." in seen
        terminal.type("\x04")  # Ctrl-D
        assert terminal.exit_status() == 0
    finally:
        terminal.close()


def test_the_help_lists_at() -> None:
    done = subprocess.run([sys.executable, "-m", "bots.cli", "console", "--help"], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0
    assert "--at INSTANT" in done.stdout and "2026-03-08T06:30:00Z" in done.stdout
