"""A question of the bank, and the rules a question file must follow (bundled or a community's own).

Validation reports every problem with where it is, so an admin can fix a file in one pass.
"""

from __future__ import annotations

import bisect
import csv
import io
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.questions.taxonomy import Taxonomy
from core.text import closest

_SEPARATOR = re.compile(r"\n|;(?!\d)")  # `split_list`: a line break, or a ";" not before a digit

LETTERS = ("A", "B", "C", "D", "E")
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{2,63}$")
MENTION_MARKUP = re.compile(r"<[@#!]")  # platform mentions; questions are posted publicly, so they must ping no one
STEM_LENGTH = (80, 1500)
MAX_FILE_BYTES = 10_000_000  # any file an admin imports (JSON, CSV or .apkg), and the collection inside a package
LIMITS = {"option": 200, "explanation": 600, "objective": 600, "lead_in": 300}
CSV_COLUMNS = (
    ["id", "step", "system", "disciplines", "competency", "stem", "lead_in"]
    + [f"option_{x.lower()}" for x in LETTERS]
    + ["answer"]
    + [f"explanation_{x.lower()}" for x in LETTERS]
    + ["objective", "references"]
)


@dataclass(frozen=True)
class Question:
    id: str
    step: str
    system: str
    disciplines: tuple[str, ...]
    competency: str
    stem: str
    lead_in: str
    options: dict[str, str]
    answer: str
    explanations: dict[str, str]
    objective: str
    references: tuple[str, ...]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Question:
        return cls(
            id=data["id"],
            step=data["step"],
            system=data["system"],
            disciplines=tuple(data["disciplines"]),
            competency=data["competency"],
            stem=data["stem"],
            lead_in=data["lead_in"],
            options={k: data["options"][k] for k in LETTERS},
            answer=data["answer"],
            explanations={k: data["explanations"][k] for k in LETTERS},
            objective=data["objective"],
            references=tuple(data["references"]),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "step": self.step, "system": self.system, "disciplines": list(self.disciplines),
            "competency": self.competency, "stem": self.stem, "lead_in": self.lead_in, "options": self.options,
            "answer": self.answer, "explanations": self.explanations, "objective": self.objective,
            "references": list(self.references),
        }

    @property
    def tags(self) -> frozenset[str]:
        return frozenset((self.step, self.system, *self.disciplines))


@dataclass(frozen=True)
class Problem:
    where: str  # "line 4, field stem" or "question 3 (s1-x-001), field options.B"
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


def validate(data: Any, taxonomy: Taxonomy) -> list[str]:
    """Problems with one question as 'field: message' strings; empty when it is valid."""
    if not isinstance(data, dict):
        return ["question: must be an object"]
    problems: list[str] = []

    def text(name: str, value: Any, lo: int = 1, hi: int = 10_000) -> None:
        if not isinstance(value, str) or not value.strip():
            problems.append(f"{name}: missing or empty")
        elif not lo <= len(value) <= hi:
            problems.append(f"{name}: {len(value)} characters, must be {lo}–{hi}")
        elif MENTION_MARKUP.search(value):
            problems.append(f"{name}: must not contain mention markup like <@…>, <#…> or <!…>")

    qid = data.get("id")
    if not isinstance(qid, str) or not ID_PATTERN.match(qid):
        problems.append("id: must be 3–64 characters of a-z, 0-9 and '-', e.g. 'cardio-001'")
    for name, vocab in (("step", taxonomy.steps), ("system", taxonomy.systems), ("competency", taxonomy.competencies)):
        if data.get(name) in (None, ""):
            problems.append(f"{name}: missing; give one of {', '.join(sorted(vocab))}")
        elif not _known(data.get(name), vocab):
            problems.append(f"{name}: {data.get(name)!r} is not one of {', '.join(sorted(vocab))}"
                            f"{_did_you_mean(data.get(name), vocab)}")
    disciplines = data.get("disciplines")
    if not isinstance(disciplines, list) or not 1 <= len(disciplines) <= 3:
        problems.append("disciplines: must be a list of 1–3 discipline slugs")
    else:
        problems += [f"disciplines: {d!r} is not a known discipline{_did_you_mean(d, taxonomy.disciplines)}"
                     for d in disciplines if not _known(d, taxonomy.disciplines)]
        problems += _step_disciplines(data.get("step"), [d for d in disciplines if _known(d, taxonomy.disciplines)],
                                      taxonomy)
    text("stem", data.get("stem"), *STEM_LENGTH)
    text("lead_in", data.get("lead_in"), 5, LIMITS["lead_in"])
    if isinstance(data.get("lead_in"), str) and not data["lead_in"].rstrip().endswith("?"):
        problems.append("lead_in: must be a question ending with '?'")
    for group, limit in (("options", LIMITS["option"]), ("explanations", LIMITS["explanation"])):
        values = data.get(group)
        if not isinstance(values, dict) or sorted(values) != list(LETTERS):
            problems.append(f"{group}: {_keys(values)}")
            continue
        for letter in LETTERS:
            text(f"{group}.{letter}", values[letter], 1, limit)
    options = data.get("options")
    if isinstance(options, dict) and all(isinstance(v, str) for v in options.values()) \
            and len({v.strip().lower() for v in options.values()}) != len(options):
        problems.append("options: two options have the same text")
    if data.get("answer") in (None, ""):
        problems.append("answer: missing; give the letter of the right option, one of A, B, C, D, E")
    elif data.get("answer") not in LETTERS:
        problems.append(f"answer: {data.get('answer')!r} is not one of A, B, C, D, E")
    text("objective", data.get("objective"), 10, LIMITS["objective"])
    references = data.get("references")
    if not isinstance(references, list) or not references or not all(isinstance(r, str) and r.strip() for r in references):
        problems.append("references: list at least one standard reference the content was checked against")
    return problems


def parse_file(path: Path, taxonomy: Taxonomy, bundled: Iterable[Question] = ()) -> tuple[list[Question], list[Problem]]:
    """Every question of a JSON, CSV or Anki (.apkg) file, or every problem found; a file with any problem yields no
    questions.

    A question with the stem and options of a `bundled` one is a problem too: a renamed copy would be given as if new."""
    if path.suffix.lower() == ".apkg":
        from core.questions.anki import read_package  # the package reader builds on this module's rules

        return read_package(path, taxonomy, bundled)
    raw = _read(path)
    if isinstance(raw, Problem):
        return [], [raw]
    is_csv = path.suffix.lower() == ".csv"
    entries = _csv_entries(raw) if is_csv else _json_entries(raw)
    if isinstance(entries, Problem):
        return [], [entries]
    if not entries:
        return [], [Problem("file", "the file holds no questions")]
    found = entry_problems(entries, taxonomy)
    if not found:
        questions = [Question.from_dict(data) for _, data in entries]
        found = copies(questions, bundled)
        if not found:
            return questions, []
    line_of = _no_line if is_csv else _json_lines(raw)
    return [], [Problem(_where(entries[i][0], line_of(i, field), field), message) for i, field, message in found]


def size_problem(path: Path) -> Problem | None:
    """The one size limit of an imported file, checked before a byte is read: a file that is missing, empty or too
    big is one line saying so."""
    try:
        size = path.stat().st_size
    except OSError as error:
        return Problem("file", f"cannot read the file ({error.strerror or error})")
    if size == 0:
        return Problem("file", "the file is empty: export the questions again, or check you gave the right file")
    if size > MAX_FILE_BYTES:
        return Problem("file", f"the file is {size:,} bytes; Rounds imports files of at most {megabytes(MAX_FILE_BYTES)} "
                               f"({MAX_FILE_BYTES:,} bytes): split it into smaller files and import each")
    return None


def megabytes(size: int) -> str:
    return f"{size / 1_000_000:g} MB"


def fingerprint(question: Question) -> tuple[str, ...]:
    """What makes two questions the same one: stem and options, ignoring case and spacing."""
    return tuple(" ".join(text.split()).casefold() for text in (question.stem, *(question.options[x] for x in LETTERS)))


Located = tuple[int, str, str]  # the entry's index in the file, the field, the message


def entry_problems(entries: list[tuple[str, Any]], taxonomy: Taxonomy) -> list[Located]:
    """Every problem of every entry (labelled by where it is), duplicate ids included."""
    found: list[Located] = []
    seen: dict[str, str] = {}
    for index, (where, data) in enumerate(entries):
        for problem in validate(data, taxonomy):
            field, message = problem.split(": ", 1)
            found.append((index, field, message))
        qid = data.get("id") if isinstance(data, dict) else None
        if isinstance(qid, str):
            if qid in seen:
                found.append((index, "id", f"duplicate id {qid!r} (first at {seen[qid]})"))
            seen.setdefault(qid, where)
    return found


def copies(questions: list[Question], bundled: Iterable[Question]) -> list[Located]:
    """The questions that are a bundled one under another id."""
    originals = {fingerprint(q): q.id for q in bundled}
    return [(index, "stem", f"the same stem and options as the bundled question {originals[fingerprint(q)]}, which "
                            "every community already has: leave it out of the file")
            for index, q in enumerate(questions) if fingerprint(q) in originals]


def _where(label: str, line: int | None, field: str) -> str:
    return f"{label}, field {field}" if line is None else f"line {line}, {label}, field {field}"


def _no_line(index: int, field: str) -> int | None:
    return None  # a CSV entry's label is its line already


def _read(path: Path) -> str | Problem:
    too_big = size_problem(path)
    if too_big is not None:
        return too_big
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)  # never more: the file may have grown since it was measured
    except OSError as error:
        return Problem("file", f"cannot read the file ({error.strerror or error})")
    if len(data) > MAX_FILE_BYTES:
        return Problem("file", f"the file is over {megabytes(MAX_FILE_BYTES)}, the most Rounds imports: split it")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        return Problem(f"line {line}, column {column}",
                       f"not UTF-8 text (byte 0x{data[error.start]:02x}): save the file as UTF-8 and check it again")
    text = text.removeprefix("\ufeff")  # the byte-order mark a spreadsheet writes before a UTF-8 CSV
    if not text.strip():
        return Problem("file", "the file holds only blank space: export the questions again, or check you gave the right file")
    return text


def _keys(values: Any) -> str:
    """What is wrong with the keys of `options` or `explanations`, letter by letter."""
    if not isinstance(values, dict):
        return "missing or not an object; give exactly the keys A, B, C, D, E"
    missing = [x for x in LETTERS if x not in values]
    extra = sorted(str(k) for k in values if k not in LETTERS)
    parts = [f"{len(values)} given ({', '.join(map(str, values)) or 'none'})"]
    parts += [f"missing {', '.join(missing)}"] if missing else []
    parts += [f"{', '.join(map(repr, extra))} {'is' if len(extra) == 1 else 'are'} not a letter A–E"] if extra else []
    return "; ".join(parts) + "; a question has exactly five, A, B, C, D and E"


def _step_disciplines(step: Any, disciplines: list[str], taxonomy: Taxonomy) -> list[str]:
    """A known discipline the step does not test: Step 1 is tagged by basic science, Step 2 CK and Step 3 by clinical
    discipline (taxonomy.json → step_disciplines)."""
    if not _known(step, taxonomy.steps):
        return []  # the step's own problem is reported already
    allowed = taxonomy.allowed_disciplines(step)
    name = taxonomy.steps[step]
    return [f"disciplines: {d!r} is not a {name} discipline: a {name} question takes {', '.join(allowed)}"
            for d in disciplines if d not in allowed]


def _known(value: Any, vocabulary: dict[str, str]) -> bool:
    return isinstance(value, str) and value in vocabulary


def _did_you_mean(value: Any, vocabulary: dict[str, str]) -> str:
    close = closest(value.strip().lower(), vocabulary, n=1) if isinstance(value, str) else []
    return f"; did you mean {close[0]!r}?" if close else ""


def _json_entries(raw: str) -> list[tuple[str, Any]] | Problem:
    try:
        doc = json.loads(raw)
    except json.JSONDecodeError as error:
        return Problem(f"line {error.lineno}, column {error.colno}", f"not valid JSON: {error.msg}")
    questions = doc.get("questions") if isinstance(doc, dict) else doc
    if not isinstance(questions, list):
        return Problem("file", 'expected {"schema": 1, "questions": [...]} or a list of questions')
    return [(f"question {i} ({q.get('id', '?') if isinstance(q, dict) else '?'})", q) for i, q in enumerate(questions, 1)]


_SPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


def _json_lines(raw: str) -> Callable[[int, str], int | None]:
    """Where a question's field is in a JSON text that parsed: json.loads keeps no positions, so the text is walked
    again, only when there are problems to place, down to the field ('options.B' → the B inside options)."""
    newlines = [m.start() for m in re.finditer("\n", raw)]
    top = _skip(raw, 0)
    array = _members(raw, top).get("questions", top) if raw[top] == "{" else top
    starts = _items(raw, array)

    def line_of(index: int, field: str) -> int | None:
        offset = starts[index]
        for key in field.split("."):
            inner = _members(raw, offset).get(key) if raw[offset] == "{" else None
            if inner is None:
                break
            offset = inner
        return bisect.bisect_left(newlines, offset) + 1

    return line_of


def _skip(raw: str, i: int) -> int:
    match = _SPACE.match(raw, i)
    return match.end() if match else i


def _members(raw: str, i: int) -> dict[str, int]:
    """Where each member's value starts, in the valid JSON object that starts at raw[i]."""
    found: dict[str, int] = {}
    i = _skip(raw, i + 1)
    while raw[i] != "}":
        key, i = _DECODER.raw_decode(raw, i)
        value = _skip(raw, _skip(raw, i) + 1)  # past the ':'
        found[key] = value
        _, i = _DECODER.raw_decode(raw, value)
        i = _skip(raw, i)
        i = _skip(raw, i + 1) if raw[i] == "," else i
    return found


def _items(raw: str, i: int) -> list[int]:
    """Where each item starts, in the valid JSON array that starts at raw[i]."""
    starts: list[int] = []
    i = _skip(raw, i + 1)
    while raw[i] != "]":
        starts.append(i)
        _, i = _DECODER.raw_decode(raw, i)
        i = _skip(raw, i)
        i = _skip(raw, i + 1) if raw[i] == "," else i
    return starts


def _csv_entries(raw: str) -> list[tuple[str, Any]] | Problem:
    reader = csv.DictReader(io.StringIO(raw))
    missing = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        return Problem("line 1", f"missing columns: {', '.join(missing)}")
    entries = []
    for row in reader:
        data: dict[str, Any] = {k: (row.get(k) or "").strip() for k in ("id", "step", "system", "competency", "stem", "lead_in", "answer", "objective")}
        data["disciplines"] = split_list(row.get("disciplines"))
        data["references"] = split_list(row.get("references"))
        data["options"] = {x: (row.get(f"option_{x.lower()}") or "").strip() for x in LETTERS}
        data["explanations"] = {x: (row.get(f"explanation_{x.lower()}") or "").strip() for x in LETTERS}
        entries.append((f"line {reader.line_num}", data))
    return entries


def split_list(cell: str | None) -> list[str]:
    """A list in one cell (CSV) or field (Anki): one item a line, or items separated by ';'. A ';' before a digit
    stays, since it is a journal citation's year;volume ("J Urol 2021;206:806-817"), never a separator."""
    return [part.strip() for part in _SEPARATOR.split(cell or "") if part.strip()]
