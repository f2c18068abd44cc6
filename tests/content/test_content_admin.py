"""`rounds content` as an admin types it, run as a process: community ids held to the adapters' forms, what an
import really did, listing and removing a community's own questions, copies of bundled questions, and problems
placed by line."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bots.console.render import render
from bots.console.session import ConsoleSession
from commands.dispatch import Dispatcher
from commands.registry import load_catalog
from core.bootstrap import build
from core.questions.bank import load_bundled
from core.questions.model import LETTERS
from core.questions.taxonomy import load_taxonomy
from core.settings import Settings
from core.storage.schema import answers, daily_posts, questions
from tests.content.test_content_cli import GOOD, write_json

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = ROOT / "content" / "questions" / "step1-cardiovascular.json"


def rounds(*args: str, db: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ROUNDS_DB": str(db), "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "bots.cli", "content", *args], capture_output=True, text=True,
                          env=env, timeout=60, cwd=ROOT)


def unused_pair() -> tuple[str, str]:
    """A Step 1 system and basic-science discipline that no bundled question has together (the bank grows, so the
    pair is looked up, not written down)."""
    taxonomy = load_taxonomy()
    used = {(q.system, d) for q in load_bundled(taxonomy) for d in q.disciplines}
    return next((s, d) for s in taxonomy.systems for d in ("histology", "biochemistry", "anatomy", "genetics")
                if (s, d) not in used)


def question(n: int, **changes: Any) -> dict[str, Any]:
    return dict(GOOD, id=f"club-{n:03d}", stem=f"{GOOD['stem']} Case number {n}.", **changes)


async def community_rows(db: Path) -> list[tuple[str, str | None]]:
    services = await build(Settings(db_path=str(db)))
    try:
        rows = await services.db.fetchall(select(questions.c.id, questions.c.retired_at)
                                          .where(questions.c.community_id.is_not(None)).order_by(questions.c.id))
        return [(r["id"], r["retired_at"]) for r in rows]
    finally:
        await services.close()


def import_one(tmp_path: Path, community: str) -> subprocess.CompletedProcess[str]:
    file = write_json(tmp_path / "club.json", [question(1)])
    return rounds("import", str(file), "--community", community, db=tmp_path / "r.db")


# --- community ids ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("typed, says", [
    ("", "--community is empty"),
    ("   ", "--community is empty"),
    ("telegram:1", "'telegram' is not a platform Rounds serves"),
    ("discrod:1", "Did you mean discord:1?"),
    ("discord:abc", "a Discord server id is its digits"),
    ("discord:", "a Discord server id is its digits"),
    ("discord:99999999999999999999", "a Discord server id is its digits"),
    ("slack:lowercase", "a Slack team id starts with T"),
    ("slack:U0123ABCD", "a Slack team id starts with T"),
    ("console:two words", "a console community is a plain name"),
])
def test_a_community_id_not_of_a_known_form_is_refused_and_nothing_is_written(tmp_path: Path, typed: str, says: str):
    done = import_one(tmp_path, typed)
    assert done.returncode == 2 and done.stdout == ""
    assert says in done.stderr and done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert not (tmp_path / "r.db").exists()  # refused before the database was even opened


@pytest.mark.parametrize("typed, stored", [
    ("discord:1200000000000000100", "discord:1200000000000000100"),
    ("slack:T0ROUNDS", "slack:T0ROUNDS"),
    ("slack:E0GRID", "slack:E0GRID"),
    ("console:study-group", "console:study-group"),
    ("study-group", "console:study-group"),
])
def test_ids_of_every_adapter_form_are_accepted(tmp_path: Path, typed: str, stored: str):
    done = import_one(tmp_path, typed)
    assert done.returncode == 0, done.stderr
    assert f"into {stored}'s bank" in done.stdout


async def test_a_community_never_seen_is_warned_about_and_still_imported(tmp_path: Path):
    db = tmp_path / "r.db"
    file = write_json(tmp_path / "club.json", [question(1)])
    done = await asyncio.to_thread(rounds, "import", str(file), "--community", "discord:42", db=db)
    assert done.returncode == 0
    assert done.stderr.startswith("Warning: discord:42 has never been seen in this database")
    assert await community_rows(db) == [("discord:42/club-001", None)]

    services = await build(Settings(db_path=str(db)))
    try:
        await services.communities.get("discord:42")  # what the bot does the first time it acts there
    finally:
        await services.close()
    again = await asyncio.to_thread(rounds, "import", str(file), "--community", "discord:42", db=db)
    assert again.returncode == 0 and again.stderr == ""


# --- what an import did -----------------------------------------------------------------------------------------

def test_a_reimport_says_what_was_added_updated_and_unchanged(tmp_path: Path):
    db = tmp_path / "r.db"
    first = write_json(tmp_path / "v1.json", [question(1), question(2)])
    assert "2 added, 0 updated, 0 unchanged" in rounds("import", str(first), "--community", "discord:42", db=db).stdout
    assert "0 added, 0 updated, 2 unchanged" in rounds("import", str(first), "--community", "discord:42", db=db).stdout
    second = write_json(tmp_path / "v2.json", [question(1), question(2, objective="A corrected educational objective."),
                                               question(3)])
    done = rounds("import", str(second), "--community", "discord:42", db=db)
    assert "1 added, 1 updated, 1 unchanged" in done.stdout and "Imported 3" not in done.stdout


def test_a_copy_of_a_bundled_question_is_refused_naming_the_bundled_id(tmp_path: Path):
    original = json.loads(BUNDLED.read_text())["questions"][0]
    copy = dict(original, id="my-copy", stem="  " + "  ".join(original["stem"].upper().split()) + " ",
                options={x: original["options"][x].lower() for x in LETTERS})
    file = write_json(tmp_path / "club.json", [question(1), copy])
    for action in (("check", str(file)), ("import", str(file), "--community", "discord:42")):
        done = rounds(*action, db=tmp_path / "r.db")
        assert done.returncode == 1
        assert "question 2 (my-copy)" in done.stderr and f"bundled question {original['id']}" in done.stderr
    assert asyncio.run(community_rows(tmp_path / "r.db")) == []


# --- list and remove --------------------------------------------------------------------------------------------

def test_list_shows_only_the_communitys_own_questions(tmp_path: Path):
    db = tmp_path / "r.db"
    clinical = question(2, step="step2ck", disciplines=["medicine"])  # a Step 2 CK question takes clinical disciplines
    rounds("import", str(write_json(tmp_path / "a.json", [question(1), clinical])),
           "--community", "discord:42", db=db)
    rounds("import", str(write_json(tmp_path / "b.json", [question(9)])), "--community", "discord:7", db=db)
    done = rounds("list", "--community", "discord:42", db=db)
    assert done.returncode == 0
    lines = done.stdout.splitlines()
    assert lines[0].startswith("club-001  step1  cardiovascular  A 25-year-old woman runs on a treadmill")
    assert lines[1].startswith("club-002  step2ck  cardiovascular  ")
    assert lines[-1] == "discord:42 has 2 questions of its own."
    assert "club-009" not in done.stdout and "s1-cardio" not in done.stdout
    empty = rounds("list", "--community", "discord:8", db=db)
    assert empty.returncode == 0 and "discord:8 has no questions of its own" in empty.stdout


@pytest.mark.parametrize("wrong, says", [
    ("club-404", "club-404 is not one of discord:42's questions"),
    ("s1-cardio-001", "s1-cardio-001 is a bundled question"),
    ("discord:7/club-009", "discord:7/club-009 belongs to another community"),
])
def test_remove_is_all_or_nothing(tmp_path: Path, wrong: str, says: str):
    db = tmp_path / "r.db"
    rounds("import", str(write_json(tmp_path / "a.json", [question(1), question(2)])), "--community", "discord:42", db=db)
    rounds("import", str(write_json(tmp_path / "b.json", [question(9)])), "--community", "discord:7", db=db)
    done = rounds("remove", "club-001", wrong, "--community", "discord:42", db=db)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.startswith("Nothing was removed.") and says in done.stderr and "Traceback" not in done.stderr
    assert [qid for qid, _ in asyncio.run(community_rows(db))] == [
        "discord:42/club-001", "discord:42/club-002", "discord:7/club-009"]

    removed = rounds("remove", "club-001", "discord:42/club-002", "--community", "discord:42", db=db)
    assert removed.returncode == 0 and removed.stdout == "Removed 2 questions: club-001, club-002.\n"
    assert [qid for qid, _ in asyncio.run(community_rows(db))] == ["discord:7/club-009"]
    again = rounds("remove", "club-001", "--community", "discord:42", db=db)
    assert again.returncode == 1 and "club-001 is not one of discord:42's questions" in again.stderr


async def test_a_question_a_post_showed_is_retired_kept_for_history_and_never_picked_again(tmp_path: Path,
                                                                                            db_path: str, clock):
    system, discipline = unused_pair()  # the filter then draws only from the two questions imported here
    file = write_json(tmp_path / "club.json", [question(n, system=system, disciplines=[discipline]) for n in (1, 2)])
    assert (await asyncio.to_thread(rounds, "import", str(file), "--community", "club", db=Path(db_path))).returncode == 0
    services = await build(Settings(db_path=db_path), clock=clock)  # the bot, running while the admin uses the tool
    try:
        admin = ConsoleSession(services, Dispatcher(load_catalog()), user="ada", community="club", admin=True)
        told = (await admin.send(f"/rounds tags {system} {discipline}")).text
        assert "now come from" in told and "(2 questions)" in told, told
        shown = render(await admin.send("/qotd"))
        posted, other = ("club-001", "club-002") if "Case number 1." in shown else ("club-002", "club-001")
        await admin.send("[A]")

        done = await asyncio.to_thread(rounds, "remove", posted, "--community", "console:club", db=Path(db_path))
        assert done.returncode == 0
        assert done.stdout.startswith("Retired 1 question a daily post already showed") and posted in done.stdout
        listed = await asyncio.to_thread(rounds, "list", "--community", "console:club", db=Path(db_path))
        assert posted not in listed.stdout and other in listed.stdout

        assert f"Case number {posted[-1]}." in render(await admin.send("/qotd"))  # today's post is unchanged
        for _ in range(4):
            clock.advance(days=1)
            assert f"Case number {other[-1]}." in render(await admin.send("/qotd"))
        answered = await services.db.fetchone(
            select(func.count().label("n")).select_from(answers.join(daily_posts, daily_posts.c.id == answers.c.post_id))
            .where(daily_posts.c.question_id == f"console:club/{posted}"))
        assert answered["n"] == 1  # the answer to the retired question is kept
    finally:
        await services.close()


# --- problems, placed ---------------------------------------------------------------------------------------------

def test_json_problems_give_the_line_of_the_field(tmp_path: Path):
    bad = question(2, step="step9", options=dict(GOOD["options"], B=""))
    file = tmp_path / "club.json"
    file.write_text(json.dumps({"schema": 1, "questions": [question(1), bad, "not an object"]}, indent=2))
    lines = file.read_text().splitlines()
    step_line = next(i for i, line in enumerate(lines, 1) if '"step9"' in line)
    b_line = next(i for i, line in enumerate(lines, 1) if '"B": ""' in line)
    third_line = next(i for i, line in enumerate(lines, 1) if '"not an object"' in line)
    done = rounds("check", str(file), db=tmp_path / "r.db")
    assert done.returncode == 1
    assert f"line {step_line}, question 2 (club-002), field step" in done.stderr
    assert f"line {b_line}, question 2 (club-002), field options.B" in done.stderr
    assert f"line {third_line}, question 3 (?), field question" in done.stderr


def test_a_file_that_is_not_utf8_names_the_line(tmp_path: Path):
    file = tmp_path / "latin1.json"
    file.write_bytes('{\n "questions": [\n  {"id": "café"}\n ]\n}'.encode("latin-1"))
    done = rounds("check", str(file), db=tmp_path / "r.db")
    assert done.returncode == 1
    assert "line 3, column 14: not UTF-8 text" in done.stderr and "position" not in done.stderr


def test_an_unknown_discipline_gets_the_closest_one_suggested(tmp_path: Path):
    file = write_json(tmp_path / "club.json", [question(1, disciplines=["pharmacolgy"])])
    done = rounds("check", str(file), db=tmp_path / "r.db")
    assert "'pharmacolgy' is not a known discipline; did you mean 'pharmacology'?" in done.stderr


def test_counts_are_singular_or_plural(tmp_path: Path):
    one = rounds("check", str(write_json(tmp_path / "one.json", [question(1)])), db=tmp_path / "r.db")
    assert one.stdout.endswith(": 1 question, all valid.\n")
    two = rounds("check", str(write_json(tmp_path / "two.json", [question(1), question(2)])), db=tmp_path / "r.db")
    assert two.stdout.endswith(": 2 questions, all valid.\n")
    bad = rounds("check", str(write_json(tmp_path / "bad.json", [question(1, answer="Z")])), db=tmp_path / "r.db")
    assert "1 problem found; fix it and run" in bad.stderr and "nothing imported" not in bad.stderr
    removed = rounds("import", str(tmp_path / "one.json"), "--community", "discord:42", db=tmp_path / "r.db")
    assert "1 added, 0 updated, 0 unchanged" in removed.stdout
    done = rounds("remove", "club-001", "--community", "discord:42", db=tmp_path / "r.db")
    assert done.stdout == "Removed 1 question: club-001.\n"
