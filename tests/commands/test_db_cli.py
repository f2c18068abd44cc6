"""`rounds db …` run as processes: migrate, a community moved from a SQLite file to PostgreSQL by export and import
(the second export is the same file), refusals that are one line, exit 2 and write nothing, and forget-member."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from core.storage.migrations import MIGRATIONS
from tests.commands.test_cli_entry import ROOT


def rounds(*args: str, db: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """`rounds` on this database: a URL goes in DATABASE_URL, a path in ROUNDS_DB (with DATABASE_URL unset)."""
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "ROUNDS_DB")}
    env |= {"PYTHONPATH": str(ROOT), ("DATABASE_URL" if "://" in db else "ROUNDS_DB"): db}
    return subprocess.run([sys.executable, "-m", "bots.cli", *args], capture_output=True, text=True, env=env,
                          input=stdin, timeout=60, cwd=ROOT)


def refused(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 2, done.stderr
    assert done.stdout == "" and len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    return done.stderr.strip()


def test_migrate_says_the_version_reached_on_both_databases(database: str) -> None:
    with_password = database.replace("postgres@", "postgres:s3cret@", 1)  # the test server trusts: it is ignored
    done = rounds("db", "migrate", db=with_password)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith(f"is at schema version {len(MIGRATIONS)}, the latest this Rounds knows.")
    assert "s3cret" not in done.stdout + done.stderr


def test_a_console_community_moves_to_postgresql_and_its_export_is_the_same(tmp_path: Path, pg_database: str) -> None:
    sqlite = str(tmp_path / "rounds.db")
    played = rounds("console", "--user", "alice", db=sqlite,
                    stdin='/qotd\n[B]\n/qotd-report note:"option D has a typo"\n/privacy export\n')
    assert played.returncode == 0, played.stderr
    assert '"display_name": "alice"' in played.stdout and "Only you can see this" in played.stdout
    rounds("console", "--user", "bob", db=sqlite, stdin="/qotd\n[C]\n")
    first = rounds("db", "export", "--community", "console:default", db=sqlite)
    assert first.returncode == 0, first.stderr
    document = json.loads(first.stdout)
    assert [m["id"] for m in document["members"]] == ["console:alice", "console:bob"]
    assert sorted(a["choice"] for a in document["answers"]) == ["B", "C"] and len(document["reports"]) == 1
    exported = tmp_path / "community.json"
    exported.write_text(first.stdout)

    loaded = rounds("db", "import", str(exported), db=pg_database)
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.startswith("Imported console:default into ")
    assert "1 post, 2 answers, 0 own questions, 1 report, 2 new members" in loaded.stdout
    assert rounds("db", "export", "--community", "console:default", db=pg_database).stdout == first.stdout

    again = refused(rounds("db", "import", str(exported), db=pg_database))
    assert "console:default already exists in the database at" in again and "nothing was imported" in again
    assert rounds("db", "export", "--community", "console:default", db=pg_database).stdout == first.stdout

    forgot = rounds("db", "forget-member", "console:alice", db=pg_database)
    assert forgot.returncode == 0, forgot.stderr
    assert forgot.stdout.strip() == ("Forgot console:alice: 1 answer anonymised (their posts keep the counts), "
                                     "1 report, 1 activity record and 0 study-session records deleted with their streaks, member row deleted.")
    after = json.loads(rounds("db", "export", "--community", "console:default", db=pg_database).stdout)
    assert [m["id"] for m in after["members"]] == ["console:bob"] and after["reports"] == []
    assert sorted(a["choice"] for a in after["answers"]) == ["B", "C"]
    assert "console:alice" not in json.dumps(after)
    assert rounds("db", "forget-member", "console:alice", db=pg_database).stdout.strip() == (
        "Rounds keeps nothing about console:alice: nothing to erase.")


def test_a_bad_file_is_refused_in_one_line_and_nothing_is_written(tmp_path: Path) -> None:
    sqlite = str(tmp_path / "rounds.db")
    assert rounds("console", "--user", "alice", db=sqlite, stdin="/qotd\n[A]\n").returncode == 0
    good = json.loads(rounds("db", "export", "--community", "console:default", db=sqlite).stdout)
    target = str(tmp_path / "target.db")
    path = tmp_path / "bad.json"

    del good["posts"][0]["local_date"]
    path.write_text(json.dumps(good))
    assert refused(rounds("db", "import", str(path), db=target)).endswith("posts[0]: missing field 'local_date'.")
    path.write_text('{\n  "format": "rounds.community",\n  "version": 1,\n  oops\n}\n')
    assert "not valid JSON at line 4, column 3" in refused(rounds("db", "import", str(path), db=target))
    assert refused(rounds("db", "import", str(tmp_path / "missing.json"), db=target)).endswith("missing.json: no such file.")
    assert not Path(target).exists()  # refused before any database was opened

    gone = refused(rounds("db", "export", "--community", "console:elsewhere", db=sqlite))
    assert gone.startswith("console:elsewhere is not in the database at")
    assert "is not a member id" in refused(rounds("db", "forget-member", "alice", db=sqlite))
    assert "usage: rounds db" in rounds("db", db=sqlite).stdout
