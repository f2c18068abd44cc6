"""A community's bank exported and imported again with nothing lost, in each format and on both databases; the
package is the documented note type with stable ids; and `rounds content export` as an admin types it."""

from __future__ import annotations

import asyncio
import json
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from core.bootstrap import Services
from core.questions import anki
from core.questions.bank import load_bundled
from core.questions.export import FORMATS, render, write_export
from core.questions.model import Question, parse_file, split_list
from core.questions.taxonomy import load_taxonomy
from tests.content.test_anki_package import collection_of
from tests.content.test_content_admin import question, rounds
from tests.content.test_content_cli import write_json

CLUB = "discord:42"


def club_bank() -> list[Question]:
    """Every bundled question as a community's own (the widest text we have: &, <, >, °, long stems), plus one with
    line breaks and three disciplines."""
    own = [replace(q, id=f"club-{q.id}", stem=f"{q.stem} (Club)") for q in load_bundled(load_taxonomy())]
    multi = replace(own[0], id="club-multi", stem=own[0].stem + "\nA second paragraph.\n\nA third, after a blank line.",
                    disciplines=("pharmacology", "physiology", "pathology"))
    return [*own, multi]


@pytest.mark.parametrize("fmt", FORMATS)
async def test_export_then_import_loses_nothing(services: Services, tmp_path: Path, fmt: str):
    bank = club_bank()
    await services.bank.import_questions(bank, CLUB)
    exported = await services.bank.for_export(CLUB)
    assert exported == sorted(bank, key=lambda q: q.id)  # the ids as the community's file has them

    file = tmp_path / f"bank.{fmt}"
    write_export(file, render(exported, fmt, CLUB, services.clock.now().timestamp()), overwrite=False)
    back, problems = parse_file(file, services.bank.taxonomy, load_bundled(services.bank.taxonomy))
    assert problems == []
    assert back == exported

    again = await services.bank.import_questions(back, CLUB)
    assert (again.added, again.updated, again.unchanged) == (0, 0, len(bank))


async def test_bundled_questions_are_exported_only_when_asked(services: Services, tmp_path: Path):
    own = [Question.from_dict(question(1)), Question.from_dict(question(2))]
    await services.bank.import_questions(own, CLUB)
    assert [q.id for q in await services.bank.for_export(CLUB)] == ["club-001", "club-002"]
    everything = await services.bank.for_export(CLUB, include_bundled=True)
    bundled = load_bundled(services.bank.taxonomy)
    assert everything == own + sorted(bundled, key=lambda q: q.id)
    assert await services.bank.for_export("discord:7") == []


async def test_a_removed_question_is_not_exported(services: Services):
    await services.bank.import_questions([Question.from_dict(question(1)), Question.from_dict(question(2))], CLUB)
    await services.bank.remove(["club-001"], CLUB)
    assert [q.id for q in await services.bank.for_export(CLUB)] == ["club-002"]


def test_the_package_is_the_documented_note_type_with_stable_ids(tmp_path: Path):
    bank = club_bank()[:3]
    file = tmp_path / "bank.apkg"
    file.write_bytes(render(bank, "apkg", CLUB, 1_790_000_000.0))
    with zipfile.ZipFile(file) as z, collection_of(z.read("collection.anki2")) as db:
        assert sorted(z.namelist()) == ["collection.anki2", "media"]
        models = json.loads(db.execute("SELECT models FROM col").fetchone()[0])
        decks = json.loads(db.execute("SELECT decks FROM col").fetchone()[0])
        tags = [row[0] for row in db.execute("SELECT tags FROM notes ORDER BY sfld")]
        guids = [row[0] for row in db.execute("SELECT guid FROM notes")]
    assert list(models) == [str(anki.MODEL_ID)]
    assert [f["name"] for f in models[str(anki.MODEL_ID)]["flds"]] == list(anki.FIELDS)
    assert str(anki.deck_id(CLUB)) in decks and decks[str(anki.deck_id(CLUB))]["name"] == f"Rounds — {CLUB}"
    assert anki.deck_id(CLUB) == anki.deck_id(CLUB) != anki.deck_id("discord:7")
    assert sorted(t.split() for t in tags) == sorted([q.step, q.system, *q.disciplines, q.competency] for q in bank)
    again = tmp_path / "again.apkg"
    again.write_bytes(render(bank, "apkg", CLUB, 1_800_000_000.0))
    with zipfile.ZipFile(again) as z, collection_of(z.read("collection.anki2")) as db:
        assert [row[0] for row in db.execute("SELECT guid FROM notes")] == guids  # Anki updates, never duplicates


def test_an_export_never_replaces_a_file_unless_told(tmp_path: Path):
    file = tmp_path / "bank.json"
    file.write_text("keep me")
    with pytest.raises(Exception, match="exists already: give another --output, or add --force"):
        write_export(file, b"new", overwrite=False)
    assert file.read_text() == "keep me"
    write_export(file, b"new", overwrite=True)
    assert file.read_bytes() == b"new" and sorted(p.name for p in tmp_path.iterdir()) == ["bank.json"]


def test_the_export_command(tmp_path: Path):
    db = tmp_path / "r.db"
    source = write_json(tmp_path / "club.json", [question(1), question(2)])
    assert rounds("import", str(source), "--community", CLUB, db=db).returncode == 0
    for fmt in FORMATS:
        out = tmp_path / f"out.{fmt}"
        done = rounds("export", "--community", CLUB, "--output", str(out), db=db)
        assert done.returncode == 0, done.stderr
        assert done.stdout == f"Exported 2 questions of {CLUB}'s own to {out} ({fmt}).\n"
        assert rounds("check", str(out), db=db).stdout == f"{out}: 2 questions, all valid.\n"

    again = rounds("export", "--community", CLUB, "--output", str(tmp_path / "out.json"), db=db)
    assert again.returncode == 1 and "exists already" in again.stderr
    both = rounds("export", "--community", CLUB, "--output", str(tmp_path / "all.csv"), "--include-bundled", db=db)
    bundled = len(load_bundled(load_taxonomy()))
    assert both.returncode == 0 and f"Exported 2 questions of discord:42's own and {bundled} bundled questions" in both.stdout
    named = rounds("export", "--community", CLUB, "--output", str(tmp_path / "deck.txt"), "--format", "apkg", db=db)
    assert named.returncode == 0 and zipfile.is_zipfile(tmp_path / "deck.txt")

    unnamed = rounds("export", "--community", CLUB, "--output", str(tmp_path / "bank.txt"), db=db)
    assert unnamed.returncode == 2 and "Give --format json, csv or apkg" in unnamed.stderr
    nothing = rounds("export", "--community", "discord:7", "--output", str(tmp_path / "none.json"), db=db)
    assert nothing.returncode == 1 and "discord:7 has no questions of its own to export" in nothing.stderr
    assert not (tmp_path / "none.json").exists()
    nowhere = rounds("export", "--community", CLUB, "--output", str(tmp_path / "no" / "such.json"), db=db)
    assert nowhere.returncode == 1 and "There is no folder" in nowhere.stderr
    for done in (again, unnamed, nothing, nowhere):
        assert "Traceback" not in done.stderr and done.stderr.count("\n") == 1


def test_an_exported_package_imports_into_another_community(tmp_path: Path):
    db = tmp_path / "r.db"
    rounds("import", str(write_json(tmp_path / "club.json", [question(1)])), "--community", CLUB, db=db)
    out = tmp_path / "deck.apkg"
    assert rounds("export", "--community", CLUB, "--output", str(out), db=db).returncode == 0
    done = rounds("import", str(out), "--community", "slack:T0ROUNDS", db=db)
    assert done.returncode == 0 and "1 added" in done.stdout
    listed = asyncio.run(asyncio.to_thread(rounds, "list", "--community", "slack:T0ROUNDS", db=db))
    assert listed.stdout.startswith("club-001  step1  cardiovascular")


def test_a_citations_semicolon_is_not_a_list_separator():
    assert split_list("Lerner LB et al. J Urol 2021;206:806-817; Guyton and Hall, 14th ed.") == [
        "Lerner LB et al. J Urol 2021;206:806-817", "Guyton and Hall, 14th ed."]
    assert split_list("Baile WF. Oncologist 2000;5:302-311\nCDC STI Guidelines, 2021") == [
        "Baile WF. Oncologist 2000;5:302-311", "CDC STI Guidelines, 2021"]
    assert split_list("physiology;pathology") == ["physiology", "pathology"] and split_list(None) == []
