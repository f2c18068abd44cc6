"""DATABASE_URL: `rounds` on PostgreSQL as a person runs it, and every URL that cannot work ending in one line and
exit 2, within seconds, never a traceback, never the password."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from core.storage.database import CONNECT_TIMEOUT, Database
from core.storage.migrations import MIGRATIONS
from core.storage.schema import daily_posts

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "secret"


def rounds(*args: str, url: str, tmp_path: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """`rounds ARGS` with DATABASE_URL set, and ROUNDS_DB beside it (which DATABASE_URL must win over)."""
    env = {**os.environ, "DATABASE_URL": url, "ROUNDS_DB": str(tmp_path / "unused.db"), "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "bots.cli", *args], input=stdin, capture_output=True, text=True,
                          env=env, timeout=60, cwd=ROOT)


async def test_the_console_runs_on_the_postgresql_database_url_names(pg_database: str, tmp_path: Path):
    first = rounds("console", "--user", "alice", url=pg_database, tmp_path=tmp_path, stdin="/qotd\n")
    assert first.returncode == 0, first.stderr
    assert "Question of the day" in first.stdout and "[A] [B] [C] [D] [E]" in first.stdout
    second = rounds("console", "--user", "bob", url=pg_database, tmp_path=tmp_path, stdin="/qotd\n")
    assert second.returncode == 0, second.stderr
    title = next(line for line in first.stdout.splitlines() if "Question of the day" in line)
    assert title in second.stdout  # the other process serves the same day's post from the same database

    db = await Database(pg_database).open()
    try:
        assert (await db.fetchone(select(func.count().label("n")).select_from(daily_posts)))["n"] == 1
    finally:
        await db.close()
    assert not (tmp_path / "unused.db").exists()


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A port that takes the TCP connection and then never says a word: the case that would hang without a timeout."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield f"postgresql://u:{PASSWORD}@127.0.0.1:{listener.getsockname()[1]}/rounds"


BAD_URLS = {
    "bad-host": (f"postgresql://u:{PASSWORD}@[bad", "cannot be used"),
    "mysql": ("mysql://x", "names a mysql database; Rounds runs on PostgreSQL"),
    "bad-port": (f"postgres://u:{PASSWORD}@host:notaport/x", "is not a URL Rounds can read"),
    "refused": (f"postgresql://u:{PASSWORD}@127.0.0.1:1/x", "Connect call failed"),
    "silent": ("silent", f"did not answer within {CONNECT_TIMEOUT} s"),
}
COMMANDS = {"console": ("console",), "content": ("content", "list", "--community", "x")}
CASES = [pytest.param(COMMANDS[command], *BAD_URLS[case], id=f"{command}-{case}")
         for command in COMMANDS for case in BAD_URLS if command == "console" or case in ("mysql", "refused")]


@pytest.mark.parametrize("command, url, says", CASES)
def test_a_url_that_cannot_work_is_one_line_and_exit_2(request, tmp_path: Path, command: tuple[str, ...], url: str,
                                                         says: str):
    if url == "silent":
        url = request.getfixturevalue("silent_server")
    started = time.monotonic()
    done = rounds(*command, url=url, tmp_path=tmp_path, stdin="/qotd\n")
    elapsed = time.monotonic() - started
    assert done.returncode == 2 and done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and says in lines[0], done.stderr
    assert "Traceback" not in done.stderr and PASSWORD not in done.stderr
    assert elapsed < 15
    assert not (tmp_path / "unused.db").exists()


async def test_a_postgresql_database_from_a_newer_rounds_stops_the_console_with_one_line(pg_database: str,
                                                                                        tmp_path: Path):
    db = await Database(pg_database).open()
    try:
        await db.execute(text("INSERT INTO rounds_schema (version) VALUES (:v)"), {"v": len(MIGRATIONS) + 1})
    finally:
        await db.close()
    done = rounds("console", url=pg_database, tmp_path=tmp_path, stdin="/qotd\n")
    assert done.returncode == 2 and done.stdout == "" and len(done.stderr.strip().splitlines()) == 1
    assert "made by a newer Rounds" in done.stderr and "Traceback" not in done.stderr
