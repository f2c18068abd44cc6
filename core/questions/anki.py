"""Anki deck packages (.apkg), read and written through one field mapping, so a community can bring a deck in and take
its bank out to Anki.

A package is a zip holding a SQLite collection. It comes from outside, so it is treated as hostile: the zip's names,
sizes and compression are checked before anything is unpacked, only the collection is unpacked (never the media), at
most the size limit of any imported file, into a temporary copy that SQLite opens read-only and immutable, with a
budget on the work a query may do. Every way a package can be unreadable is one line saying what to do instead.

Note fields hold HTML; our text is plain. Markup is taken apart with the standard HTML parser (never a regex over
tags), entities are decoded, scripts and styles dropped with their content, and what is left goes through the same
validation as a JSON or CSV file, which refuses mention markup and lengths out of bounds.
"""

from __future__ import annotations

import hashlib
import html
import io
import itertools
import json
import re
import sqlite3
import tempfile
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath
from typing import Any

from core.questions.model import (
    LETTERS,
    MAX_FILE_BYTES,
    Problem,
    Question,
    copies,
    entry_problems,
    megabytes,
    size_problem,
    split_list,
)
from core.questions.taxonomy import Taxonomy
from core.text import clean, closest

# The note type Rounds writes, and the field names it reads (any note type with these fields is read the same way).
MODEL_ID = 1_714_052_901  # fixed for good: Anki matches a re-imported export to the note type by this id
MODEL_NAME = "Rounds MCQ"
FIELDS = ("Id", "Stem", "Lead-in", *LETTERS, "Answer", *(f"Explanation {x}" for x in LETTERS), "Objective", "References")
OPTIONAL = frozenset({"Id"})  # a note without an id is filed as anki-<note id>
ALIASES = {f"option{x.lower()}": x.lower() for x in LETTERS} | {"question": "stem"}  # normalised name → normalised name
ANKI_OWN_TAGS = frozenset({"leech", "marked"})  # tags Anki itself adds; they say nothing about the content
LEGACY_HINT = ('in Anki, choose File → Export…, "Anki Deck Package (*.apkg)", tick "Support older Anki versions" '
               "(the legacy export; leave media out) and import the file it writes")
COLLECTIONS = ("collection.anki21", "collection.anki2")  # the newest one readable first: a legacy export holds both
NEWER = "collection.anki21b"  # zstd-compressed, with a dummy collection.anki2 that asks to update Anki
QUERY_BUDGET = 20_000  # SQLite progress callbacks (each 1,000 virtual-machine steps): ~20 M steps, seconds at most
SQLITE_MAGIC = b"SQLite format 3\x00"
_BLOCKS = frozenset({"br", "div", "p", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "blockquote", "ul", "ol"})
_DROPPED = frozenset({"script", "style", "head", "title", "template"})
_SOUND = re.compile(r"\[sound:[^\]]*\]")
_SPACES = re.compile(r"[^\S\n]+")  # whitespace but newlines, &nbsp; included


class Unreadable(Exception):
    """The package cannot be read at all; the message says what to do instead."""


@dataclass(frozen=True)
class Note:
    id: int
    model: str  # the note type's name
    fields: dict[str, str] | None  # by the note type's field names; None when the note type is not in the collection
    tags: tuple[str, ...]
    not_utf8: bool = False


# --- reading ------------------------------------------------------------------------------------------------------

def read_package(path: Path, taxonomy: Taxonomy, bundled: Iterable[Question] = ()) -> tuple[list[Question], list[Problem]]:
    """Every note of a package as a question, or every problem found, each placed by its note id; a package with any
    problem yields no questions."""
    too_big = size_problem(path)
    if too_big is not None:
        return [], [too_big]
    try:
        notes = read_notes(path)
    except Unreadable as error:
        return [], [Problem("file", str(error))]
    if not notes:
        return [], [Problem("file", "the package holds no notes")]
    return _questions(notes, taxonomy, bundled)


def read_notes(path: Path) -> list[Note]:
    """The notes of the package's collection, in note-id order."""
    with tempfile.TemporaryDirectory(prefix="rounds-apkg-") as folder:
        copy = Path(folder) / "collection.sqlite"
        _unpack_collection(path, copy)
        return _notes(copy)


def _unpack_collection(path: Path, copy: Path) -> None:
    try:
        with zipfile.ZipFile(path) as package:
            names = package.namelist()
            _check_names(names)
            if NEWER in names:
                raise Unreadable(f"this package was exported in Anki's newer compressed format, which Rounds cannot read: {LEGACY_HINT}")
            name = next((n for n in COLLECTIONS if n in names), None)
            if name is None:
                raise Unreadable("this zip holds no Anki collection (collection.anki2): export the deck from Anki as "
                                 '"Anki Deck Package (*.apkg)"')
            _copy_member(package, package.getinfo(name), copy)
    except zipfile.BadZipFile:
        raise Unreadable('the file is not an Anki package (not a zip archive): export the deck from Anki as "Anki Deck '
                         'Package (*.apkg)"') from None
    except (NotImplementedError, RuntimeError, zlib.error, EOFError, OSError) as error:  # an odd method, encryption, damage
        raise Unreadable(f"the package cannot be unpacked ({_first_line(error)}): export the deck from Anki again") from None


def _check_names(names: list[str]) -> None:
    """Nothing is extracted by name, but a package naming a place outside itself was made to attack an unpacker."""
    for name in names:
        parts = PurePosixPath(name.replace("\\", "/")).parts
        if name.startswith(("/", "\\")) or ".." in parts or re.match(r"^[A-Za-z]:", name) or "\x00" in name:
            raise Unreadable(f"the package holds a file named {name[:80]!r}, which points outside the package: this is "
                             "not a file Anki writes, so it is refused")


def _copy_member(package: zipfile.ZipFile, info: zipfile.ZipInfo, copy: Path) -> None:
    """The collection, at most the size limit unpacked: its stated size is checked first, and the bytes really
    unpacked are counted too, since a hostile zip can state any size."""
    refusal = (f"the collection inside the package unpacks to more than {megabytes(MAX_FILE_BYTES)}, the most Rounds "
               "imports: export fewer notes at a time, without media")
    if info.file_size > MAX_FILE_BYTES:
        raise Unreadable(refusal)
    written = 0
    with package.open(info) as source, copy.open("wb") as target:
        while chunk := source.read(1 << 16):
            written += len(chunk)
            if written > MAX_FILE_BYTES:
                raise Unreadable(refusal)
            target.write(chunk)


def _notes(copy: Path) -> list[Note]:
    with copy.open("rb") as handle:
        if handle.read(len(SQLITE_MAGIC)) != SQLITE_MAGIC:
            raise Unreadable("the collection inside the package is not an Anki database: export the deck from Anki again")
    try:
        connection = sqlite3.connect(f"{copy.as_uri()}?mode=ro&immutable=1", uri=True)
    except sqlite3.Error as error:
        raise Unreadable(f"the collection inside the package cannot be opened ({_first_line(error)})") from None
    try:
        _limit(connection)
        models = _models(connection)
        rows = connection.execute("SELECT id, mid, tags, flds FROM notes ORDER BY id").fetchall()
        if not models and (rows or _has_table(connection, "notetypes")):
            raise Unreadable(f"the collection keeps its note types where only newer Anki versions look: {LEGACY_HINT}")
    except sqlite3.Error as error:
        raise Unreadable(f"the collection inside the package cannot be read ({_first_line(error)}): export the deck "
                         "from Anki again") from None
    finally:
        connection.close()
    try:
        notes = [_note(row, models) for row in rows]
    except (ValueError, TypeError):  # a note or note-type id that is not a number: not a table Anki wrote
        raise Unreadable("the notes in the package cannot be read: export the deck from Anki again") from None
    if len(notes) == 1 and _asks_to_update(notes[0]):  # the dummy collection.anki2 of a newer export, alone
        raise Unreadable(f"this package holds only Anki's note asking to update, so it was exported in the newer format: {LEGACY_HINT}")
    return notes


def _limit(connection: sqlite3.Connection) -> None:
    """Read-only, no triggers' or views' functions trusted, and a budget on work (a hostile view can loop forever)."""
    connection.text_factory = bytes  # a field that is not UTF-8 is that note's problem, not an error for the package
    connection.execute("PRAGMA query_only = ON")
    connection.execute("PRAGMA trusted_schema = OFF")
    calls = 0

    def budget() -> int:
        nonlocal calls
        calls += 1
        return 1 if calls > QUERY_BUDGET else 0

    connection.set_progress_handler(budget, 1000)


def _models(connection: sqlite3.Connection) -> dict[int, tuple[str, list[str]]]:
    """Each note type's name and field names, from the collection's `col.models` JSON."""
    row = connection.execute("SELECT models FROM col LIMIT 1").fetchone()
    if row is None:
        raise Unreadable("the collection inside the package has no note types: export the deck from Anki again")
    try:
        models = json.loads(row[0])
        found = {int(mid): (str(model.get("name", "?")), [str(f["name"]) for f in sorted(model["flds"], key=lambda f: f["ord"])])
                 for mid, model in models.items()}
    except (ValueError, TypeError, KeyError, AttributeError):
        raise Unreadable("the note types in the package cannot be read: export the deck from Anki again") from None
    return found


def _has_table(connection: sqlite3.Connection, name: str) -> bool:
    return connection.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).fetchone() is not None


def _note(row: tuple[Any, ...], models: dict[int, tuple[str, list[str]]]) -> Note:
    nid, mid, raw_tags, raw_fields = row
    try:
        tags = _text(raw_tags).split()
        values = _text(raw_fields).split("\x1f")
        not_utf8 = False
    except UnicodeDecodeError:
        tags, values, not_utf8 = [], [], True
    name, names = models.get(int(mid), ("?", []))
    fields = dict(zip(names, values + [""] * (len(names) - len(values)), strict=False)) if names else None
    return Note(int(nid), name, fields, tuple(tags), not_utf8)


def _text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value or "")


def _asks_to_update(note: Note) -> bool:
    return note.fields is not None and "update to the latest anki" in " ".join(note.fields.values()).lower()


# --- notes to questions -------------------------------------------------------------------------------------------

def _questions(notes: list[Note], taxonomy: Taxonomy, bundled: Iterable[Question]) -> tuple[list[Question], list[Problem]]:
    placed: list[tuple[int, Problem]] = []
    entries: list[tuple[str, Any]] = []
    positions: list[int] = []
    for position, note in enumerate(notes):
        data, wrong = _note_data(note, taxonomy)
        placed += [(position, Problem(f"{_label(note, data)}, {where}", message)) for where, message in wrong]
        if data is not None:
            entries.append((_label(note, data), data))
            positions.append(position)
    for index, field, message in entry_problems(entries, taxonomy):
        placed.append((positions[index], Problem(f"{entries[index][0]}, field {anki_field(field)}", message)))
    if not placed:
        questions = [Question.from_dict(data) for _, data in entries]
        placed = [(positions[i], Problem(f"{entries[i][0]}, field Stem", m)) for i, _, m in copies(questions, bundled)]
        if not placed:
            return questions, []
    return [], [problem for _, problem in sorted(placed, key=lambda p: p[0])]


def _note_data(note: Note, taxonomy: Taxonomy) -> tuple[dict[str, Any] | None, list[tuple[str, str]]]:
    """A question's data from a note, in the shape a JSON file gives it, and the problems only a note can have."""
    if note.not_utf8:
        return None, [("fields", "not UTF-8 text: the collection is damaged; export the deck from Anki again")]
    if note.fields is None:
        return None, [("note type", "the note's note type is missing from the collection: export the deck again")]
    fields = {_normal(name): value for name, value in note.fields.items()}
    missing = [name for name in FIELDS if name not in OPTIONAL and _normal(name) not in fields]
    if missing:
        return None, [("note type", f"the note type {note.model!r} has no field {', '.join(missing)}; give the note "
                                    f"type the fields {', '.join(FIELDS)} (content/README.md, 'Anki decks')")]

    def field(name: str) -> str:
        return plain_text(fields.get(_normal(name), ""))

    data: dict[str, Any] = {
        "id": field("Id") or f"anki-{note.id}", "stem": field("Stem"), "lead_in": field("Lead-in"),
        "options": {x: field(x) for x in LETTERS}, "answer": field("Answer").upper(),
        "explanations": {x: field(f"Explanation {x}") for x in LETTERS}, "objective": field("Objective"),
        "references": split_list(field("References")),
    }
    tagged, wrong = _tags(note.tags, taxonomy)
    return data | tagged, [("tags", message) for message in wrong]


def _tags(tags: Iterable[str], taxonomy: Taxonomy) -> tuple[dict[str, Any], list[str]]:
    """Step, system, disciplines (in tag order) and competency from a note's tags; a tag that is none of them is a
    problem, so a misspelt discipline is not silently dropped."""
    kinds = {"step": taxonomy.steps, "system": taxonomy.systems, "disciplines": taxonomy.disciplines,
             "competency": taxonomy.competencies}
    found: dict[str, list[str]] = {kind: [] for kind in kinds}
    wrong: list[str] = []
    everything = {slug for vocabulary in kinds.values() for slug in vocabulary}
    for tag in dict.fromkeys(t.lower() for t in tags):
        kind = next((k for k, vocabulary in kinds.items() if tag in vocabulary), None)
        if kind is not None:
            found[kind].append(tag)
        elif tag not in ANKI_OWN_TAGS:
            close = closest(tag, everything, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            wrong.append(f"{tag!r} is not a step, system, discipline or competency (content/taxonomy.json){hint}")
    for kind in ("step", "system", "competency"):
        if len(found[kind]) > 1:
            wrong.append(f"{len(found[kind])} {kind} tags ({', '.join(found[kind])}): keep one")
    data = {kind: (found[kind][0] if found[kind] else None) for kind in ("step", "system", "competency")}
    return data | {"disciplines": found["disciplines"]}, wrong


def _label(note: Note, data: dict[str, Any] | None) -> str:
    qid = data.get("id") if data else None
    return f"note {note.id}" + (f" ({qid})" if isinstance(qid, str) and qid else "")


def anki_field(field: str) -> str:
    """Where a question's field is on an Anki note: 'options.B' → B, 'explanations.B' → Explanation B."""
    group, _, letter = field.partition(".")
    if group in ("step", "system", "disciplines", "competency"):
        return f"tags ({group})"
    letter = letter or "A–E"
    named = {"options": letter, "explanations": f"Explanation {letter}", "id": "Id", "stem": "Stem",
             "lead_in": "Lead-in", "answer": "Answer", "objective": "Objective", "references": "References"}
    return named.get(group, field)


def _normal(name: str) -> str:
    """A field's name as matched: case, spaces and punctuation ignored ('Lead-in', 'lead_in', 'LeadIn'), and 'Option A'
    taken as 'A'."""
    key = re.sub(r"[^a-z0-9]", "", name.lower())
    return ALIASES.get(key, key)


class _PlainText(HTMLParser):
    """The text a reader sees in a field's HTML: block tags and <br> become line breaks, everything else is dropped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROPPED:
            self._hidden += 1
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROPPED:
            self._hidden = max(0, self._hidden - 1)

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def plain_text(markup: str) -> str:
    """A field's HTML as plain text: tags gone, entities decoded, runs of spaces one space, at most one blank line."""
    parser = _PlainText()
    parser.feed(_SOUND.sub("", markup))
    if parser.rawdata.lstrip().startswith("<"):  # a tag the field never closed: close() would keep it as text
        parser.rawdata = ""
    parser.close()
    lines = [_SPACES.sub(" ", line).strip() for line in clean("".join(parser.parts)).split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0][:120] if text else type(error).__name__


# --- writing ------------------------------------------------------------------------------------------------------

def deck_id(community_id: str) -> int:
    """A community's deck id, the same on every export (so Anki files a re-export into the same deck) and different
    for each community: a hash of its id into the range of ids Anki gives decks it makes."""
    digest = int.from_bytes(hashlib.sha256(f"rounds deck {community_id}".encode()).digest()[:8], "big")
    return 1_000_000_000 + digest % 1_000_000_000


def note_fields(question: Question) -> list[str]:
    """A question as the note's fields, in FIELDS order, its plain text escaped as HTML."""
    values = [question.id, question.stem, question.lead_in, *(question.options[x] for x in LETTERS), question.answer,
              *(question.explanations[x] for x in LETTERS), question.objective, "\n".join(question.references)]
    return [html.escape(value, quote=False).replace("\n", "<br>") for value in values]


def note_tags(question: Question) -> list[str]:
    return [question.step, question.system, *question.disciplines, question.competency]


def package_bytes(questions: list[Question], community_id: str, timestamp: float) -> bytes:
    """A package of the questions as one deck of `Rounds MCQ` notes (note and card times from `timestamp`)."""
    import genanki  # only an export needs it

    model = genanki.Model(MODEL_ID, MODEL_NAME, fields=[{"name": name} for name in FIELDS],
                          templates=[{"name": "Question", "qfmt": _FRONT, "afmt": _BACK}], css=_CSS)
    deck = genanki.Deck(deck_id(community_id), f"Rounds — {community_id}")
    for question in questions:
        deck.add_note(genanki.Note(model=model, fields=note_fields(question), tags=note_tags(question),
                                   guid=genanki.guid_for("rounds", question.id)))
    with tempfile.TemporaryDirectory(prefix="rounds-apkg-") as folder:
        database = Path(folder) / "collection.anki2"
        connection = sqlite3.connect(database)
        try:  # genanki's own write_to_file leaves its temporary database behind; this one goes with the folder
            genanki.Package(deck).write_to_db(connection.cursor(), timestamp, itertools.count(int(timestamp * 1000)))
            connection.commit()
        finally:
            connection.close()
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
            package.write(database, "collection.anki2")
            package.writestr("media", "{}")
        return buffer.getvalue()


_FRONT = """<div class="stem">{{Stem}}</div>
<p class="lead">{{Lead-in}}</p>
<ol type="A">
<li>{{A}}</li><li>{{B}}</li><li>{{C}}</li><li>{{D}}</li><li>{{E}}</li>
</ol>"""
_BACK = """{{FrontSide}}
<hr id="answer">
<p><b>Answer: {{Answer}}</b></p>
<p>A. {{Explanation A}}</p><p>B. {{Explanation B}}</p><p>C. {{Explanation C}}</p>
<p>D. {{Explanation D}}</p><p>E. {{Explanation E}}</p>
<p><i>Objective:</i> {{Objective}}</p>
<p class="refs">{{References}}</p>"""
_CSS = """.card { font-family: sans-serif; font-size: 18px; text-align: left; }
.lead { font-weight: bold; }
.refs { font-size: 14px; color: #666; }"""
