"""Anki packages (.apkg) in: a deck built here with genanki and a note type of the documented field names comes in as
the questions it holds, its HTML made plain text; every problem names its note id and nothing is imported; the newer
compressed export is refused with the export option to use; and a hostile file (not a zip, not a database, a zip
bomb, a name outside the package, a query that never ends) is one friendly line, never a traceback."""

from __future__ import annotations

import io
import sqlite3
import zipfile
from pathlib import Path

import genanki
import pytest

from core.questions.anki import FIELDS, MAX_FILE_BYTES, plain_text, read_package
from core.questions.model import LETTERS, Question, parse_file
from core.questions.taxonomy import load_taxonomy
from tests.content.test_content_admin import community_rows, rounds
from tests.content.test_content_cli import GOOD

# The documented fields in another order, spelt as people do, with a field Rounds does not read.
SPELT = ["Stem", "Lead in", *(f"Option {x}" for x in LETTERS), "answer", *(f"Explanation {x}" for x in LETTERS),
         "Objective", "References", "Extra", "ID"]
HINT = '"Support older Anki versions"'


def model(fields: list[str], model_id: int = 1_600_000_001, name: str = "Club MCQ") -> genanki.Model:
    return genanki.Model(model_id, name, fields=[{"name": f} for f in fields],
                         templates=[{"name": "Card", "qfmt": "{{" + fields[0] + "}}", "afmt": "{{FrontSide}}"}])


def good_fields(**changes: str) -> dict[str, str]:
    """GOOD's content as a note's HTML, the way Anki's editor stores it."""
    fields = {"Stem": GOOD["stem"].replace("treadmill", "<b>treadmill</b>") + "<br>Her blood pressure is normal &amp; stable.",
              "Lead in": GOOD["lead_in"], "answer": " a ", "Objective": f"<div>{GOOD['objective']}</div>",
              "References": "Guyton and Hall Textbook of Medical Physiology, 14th ed.<br>Boron &amp; Boulpaep Medical Physiology",
              "Extra": "ignored", "ID": "club-001"}
    fields |= {f"Option {x}": text for x, text in GOOD["options"].items()}
    fields |= {f"Explanation {x}": text for x, text in GOOD["explanations"].items()}
    return fields | changes


def note(fields: dict[str, str], tags: list[str], of: genanki.Model | None = None) -> genanki.Note:
    of = of or model(SPELT)
    return genanki.Note(model=of, fields=[fields.get(f["name"], "") for f in of.fields], tags=tags)


def package(path: Path, *notes: genanki.Note) -> Path:
    deck = genanki.Deck(2_000_000_001, "Club")
    for each in notes:
        deck.add_note(each)
    genanki.Package(deck).write_to_file(str(path))
    return path


def note_ids(path: Path) -> list[int]:
    with zipfile.ZipFile(path) as z, collection_of(z.read("collection.anki2")) as db:
        return [row[0] for row in db.execute("SELECT id FROM notes ORDER BY id")]


class collection_of:
    """A package's collection opened from its bytes, for a test to read or change."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def __enter__(self) -> sqlite3.Connection:
        self.db = sqlite3.connect(":memory:")
        self.db.deserialize(self.data)
        return self.db

    def __exit__(self, *exc: object) -> None:
        self.db.close()


def edit_collection(path: Path, *statements: str) -> Path:
    with zipfile.ZipFile(path) as z:
        members = {name: z.read(name) for name in z.namelist()}
    with collection_of(members["collection.anki2"]) as db:
        for statement in statements:
            db.execute(statement)
        db.commit()
        members["collection.anki2"] = db.serialize()
    return zip_of(path, members)


def zip_of(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


def problems(path: Path) -> list[str]:
    questions, found = parse_file(path, load_taxonomy())
    assert questions == [] and found
    return [str(p) for p in found]


TAGS = ["step1", "cardiovascular", "physiology", "medical-knowledge", "leech"]


def test_a_deck_built_with_genanki_comes_in_as_its_questions(tmp_path: Path):
    without_id = good_fields(ID="", Stem=GOOD["stem"] + " She is 5&nbsp;ft tall.")
    deck = package(tmp_path / "club.apkg", note(good_fields(), TAGS),
                   note(without_id, ["Step1", "cardiovascular", "pharmacology", "physiology", "diagnosis"]))
    questions, found = parse_file(deck, load_taxonomy())
    assert found == []
    first, second = questions
    assert first == Question.from_dict(dict(
        GOOD, stem=GOOD["stem"] + "\nHer blood pressure is normal & stable.", answer="A",
        references=["Guyton and Hall Textbook of Medical Physiology, 14th ed.", "Boron & Boulpaep Medical Physiology"]))
    assert second.id == f"anki-{note_ids(deck)[1]}"  # no Id field value: filed under the note id
    assert second.stem.endswith("She is 5 ft tall.")
    assert (second.step, second.disciplines, second.competency) == ("step1", ("pharmacology", "physiology"), "diagnosis")


@pytest.mark.parametrize("markup, text", [
    ("<b>Bold</b> and <i>italic</i>", "Bold and italic"),
    ("one<br>two<br/><br>three", "one\ntwo\n\nthree"),
    ("<div>first</div><div>second</div>", "first\nsecond"),
    ("a &lt;b&gt; &amp; c", "a <b> & c"),
    ("keep<script>alert('x')</script> this<style>p{}</style>", "keep this"),
    ('<img src="x.png" onerror="alert(1)">caption[sound:heart.mp3]', "caption"),
    ("spaced\u00a0 \t out   words", "spaced out words"),
    ("<a href='https://elsewhere'>link text</a>", "link text"),
    ("unclosed <b tag", "unclosed"),
    ("right\u202eleft\u200b", "rightleft"),
])
def test_field_html_becomes_plain_text(markup: str, text: str):
    assert plain_text(markup) == text


def test_markup_decoded_into_a_mention_is_still_refused(tmp_path: Path):
    deck = package(tmp_path / "club.apkg", note(good_fields(Objective="Ask &lt;!channel&gt; for help with diastole."), TAGS))
    [nid] = note_ids(deck)
    assert problems(deck) == [f"note {nid} (club-001), field Objective: must not contain mention markup like <@…>, <#…> "
                              "or <!…>"]


def test_every_problem_names_its_note_and_nothing_is_imported(tmp_path: Path):
    basic = genanki.Note(model=model(["Front", "Back"], 1_600_000_002, "Basic"), fields=["Q", "A"])
    deck = package(tmp_path / "club.apkg",
                   note(good_fields(answer="F"), TAGS),
                   note(good_fields(ID="club-002"), ["step1", "step2ck", "cardiovascular", "pharmacolgy", "diagnosis"]),
                   note(good_fields(ID="club-003", **{"Option E": ""}), TAGS),
                   basic,
                   note(good_fields(), TAGS))
    ids = note_ids(deck)
    assert problems(deck) == [
        f"note {ids[0]} (club-001), field Answer: 'F' is not one of A, B, C, D, E",
        f"note {ids[1]} (club-002), tags: 'pharmacolgy' is not a step, system, discipline or competency "
        "(content/taxonomy.json); did you mean 'pharmacology'?",
        f"note {ids[1]} (club-002), tags: 2 step tags (step1, step2ck): keep one",
        f"note {ids[1]} (club-002), field tags (disciplines): must be a list of 1–3 discipline slugs",
        f"note {ids[2]} (club-003), field E: missing or empty",
        f"note {ids[3]}, note type: the note type 'Basic' has no field Stem, Lead-in, A, B, C, D, E, Answer, "
        "Explanation A, Explanation B, Explanation C, Explanation D, Explanation E, Objective, References; give the note "
        f"type the fields {', '.join(FIELDS)} (content/README.md, 'Anki decks')",
        f"note {ids[4]} (club-001), field Id: duplicate id 'club-001' (first at note {ids[0]} (club-001))",
    ]
    done = rounds("import", str(deck), "--community", "discord:42", db=tmp_path / "r.db")
    assert done.returncode == 1 and "7 problems found; nothing was imported" in done.stderr
    assert "Traceback" not in done.stderr
    assert __import__("asyncio").run(community_rows(tmp_path / "r.db")) == []


def test_a_note_that_is_not_utf8_is_named(tmp_path: Path):
    deck = package(tmp_path / "club.apkg", note(good_fields(), TAGS), note(good_fields(ID="club-002"), TAGS))
    first, second = note_ids(deck)
    edit_collection(deck, f"UPDATE notes SET flds = CAST(X'4142ff43' AS TEXT) WHERE id = {second}")
    assert problems(deck) == [f"note {second}, fields: not UTF-8 text: the collection is damaged; export the deck from "
                              "Anki again"]


def test_a_missing_tag_is_a_missing_step(tmp_path: Path):
    deck = package(tmp_path / "club.apkg", note(good_fields(), ["cardiovascular", "physiology", "medical-knowledge"]))
    [nid] = note_ids(deck)
    assert problems(deck) == [f"note {nid} (club-001), field tags (step): missing; give one of step1, step2ck, step3"]


# --- formats that cannot be read ----------------------------------------------------------------------------------

def dummy(path: Path) -> Path:
    """The collection.anki2 a newer Anki writes beside its compressed collection: one note asking to update."""
    basic = genanki.Note(model=model(["Front", "Back"], 1_600_000_003, "Basic"),
                         fields=["Please update to the latest Anki version, then import the .colpkg/.apkg file again.", ""])
    return package(path, basic)


def test_the_newer_compressed_export_is_refused_naming_the_option_to_tick(tmp_path: Path):
    with zipfile.ZipFile(dummy(tmp_path / "dummy.apkg")) as z:
        stub = z.read("collection.anki2")
    zstd = b"\x28\xb5\x2f\xfd" + bytes(60)  # a zstd frame's magic number
    deck = zip_of(tmp_path / "new.apkg", {"collection.anki2": stub, "collection.anki21b": zstd, "media": zstd[:8]})
    [message] = problems(deck)
    assert message.startswith("file: this package was exported in Anki's newer compressed format")
    assert HINT in message and "File → Export" in message


def test_the_dummycollection_of_alone_is_refused_with_the_same_hint(tmp_path: Path):
    [message] = problems(dummy(tmp_path / "dummy.apkg"))
    assert message.startswith("file: this package holds only Anki's note asking to update") and HINT in message


def test_a_legacy_anki21collection_of_is_read_before_the_anki2_stub(tmp_path: Path):
    with zipfile.ZipFile(dummy(tmp_path / "dummy.apkg")) as z:
        stub = z.read("collection.anki2")
    with zipfile.ZipFile(package(tmp_path / "real.apkg", note(good_fields(), TAGS))) as z:
        real = z.read("collection.anki2")
    deck = zip_of(tmp_path / "legacy.apkg", {"collection.anki2": stub, "collection.anki21": real, "media": b"{}"})
    questions, found = parse_file(deck, load_taxonomy())
    assert found == [] and [q.id for q in questions] == ["club-001"]


def test_note_types_kept_outside_col_models_are_the_newer_format(tmp_path: Path):
    deck = edit_collection(package(tmp_path / "club.apkg", note(good_fields(), TAGS)), "UPDATE col SET models = '{}'")
    [message] = problems(deck)
    assert "where only newer Anki versions look" in message and HINT in message


# --- hostile files ------------------------------------------------------------------------------------------------

def test_a_file_that_is_not_a_zip(tmp_path: Path):
    file = tmp_path / "club.apkg"
    file.write_text("id,stem\n1,hello\n")
    assert problems(file) == ['file: the file is not an Anki package (not a zip archive): export the deck from Anki as '
                              '"Anki Deck Package (*.apkg)"']


def test_a_zip_with_nocollection_of(tmp_path: Path):
    file = zip_of(tmp_path / "club.apkg", {"notes.txt": b"hello"})
    assert problems(file) == ['file: this zip holds no Anki collection (collection.anki2): export the deck from Anki as '
                              '"Anki Deck Package (*.apkg)"']


def test_acollection_of_that_is_not_a_database(tmp_path: Path):
    file = zip_of(tmp_path / "club.apkg", {"collection.anki2": b"SQLite? no, just text " * 100})
    assert problems(file) == ["file: the collection inside the package is not an Anki database: export the deck from "
                              "Anki again"]


def test_a_database_that_is_not_acollection_of(tmp_path: Path):
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE cards (id INTEGER)")
    file = zip_of(tmp_path / "club.apkg", {"collection.anki2": db.serialize()})
    assert problems(file) == ["file: the collection inside the package cannot be read (no such table: col): export the "
                              "deck from Anki again"]


def test_a_corrupt_database(tmp_path: Path):
    deck = package(tmp_path / "club.apkg", note(good_fields(), TAGS))
    with zipfile.ZipFile(deck) as z:
        data = bytearray(z.read("collection.anki2"))
    data[100:4000] = b"\xff" * 3900  # the header is kept; the schema page is not
    [message] = problems(zip_of(deck, {"collection.anki2": bytes(data)}))
    assert message.startswith("file: the collection inside the package cannot be read (")


def test_a_zip_bomb_is_refused_before_it_is_unpacked(tmp_path: Path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("collection.anki2", bytes(MAX_FILE_BYTES + 1))
    file = tmp_path / "bomb.apkg"
    file.write_bytes(buffer.getvalue())
    assert file.stat().st_size < 100_000
    assert problems(file) == ["file: the collection inside the package unpacks to more than 10 MB, the most Rounds "
                              "imports: export fewer notes at a time, without media"]


@pytest.mark.parametrize("name", ["../../etc/cron.d/rounds", "/etc/passwd", "media/../../escape", "..\\..\\win.ini",
                                  "C:/Windows/evil"])
def test_a_name_pointing_outside_the_package_is_refused(tmp_path: Path, name: str):
    deck = package(tmp_path / "club.apkg", note(good_fields(), TAGS))
    with zipfile.ZipFile(deck) as z:
        members = {n: z.read(n) for n in z.namelist()}
    [message] = problems(zip_of(deck, members | {name: b"x"}))
    assert message.startswith("file: the package holds a file named ") and "points outside the package" in message


def test_a_query_that_never_ends_is_stopped(tmp_path: Path):
    deck = edit_collection(package(tmp_path / "club.apkg", note(good_fields(), TAGS)), "DROP TABLE notes",
                           "CREATE VIEW notes AS WITH RECURSIVE n(id) AS (SELECT 1 UNION ALL SELECT id + 1 FROM n) "
                           "SELECT id, 0 AS mid, '' AS tags, '' AS flds FROM n")
    assert problems(deck) == ["file: the collection inside the package cannot be read (interrupted): export the deck "
                              "from Anki again"]


@pytest.mark.parametrize("statement, says", [
    ("UPDATE notes SET mid = 'not a number'", "file: the notes in the package cannot be read: export the deck from Anki again"),
    ("UPDATE col SET models = '{\"1\": {\"name\": \"X\", \"flds\": [{\"name\": \"Stem\"}]}}'",
     "file: the note types in the package cannot be read: export the deck from Anki again"),
    ("UPDATE col SET models = 'not json'", "file: the note types in the package cannot be read: export the deck from Anki again"),
])
def test_tables_anki_did_not_write_are_one_line(tmp_path: Path, statement: str, says: str):
    deck = edit_collection(package(tmp_path / "club.apkg", note(good_fields(), TAGS)), statement)
    assert problems(deck) == [says]


def test_a_package_with_no_notes(tmp_path: Path):
    assert problems(package(tmp_path / "empty.apkg")) == ["file: the package holds no notes"]


def test_the_command_line_shows_a_hostile_file_as_one_line(tmp_path: Path):
    file = tmp_path / "club.apkg"
    file.write_bytes(b"PK\x03\x04 not really")
    done = rounds("check", str(file), db=tmp_path / "r.db")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.splitlines() == [f"{file}: file: the file is not an Anki package (not a zip archive): export the "
                                        'deck from Anki as "Anki Deck Package (*.apkg)"',
                                        "1 problem found; fix it and run `rounds content check " + str(file) + "` again."]


def test_thecollection_of_is_read_from_a_copy(tmp_path: Path):
    deck = package(tmp_path / "club.apkg", note(good_fields(), TAGS))
    before = deck.read_bytes()
    questions, found = read_package(deck, load_taxonomy())
    assert found == [] and deck.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["club.apkg"]
