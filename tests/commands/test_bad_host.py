"""Start-up on a bad host: every failure is one line and a non-zero exit within a second, never a hang."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.storage.database import Database, StorageError

ROOT = Path(__file__).resolve().parents[2]


def rounds(*args: str, db: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ROUNDS_DB": db, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "bots.cli", *args], input=stdin, capture_output=True, text=True,
                          env=env, timeout=20, cwd=ROOT)


@pytest.mark.parametrize("make", ["not a database", "missing folder"])
def test_a_file_that_is_no_database_ends_the_console_with_one_line(tmp_path: Path, make: str):
    if make == "not a database":
        db = tmp_path / "notadb.db"
        db.write_text("hello\n")
    else:
        db = tmp_path / "missing" / "x.db"
    done = rounds("console", db=str(db), stdin="/qotd\n")
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "cannot be used as the Rounds database" in done.stderr
    assert "Traceback" not in done.stderr


def test_content_import_on_a_bad_path_is_one_line(tmp_path: Path):
    source = ROOT / "content" / "questions" / "step1-cardiovascular.json"
    mine = tmp_path / "mine.json"
    mine.write_text(json.dumps({"schema": 1, "questions": json.loads(source.read_text())["questions"][:1]}))
    done = rounds("content", "import", str(mine), "--community", "x", db=str(tmp_path / "missing" / "x.db"))
    assert done.returncode == 2 and "Traceback" not in done.stderr and "Event loop is closed" not in done.stderr


async def test_a_database_from_a_newer_rounds_is_refused(tmp_path: Path):
    import sqlite3

    path = tmp_path / "newer.db"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 999")
    with pytest.raises(StorageError, match="newer Rounds"):
        await Database(str(path)).open()
